/** The home page's next step, from what exists (editor/src/home/next-steps.ts), without a browser. */
import { describe, expect, it } from 'vitest';
import type { Overview } from '../../core/api.ts';
import { nextSteps } from '../../editor/src/home/next-steps.ts';

const empty: Overview = {
  integrations: [],
  leadsToday: {},
  since: '2026-12-01T00:00:00.000Z',
  deliveries: { failed: 0, retrying: 0 },
  counts: { offers: 0, webmasters: 0, sources: 0, flows: 0 },
};
const ids = (o: Overview) => nextSteps(o).map((s) => s.id);
const demo: Overview = {
  ...empty,
  integrations: [{ id: 'demo-crm', name: 'Demo CRM', enabled: true, failed: 0, retrying: 0 }],
  counts: { offers: 1, webmasters: 1, sources: 1, flows: 3 },
  demo: { integration: 'demo-crm', source: 'demo-wm1', offer: 'demo-offer' },
};

describe('the next step', () => {
  it('of an empty data folder is an offer, then an integration from a template, a webmaster and a key', () => {
    expect(ids(empty)).toEqual(['offer', 'template', 'webmaster', 'source']);
  });

  it('of the fresh demo is a test lead, then the user’s own offer and integration', () => {
    expect(ids(demo)).toEqual(['demo-lead', 'offer', 'template']);
    expect(ids({ ...demo, leadsToday: { wait: 1 } })).toEqual(['offer', 'template']);
  });

  it('puts failed deliveries first, and asks to switch on an integration that is off', () => {
    const own: Overview = {
      ...empty,
      integrations: [{ id: 'acme', name: 'Acme CRM', enabled: false, failed: 2, retrying: 0 }],
      deliveries: { failed: 2, retrying: 0 },
      counts: { offers: 1, webmasters: 1, sources: 1, flows: 1 },
    };
    const steps = nextSteps(own);
    expect(steps.map((s) => s.id)).toEqual(['failures', 'switch-on']);
    expect(steps[0]).toMatchObject({ title: 'Look at the 2 failed deliveries', href: '#/leads?delivery=failed' });
    expect(steps[1]).toMatchObject({ title: 'Switch “Acme CRM” on', href: '#/integrations/acme' });
  });

  it('of a system that runs is to follow today’s leads', () => {
    const running: Overview = {
      ...empty,
      integrations: [{ id: 'acme', name: 'Acme CRM', enabled: true, failed: 0, retrying: 1 }],
      counts: { offers: 2, webmasters: 3, sources: 2, flows: 4 },
      leadsToday: { wait: 10, approve: 2 },
    };
    expect(ids(running)).toEqual(['leads']);
  });
});
