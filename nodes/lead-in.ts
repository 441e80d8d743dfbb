import { defineNode } from '../core/node/contract.ts';

/**
 * Lead In: starts a flow for one of the lead events. Its output is the lead itself, so the next
 * node reads `{{input.phone}}` as well as `{{lead.phone}}`.
 *
 * Ports: no input; `out` → the lead.
 */
export const leadIn = defineNode({
  type: 'lead-in',
  version: 1,
  title: 'Lead In',
  category: 'trigger',
  description: 'Starts the flow with a lead: a new one, an update, an approved one, or a registration that waits for an answer.',
  inputs: [],
  outputs: ['out'],
  events: ['lead.new', 'lead.update', 'lead.approved', 'lead.register'],
  params: {},
  execute: ({ input }) => ({ output: input }),
});
