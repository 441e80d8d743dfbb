/**
 * A template's preview before a run: the value the run's renderer gives for the sample lead, or
 * the reason there is none yet, in words an integrator reads.
 */
import { describe, expect, it } from 'vitest';
import { SECRET_MASK, previewJson, previewTemplate, type PreviewScope } from '../../core/template/preview.ts';

const scope = (extra: Partial<PreviewScope> = {}): PreviewScope => ({
  known: {
    lead: { id: 0, phone: '+49 151 1234 5678', name: 'Anna Schmidt', country: 'DE', goods: [{ product: 'tea', count: 1 }] },
    offer: { id: 'tea', name: 'Tea', params: { crm_offer_id: '17' } },
    integration: { id: 'crm', name: 'CRM', settings: { base_url: 'https://crm.example.com' } },
    now: new Date('2026-01-02T03:04:05Z'),
  },
  secrets: ['api_key'],
  titleOf: (id) => ({ send: 'Send order', order: 'Order body' })[id] ?? id,
  inputFrom: 'order',
  fields: { lead: ['phone', 'name', 'country', 'sub3', 'goods', 'id'] },
  ...extra,
});

describe('template preview', () => {
  it('renders a path with its filters as the run would', () => {
    expect(previewTemplate('{{lead.phone | digits}}', scope())).toMatchObject({ ok: true, text: '4915112345678' });
    expect(previewTemplate('{{integration.settings.base_url}}/orders?o={{offer.params.crm_offer_id}}', scope())).toMatchObject({
      ok: true,
      text: 'https://crm.example.com/orders?o=17',
    });
    expect(previewTemplate('{{now | date:"Y-m-d"}}', scope())).toMatchObject({ ok: true, text: '2026-01-02' });
  });

  it('keeps the type of a template that is one expression', () => {
    expect(previewTemplate('{{lead.goods}}', scope())).toMatchObject({ ok: true, value: [{ product: 'tea', count: 1 }] });
  });

  it('names an unknown path, with the field it probably meant', () => {
    expect(previewTemplate('{{lead.phon}}', scope())).toEqual({
      ok: false,
      reason: 'lead has no “phon” (did you mean phone?)',
      runTime: false,
    });
  });

  it('says a field of the lead type that the sample leaves out is empty, rather than unknown', () => {
    expect(previewTemplate('{{lead.sub3}}', scope())).toEqual({
      ok: true,
      value: undefined,
      text: '',
      masked: false,
      notes: ['lead.sub3 is empty for this sample lead'],
    });
  });

  it("says an earlier node's output is known when the run reaches it, by the node's title", () => {
    expect(previewTemplate('{{nodes.send.body.id}}', scope())).toEqual({
      ok: false,
      reason: 'known when the run reaches Send order',
      runTime: true,
    });
    expect(previewTemplate('{{input.body}}', scope())).toEqual({
      ok: false,
      reason: 'known when the run reaches Order body',
      runTime: true,
    });
  });

  it("takes an earlier node's output from the last test run when there was one", () => {
    const preview = previewTemplate('{{nodes.send.body.id}}', scope({ lastRun: { send: { body: { id: 'D-1' } } } }));
    expect(preview).toMatchObject({ ok: true, text: 'D-1', notes: ['nodes.send.body.id is from the last test run'] });
  });

  it('masks a secret, and whatever a filter makes of it', () => {
    expect(previewTemplate('Bearer {{secrets.api_key}}', scope())).toMatchObject({ ok: true, text: `Bearer ${SECRET_MASK}`, masked: true });
    expect(previewTemplate('{{secrets.api_key | md5}}', scope())).toMatchObject({ ok: true, text: SECRET_MASK });
    expect(previewTemplate('{{secrets.apikey}}', scope())).toMatchObject({
      ok: false,
      reason: 'the test integration has no secret “apikey” (did you mean api_key?)',
    });
    expect(previewTemplate('{{secrets.api_key}}', scope({ secrets: undefined }))).toMatchObject({
      ok: false,
      reason: 'this node cannot read secrets',
    });
  });

  it('gives the parser’s message for a template that cannot be read', () => {
    expect(previewTemplate('{{lead.phone | digit}}', scope())).toMatchObject({ ok: false, runTime: false });
    expect((previewTemplate('{{lead.phone | digit}}', scope()) as { reason: string }).reason).toContain('unknown filter "digit"');
    expect(previewTemplate('{{lead.phone', scope())).toMatchObject({ ok: false, reason: '"{{" without "}}"' });
  });
});

describe('JSON preview', () => {
  it('previews every template string of a body, keeping the types of one-expression values, and lists what waits for the run', () => {
    const body = {
      phone: '{{lead.phone | digits}}',
      goods: '{{lead.goods}}',
      key: '{{secrets.api_key}}',
      id: '{{nodes.send.body.id}}',
      n: 1,
    };
    expect(previewJson(body, scope())).toEqual({
      value: { phone: '4915112345678', goods: [{ product: 'tea', count: 1 }], key: SECRET_MASK, id: '{{nodes.send.body.id}}', n: 1 },
      masked: true,
      notes: [],
      pending: [{ field: 'id', reason: 'known when the run reaches Send order', runTime: true }],
    });
  });
});
