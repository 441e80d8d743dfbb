/**
 * Events named in words on the integration page. Kept here, in one small map, until the kernel
 * has a label table of its own (the home page's work); then this map gives way to it.
 */
import type { FlowEvent } from '../../../core/domain/config.ts';

export const EVENT_NAMES: Record<FlowEvent, string> = {
  'lead.new': 'When a new lead arrives',
  'lead.update': 'When a lead is changed (an upsell)',
  'lead.approved': 'When a lead reaches a stage',
  'lead.register': 'When a sign-up waits for an answer',
  'status.processing': 'Ask for statuses of waiting leads',
  'status.approved': 'Ask again about approved leads',
  'status.range': 'Ask for all changes in a time window',
  'postback.in': 'When the target sends a postback',
};
