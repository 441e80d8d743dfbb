import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { isObject, omitEmpty } from '../core/node/values.ts';

/**
 * JSON Build: writes the JSON body of a request from a template. The `headers` and `query` a
 * node before it built (Sign, Form/Query Build) are kept.
 *
 * With `omitEmpty`, fields that render empty ("", null, [], {}) are left out.
 *
 * Ports: `in`; `out` → `{ body, contentType: 'application/json', headers?, query? }`.
 */
export const jsonBuild = defineNode({
  type: 'json-build',
  version: 1,
  title: 'JSON Build',
  category: 'build request',
  description: 'Builds a JSON body for the request from the lead and offer fields.',
  inputs: ['in'],
  outputs: ['out'],
  params: {
    body: param.json({
      label: 'Body',
      help: 'The JSON the target expects. Put lead fields in with {{lead.name}}, offer fields with {{offer.params.KEY}}. A value that is only {{…}} keeps its type (a number stays a number).',
      default: { name: '{{lead.name}}', phone: '{{lead.phone}}' },
    }),
    omitEmpty: param.boolean({
      label: 'Omit empty values',
      help: 'Leave out fields that come out empty: empty text, null, [] and {} (at every level; 0 and false stay).',
      default: false,
    }),
  },
  execute({ params, input }) {
    const output: Record<string, unknown> = {
      body: params.omitEmpty ? omitEmpty(params.body) : params.body,
      contentType: 'application/json',
    };
    if (isObject(input)) {
      if (input.headers !== undefined) output.headers = input.headers;
      if (input.query !== undefined) output.query = input.query;
    }
    return { output };
  },
});
