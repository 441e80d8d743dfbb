/**
 * The events that start a flow, named in words: the one table every screen of the editor reads
 * when it shows an event, so `lead.new` is "When a new lead arrives" everywhere.
 */
import type { FlowEvent } from './config.ts';

/** What starts a flow of each event, as a sentence beginning "When …". */
export const EVENT_NAMES: Readonly<Record<FlowEvent, string>> = {
  'lead.new': 'When a new lead arrives',
  'lead.update': 'When a lead is changed (upsell or correction)',
  'lead.approved': 'When a lead is approved',
  'lead.register': 'When a sign-up arrives (the caller waits for the answer)',
  'status.processing': 'When the status is checked (leads in processing)',
  'status.approved': 'When approved leads are checked for returns',
  'status.range': 'When the statuses of a date range are checked',
  'postback.in': 'When the target sends a status postback',
};

/** The event's name in words; an id that is not an event (an old or hand-written flow) comes back as it is. */
export function eventName(event: string): string {
  return (EVENT_NAMES as Record<string, string | undefined>)[event] ?? event;
}
