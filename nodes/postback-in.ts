import { defineNode } from '../core/node/contract.ts';
import { param, type ParamValues } from '../core/node/params.ts';
import type { Stage } from '../core/domain/lead.ts';
import { isObject } from '../core/node/values.ts';

/** The per-call overrides AlterCPA users know: comma lists of raw statuses meaning each stage. */
const OVERRIDES: [string, Stage][] = [
  ['sta', 'approve'],
  ['sth', 'hold'],
  ['stw', 'wait'],
  ['stc', 'cancel'],
  ['stt', 'trash'],
];

const list = (text: unknown): string[] =>
  String(text ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);

/** Declared apart from the node so the helpers below can name the params' type. */
const postbackInParams = {
  statusField: param.text({ label: 'Status field', help: 'The field that holds the status text.', default: 'status' }),
  oidField: param.text({
    label: 'Our lead id field',
    help: 'The field that holds our lead id, if the target sends it.',
    default: 'oid',
  }),
  eidField: param.text({ label: "Target's id field", help: "The field that holds the lead's id in the target.", default: 'eid' }),
  approve: param.text({
    label: 'Approve when status is',
    help: 'Comma list, any letter case.',
    default: 'approve,approved,confirm,confirmed,accept,accepted,sale,paid,success',
  }),
  hold: param.text({ label: 'Hold when status is', help: 'Comma list: confirmed but delayed.', default: 'hold,on_hold,delayed' }),
  wait: param.text({
    label: 'Wait when status is',
    help: 'Comma list: still being processed.',
    default: 'wait,new,pending,processing,callback,in_progress',
  }),
  cancel: param.text({
    label: 'Cancel when status is',
    help: 'Comma list: refused or returned.',
    default: 'cancel,cancelled,canceled,reject,rejected,decline,declined,return,returned',
  }),
  trash: param.text({
    label: 'Trash when status is',
    help: 'Comma list: fake, duplicate, spam.',
    default: 'trash,spam,fake,duplicate,double,invalid',
  }),
};

type PostbackInParams = ParamValues<typeof postbackInParams>;

/**
 * Postback In: starts a flow when a target calls our postback URL with a lead's status.
 *
 * Input: `{ query, body }` of the incoming request. Output: one flat object of the request's
 * fields — body fields win over query fields of the same name; numbers and booleans become text;
 * the `token` that authenticated the call is left out — plus, read the AlterCPA way:
 * - `oid` and `eid`: our lead id and the target's, from the fields the params name;
 * - `status`: the raw status text, and `stage`: what it means, recognised against the call's own
 *   lists first (`sta`, `sth`, `stw`, `stc`, `stt`: comma lists of raw values meaning approve, hold,
 *   wait, cancel, trash), then this node's lists, then a stage name given as is;
 * - `comment`, `reason`, `payout` when the call has them.
 *
 * Ports: no input; `out` → the fields.
 *
 * @example ?id=7&status=Confirmed&sta=confirmed → { id: '7', oid: '7', status: 'Confirmed', stage: 'approve', … }
 */
export const postbackIn = defineNode({
  type: 'postback-in',
  version: 1,
  title: 'Postback In',
  category: 'trigger',
  description: 'Starts the flow when the target sends a status postback. Gives the fields it sent, from the URL and the body together.',
  inputs: [],
  outputs: ['out'],
  events: ['postback.in'],
  params: postbackInParams,
  execute({ input, params }) {
    const request = (input ?? {}) as { query?: unknown; body?: unknown };
    const output: Record<string, unknown> = {};
    for (const source of [request.query, bodyFields(request.body)]) {
      if (!isObject(source)) continue;
      for (const [name, value] of Object.entries(source)) {
        if (name === 'token' || value === undefined || value === null) continue;
        output[name] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
      }
    }
    const field = (name: string | undefined, fallback: string) => output[name || fallback];
    const status = field(params.statusField, 'status');
    const oid = field(params.oidField, 'oid');
    const eid = field(params.eidField, 'eid');
    if (oid !== undefined && oid !== '') output.oid = oid;
    if (eid !== undefined && eid !== '') output.eid = eid;
    if (status !== undefined) {
      output.status = String(status);
      const stage = recognise(String(status), output, params);
      if (stage) output.stage = stage;
    }
    return { output };
  },
});

function recognise(status: string, fields: Record<string, unknown>, params: PostbackInParams): Stage | undefined {
  const raw = status.trim().toLowerCase();
  for (const [override, stage] of OVERRIDES) if (list(fields[override]).includes(raw)) return stage;
  const lists: [Stage, string][] = [
    ['approve', params.approve],
    ['hold', params.hold],
    ['wait', params.wait],
    ['cancel', params.cancel],
    ['trash', params.trash],
  ];
  for (const [stage, values] of lists) if (list(values).includes(raw)) return stage;
  return (['new', 'wait', 'hold', 'approve', 'cancel', 'trash'] as Stage[]).find((stage) => stage === raw);
}

/** A body the HTTP layer left as text: JSON or a form, whichever it is. */
function bodyFields(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON after all: read it as a form below
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}
