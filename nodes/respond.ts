import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';

/**
 * Respond: sets the answer a synchronous flow (`lead.register`) gives the caller who is waiting
 * for it, e.g. an autologin URL. In other flows nobody waits, and the answer is only logged.
 *
 * Ports: `in`; `out` → the input, unchanged.
 */
export const respond = defineNode({
  type: 'respond',
  version: 1,
  title: 'Respond',
  category: 'act on lead',
  description: 'Sets the answer the caller of a registration flow receives: an HTTP status and a JSON body.',
  inputs: ['in'],
  outputs: ['out'],
  params: {
    status: param.number({
      label: 'HTTP status',
      help: 'The status code of the answer: 200 for success, 400 for a rejected lead, and so on.',
      default: 200,
      min: 100,
      max: 599,
    }),
    body: param.json({
      label: 'Body',
      help: 'The JSON the caller gets, e.g. { "url": "{{nodes.http.body.autologin}}" }.',
      default: { id: '{{lead.id}}', stage: '{{lead.stage}}' },
    }),
  },
  execute({ params, input, respond: answer }) {
    const status = Number(params.status);
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new Error(`Respond: the status must be a whole number from 100 to 599, not "${String(params.status)}"`);
    }
    answer({ status, body: params.body });
    return { output: input };
  },
});
