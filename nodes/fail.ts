import { stringify } from '../core/template/template.ts';
import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';

/**
 * Fail: ends the run as failed, on purpose, with a message — for an answer that says "error" in
 * a 200, which would otherwise end as a success. The failure is the kind the delivery rules read:
 *
 * - `retryable: 'no'` (default): the lead is not tried again; its delivery shows `failed` with the
 *   message, visible and resendable (an unknown API key, a missing offer on the target's side);
 * - `retryable: 'yes'`: the target is busy or down for maintenance, so the delivery queue tries
 *   again with its backoff, no sooner than `retryAfterSeconds` when that is set.
 *
 * A lead the target refused belongs in `cancel` with its reason (Update Lead), not here: Fail is
 * for runs that reached no verdict.
 *
 * Ports: `in`; no exit — the run stops here (a node setting `onError: 'error-port'` gives it one),
 * with output `{ error: { code, message }, input }` and failure `{ code, message, retryable }`.
 */
export const fail = defineNode({
  type: 'fail',
  version: 1,
  title: 'Fail',
  category: 'act on lead',
  description: 'Ends the run as failed with your message, to be retried later or not: for an error the target answers with HTTP 200.',
  inputs: ['in'],
  outputs: [],
  params: {
    message: param.template({
      label: 'Message',
      help: 'What went wrong, shown in the delivery and the integration log, e.g. target error: {{input.body.error}}.',
      default: 'the target answered with an error: {{input.body.error | default:"no reason given"}}',
      required: true,
    }),
    code: param.text({
      label: 'Error code',
      help: 'A short name for this failure, to tell failures apart in the log and the deliveries, e.g. bad_api_key.',
      default: 'target_error',
    }),
    retryable: param.select(['no', 'yes'], {
      label: 'Try again later',
      help: 'yes: a passing trouble (target busy, maintenance): the lead stays new and is delivered again with backoff. no: sending again will not help; the delivery fails for good (resendable by hand).',
      default: 'no',
    }),
    retryAfterSeconds: param.number({
      label: 'Not sooner than (s)',
      help: 'For a retry: the least wait before the next attempt, e.g. 300 for five minutes. 0: the usual backoff.',
      default: 0,
      min: 0,
      max: 86_400,
      showIf: { retryable: 'yes' },
    }),
  },
  execute({ params, input }) {
    const message = stringify(params.message).trim() || 'the flow failed on purpose';
    const code = String(params.code ?? '').trim() || 'target_error';
    const retryable = params.retryable === 'yes';
    const after = Number(params.retryAfterSeconds);
    return {
      output: { error: { code, message }, input },
      failure: { code, message, retryable, ...(retryable && after > 0 ? { retryAfterMs: after * 1000 } : {}) },
    };
  },
});
