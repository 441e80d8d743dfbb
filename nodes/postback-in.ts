import { defineNode } from './core/types.ts';

/**
 * Postback In: starts a flow when a target calls our postback URL with a lead's status.
 *
 * Input: `{ query, body }` of the incoming request. Output: one flat object of the request's
 * fields — body fields win over query fields of the same name; numbers and booleans become text;
 * the `token` that authenticated the call is left out.
 *
 * Ports: no input; `out` → the fields.
 *
 * @example { query: { token: 't', id: '7' }, body: { status: 'approved' } } → { id: '7', status: 'approved' }
 */
export const postbackIn = defineNode<Record<string, never>>({
  type: 'postback-in',
  title: 'Postback In',
  category: 'trigger',
  description: 'Starts the flow when the target sends a status postback. Gives the fields it sent, from the URL and the body together.',
  inputs: [],
  outputs: ['out'],
  events: ['postback.in'],
  params: {},
  execute({ input }) {
    const request = (input ?? {}) as { query?: unknown; body?: unknown };
    const output: Record<string, unknown> = {};
    for (const source of [request.query, bodyFields(request.body)]) {
      if (!isObject(source)) continue;
      for (const [name, value] of Object.entries(source)) {
        if (name === 'token' || value === undefined || value === null) continue;
        output[name] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
      }
    }
    return { output };
  },
});

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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
