/**
 * What a user should do next, from what exists: a fresh data folder asks for an offer and an
 * integration first; the demo asks for a test lead; a running system points at its failures.
 * The first step is the one the home page puts forward; the others follow it as links.
 */
import type { Overview } from '../../../core/api.ts';

/** One step: what to do, why, and where (a screen's address) or which action. */
export interface NextStep {
  id: 'demo-lead' | 'offer' | 'template' | 'webmaster' | 'source' | 'switch-on' | 'failures' | 'leads';
  title: string;
  why: string;
  /** The screen it is done on; unset for the demo lead, which the home page sends itself. */
  href?: string;
}

export function nextSteps(o: Overview): NextStep[] {
  const steps: NextStep[] = [];
  const leadsToday = Object.values(o.leadsToday).reduce((a, b) => a + (b ?? 0), 0);
  const own = o.integrations.filter((i) => i.id !== o.demo?.integration);
  if (o.deliveries.failed > 0) {
    steps.push({
      id: 'failures',
      title: `Look at the ${o.deliveries.failed} failed deliver${o.deliveries.failed === 1 ? 'y' : 'ies'}`,
      why: 'These leads did not reach their target after every retry: see why, fix it, and send them again.',
      href: '#/leads?delivery=failed',
    });
  }
  if (o.demo?.source && leadsToday === 0) {
    steps.push({
      id: 'demo-lead',
      title: 'Send a test lead to the demo',
      why: 'The demo integration sends it to a sandbox CRM here, so you can follow a lead from intake to the CRM’s answer.',
    });
  }
  if (o.counts.offers === 0 || (o.demo && o.counts.offers === 1 && own.length === 0)) {
    steps.push({
      id: 'offer',
      title: 'Add an offer',
      why: 'An offer is what webmasters send leads for; its parameters (the target’s offer id…) go into the requests.',
      href: '#/offers',
    });
  }
  if (own.length === 0) {
    steps.push({
      id: 'template',
      title: 'New integration from a template',
      why: 'A template brings the flows for a known kind of target; you fill in its address, credentials and offers.',
      href: '#/integrations?new=template',
    });
  }
  if (o.counts.webmasters === 0) {
    steps.push({
      id: 'webmaster',
      title: 'Add a webmaster and his postback URL',
      why: 'His tracker is told of every stage change of his leads; try the URL with a test postback.',
      href: '#/sources',
    });
  }
  if (o.counts.sources === 0) {
    steps.push({
      id: 'source',
      title: 'Give a webmaster an intake key',
      why: 'Nobody can post leads until a source has a key.',
      href: '#/sources',
    });
  }
  const off = own.filter((i) => !i.enabled);
  if (own.length > 0 && off.length === own.length) {
    steps.push({
      id: 'switch-on',
      title: `Switch “${off[0].name}” on`,
      why: 'It takes no leads while it is off; its checklist says what it still needs.',
      href: `#/integrations/${encodeURIComponent(off[0].id)}`,
    });
  }
  if (steps.length === 0) {
    steps.push({
      id: 'leads',
      title: 'Follow today’s leads',
      why: 'Everything is set up: leads, their stages and deliveries.',
      href: '#/leads',
    });
  }
  return steps;
}
