import { httpBuildQuery } from '../core/template/php.ts';
import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { isObject, objectOf, omitEmpty, rowsToObject } from '../core/node/values.ts';

/**
 * Form/Query Build: turns rows of name → value into a form body or into URL query parameters,
 * encoded exactly as PHP's `http_build_query` does (a list or object value becomes `name[0]=…`).
 *
 * - `as: 'form'` → `{ body: 'a=1&b=x+y', fields, contentType: 'application/x-www-form-urlencoded', headers?, query? }`
 * - `as: 'query'` → `{ query: fields, fields, headers?, body?, contentType? }`: HTTP Request appends
 *   `query` to the URL; a body built before (JSON Build) is kept, and so are earlier query fields.
 *
 * `fields` is the object itself, which Sign uses to sign the sorted query.
 *
 * With `omitEmpty`, fields that render empty ("", null, [], {}) are left out.
 *
 * Ports: `in`; `out`.
 */
export const formBuild = defineNode({
  type: 'form-build',
  version: 1,
  title: 'Form/Query Build',
  category: 'build request',
  description: 'Builds a form body (application/x-www-form-urlencoded) or URL query parameters from a list of fields.',
  inputs: ['in'],
  outputs: ['out'],
  params: {
    fields: param.keyValue({
      label: 'Fields',
      help: 'One row per field the target expects: the name on the left, the value on the right, e.g. phone → {{lead.phone}}. Rows without a name are skipped.',
      default: [
        { key: 'name', value: '{{lead.name}}' },
        { key: 'phone', value: '{{lead.phone}}' },
      ],
    }),
    as: param.select(['form', 'query'], {
      label: 'Send as',
      help: 'form: the fields are the request body, as an HTML form sends them. query: the fields go into the URL after "?".',
      default: 'form',
    }),
    omitEmpty: param.boolean({
      label: 'Omit empty values',
      help: 'Leave out fields that come out empty: empty text, null, [] and {} (0 and false stay).',
      default: false,
    }),
  },
  execute({ params, input }) {
    const rows = rowsToObject(params.fields);
    const fields = params.omitEmpty ? (omitEmpty(rows) as Record<string, unknown>) : rows;
    const before = objectOf(input);
    const output: Record<string, unknown> = {};
    if (before.headers !== undefined) output.headers = before.headers;
    if (params.as === 'query') {
      if (before.body !== undefined) output.body = before.body;
      if (before.contentType !== undefined) output.contentType = before.contentType;
      output.query = isObject(before.query) ? { ...before.query, ...fields } : fields;
    } else {
      if (before.query !== undefined) output.query = before.query;
      output.body = httpBuildQuery(fields);
      output.contentType = 'application/x-www-form-urlencoded';
    }
    output.fields = fields;
    return { output };
  },
});
