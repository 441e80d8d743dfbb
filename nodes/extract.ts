import { parsePath, resolvePath, TemplateError } from '../core/template/template.ts';
import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';

/**
 * Extract: picks named values out of an answer by their paths, e.g. `eid` ← `body.order_id`,
 * `status` ← `body.data[0].status`. An empty path takes the whole value.
 *
 * Ports:
 * - `out` → `{ <name>: value, … }`;
 * - `missing` (a required field is absent or empty) → the same plus `missing: [names]`, with
 *   failure `missing_field` (not retryable).
 */
export const extract = defineNode({
  type: 'extract',
  version: 1,
  title: 'Extract',
  category: 'read answer',
  description: "Takes values out of the target's answer (external id, status, comment, error) and names them.",
  inputs: ['in'],
  outputs: ['out', 'missing'],
  params: {
    from: param.template({
      label: 'Read from',
      help: 'What to read: {{input}} is the answer of the node before (for HTTP Request: status, headers, body).',
      default: '{{input}}',
    }),
    fields: param.keyValue({
      label: 'Fields',
      help: 'One row per value: a name on the left, where it is on the right, written as a path without {{ }}: body.order_id, body.data[0].status.',
      default: [
        { key: 'eid', value: 'body.id' },
        { key: 'status', value: 'body.status' },
      ],
    }),
    required: param.text({
      label: 'Required fields',
      help: 'Names of fields that must be found and not empty, separated by commas, e.g. eid. Otherwise the "missing" exit is taken.',
      default: '',
    }),
  },
  execute({ params }) {
    const output: Record<string, unknown> = {};
    for (const row of params.fields ?? []) {
      const name = row.key.trim();
      if (name === '') continue;
      output[name] = typeof row.value === 'string' ? read(params.from, name, row.value) : row.value;
    }
    const required = (params.required ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const missing = required.filter((name) => isEmpty(output[name]));
    if (missing.length === 0) return { output };
    return {
      port: 'missing',
      output: { ...output, missing },
      failure: { code: 'missing_field', message: `missing in the answer: ${missing.join(', ')}`, retryable: false },
    };
  },
});

function read(from: unknown, name: string, path: string): unknown {
  try {
    return resolvePath(from, parsePath(path));
  } catch (error) {
    if (error instanceof TemplateError) throw new Error(`Extract, field "${name}": ${error.message}`, { cause: error });
    throw error;
  }
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}
