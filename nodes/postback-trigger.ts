import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';

/**
 * Postback Trigger: queues an outgoing postback about the lead to the webmaster's tracker. The
 * postback queue sends and retries it, and expands the macros (`{subid}`, `{stage}`, …) at
 * sending time, so the postback tells the lead's stage as it is then.
 *
 * Throws when the run has no lead.
 *
 * Ports: `in`; `out` → the input, unchanged.
 */
export const postbackTrigger = defineNode({
  type: 'postback-trigger',
  version: 1,
  title: 'Postback Trigger',
  category: 'act on lead',
  description: "Tells the webmaster's tracker about the lead's new stage by an outgoing postback.",
  inputs: ['in'],
  outputs: ['out'],
  params: {
    url: param.text({
      label: 'Postback URL',
      help: "Empty: the webmaster's own postback URL. Or a URL with macros filled in when it is sent: {id} {subid} {sub1}…{sub5} {stage} {status} {payout} {offer} {utm_source} {utm_medium} {utm_campaign} {utm_content} {utm_term}.",
      placeholder: 'https://tracker.example.com/postback?clickid={subid}&status={stage}',
      default: '',
    }),
    method: param.select(['GET', 'POST'], {
      label: 'Method',
      help: 'GET for almost every tracker; POST only if the tracker asks for it.',
      default: 'GET',
    }),
  },
  async execute({ params, input, lead, postbacks }) {
    if (!lead) throw new Error('Postback Trigger needs a lead');
    await postbacks.send({ url: (params.url ?? '').trim(), method: params.method === 'POST' ? 'POST' : 'GET', leadId: lead.id });
    return { output: input };
  },
});
