import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { omitEmpty } from '../core/node/values.ts';

/**
 * JSON Build: writes the JSON body of a request from a template. It outputs only what it builds —
 * nothing of its input goes on — so an answer read before it (an HTTP Request's `headers`, with
 * their `keep-alive` and `content-length`) never reaches the next request. A header or query value
 * the next request needs is written in HTTP Request's own Headers and URL parameters rows (e.g.
 * `X-Track → {{nodes.track.headers.x-track}}`), or added after this node by Sign or Auth Token.
 *
 * It may read the integration's secrets (`{{secrets.api_key}}` in a body): the request that sends the
 * body goes only to the integration's allowed hosts, and the records show `[secret]`.
 *
 * With `omitEmpty`, fields that render empty ("", null, [], {}) are left out.
 *
 * Ports: `in`; `out` → `{ body, contentType: 'application/json' }`.
 */
export const jsonBuild = defineNode({
  type: 'json-build',
  version: 1,
  title: 'JSON Build',
  category: 'build request',
  description: 'Builds a JSON body for the request from the lead and offer fields (and secrets). It passes nothing of its input on.',
  inputs: ['in'],
  outputs: ['out'],
  usesSecrets: true,
  params: {
    body: param.json({
      label: 'Body',
      help: 'The JSON the target expects. Put lead fields in with {{lead.name}}, offer fields with {{offer.params.KEY}}, credentials with {{secrets.NAME}}. A value that is only {{…}} keeps its type (a number stays a number). Only this body goes on: headers and URL parameters belong in HTTP Request, Sign or Auth Token after it.',
      default: { name: '{{lead.name}}', phone: '{{lead.phone}}' },
    }),
    omitEmpty: param.boolean({
      label: 'Omit empty values',
      help: 'Leave out fields that come out empty: empty text, null, [] and {} (at every level; 0 and false stay).',
      default: false,
    }),
  },
  execute({ params }) {
    return { output: { body: params.omitEmpty ? omitEmpty(params.body) : params.body, contentType: 'application/json' } };
  },
});
