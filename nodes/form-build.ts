import { httpBuildQuery } from '../core/template/php.ts';
import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { omitEmpty, rowsToObject } from '../core/node/values.ts';

/**
 * Form/Query Build: turns rows of name → value into a form body or into URL query parameters,
 * encoded exactly as PHP's `http_build_query` does (a list or object value becomes `name[0]=…`).
 *
 * - `as: 'form'` → `{ body: 'a=1&b=x+y', fields, contentType: 'application/x-www-form-urlencoded' }`
 * - `as: 'query'` → `{ query: fields, fields }`: HTTP Request appends `query` to the URL.
 *
 * `fields` is the object itself, which Sign uses to sign the sorted query. Nothing of the input goes
 * on, so an answer read before it (an HTTP Request's `headers` or `body`) never reaches the next
 * request; what else that request needs goes in HTTP Request's own rows. It may read secrets
 * (`api_key → {{secrets.api_key}}`): the request goes only to the integration's allowed hosts.
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
  usesSecrets: true,
  params: {
    fields: param.keyValue({
      label: 'Fields',
      help: 'One row per field the target expects: the name on the left, the value on the right, e.g. phone → {{lead.phone}}, api_key → {{secrets.api_key}}. Rows without a name are skipped. Only these fields go on: headers belong in HTTP Request, Sign or Auth Token after it.',
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
  execute({ params }) {
    const rows = rowsToObject(params.fields);
    const fields = params.omitEmpty ? (omitEmpty(rows) as Record<string, unknown>) : rows;
    if (params.as === 'query') return { output: { query: fields, fields } };
    return { output: { body: httpBuildQuery(fields), fields, contentType: 'application/x-www-form-urlencoded' } };
  },
});
