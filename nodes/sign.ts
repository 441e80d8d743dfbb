import { httpBuildQuery, phpUrlencode } from '../core/template/php.ts';
import { stringify } from '../core/template/template.ts';
import { defineNode } from '../core/node/contract.ts';
import { param, type ParamValues } from '../core/node/params.ts';
import { isObject } from '../core/node/values.ts';

/** Declared apart from the node so the helpers below can name the params' type. */
const signParams = {
  algorithm: param.select(['md5', 'sha1', 'sha256', 'sha512'], {
    label: 'Algorithm',
    help: 'The hash the target documents: md5, sha1, sha256 or sha512.',
    default: 'sha256',
  }),
  key: param.secret({
    label: 'Secret key',
    help: 'For an HMAC signature, the key the target gave you, e.g. {{secrets.api_secret}}. Leave empty for a plain hash.',
    placeholder: '{{secrets.api_secret}}',
  }),
  over: param.select(['body', 'query', 'template'], {
    label: 'Sign what',
    help: "body: the request body as sent. query: the fields sorted by name, as PHP's ksort + http_build_query writes them. template: a text you compose below.",
    default: 'body',
  }),
  template: param.template({
    label: 'Text to sign',
    help: 'The exact text the target hashes, e.g. {{lead.phone}}{{offer.params.offer_id}}{{secrets.salt}}.',
    showIf: { over: 'template' },
  }),
  encoding: param.select(['hex', 'base64'], {
    label: 'Encoding',
    help: 'How the signature is written: hex (0-9a-f, most common) or base64.',
    default: 'hex',
  }),
  put: param.text({
    label: 'Put the signature in',
    help: 'header:NAME (a request header), field:NAME (a body field), query:NAME (a URL parameter) or none (only use it elsewhere as {{nodes.<this node>.signature}}).',
    default: 'header:X-Signature',
  }),
};

type SignParams = ParamValues<typeof signParams>;

/**
 * Sign: a hash or HMAC of the request, put where the target looks for it.
 *
 * What is signed (`over`):
 * - `body`: the body text as it will be sent (an object body as its JSON);
 * - `query`: the fields (`fields`, else `query`, else an object `body`) as PHP writes them after
 *   `ksort` + `http_build_query`: keys sorted, nested as `a%5B0%5D=1`, spaces as `+`;
 * - `template`: the text of the Template parameter, e.g. `{{lead.phone}}{{secrets.salt}}`.
 *
 * Where it goes (`put`): `header:NAME`, `field:NAME` (into the body), `query:NAME` (into the URL)
 * or `none`. The signature is always in the output too: `{{nodes.<id>.signature}}`.
 *
 * Ports: `in`; `out` → a copy of the input with `signature` and the put applied; the input is not changed.
 */
export const sign = defineNode({
  type: 'sign',
  version: 1,
  title: 'Sign',
  category: 'build request',
  description:
    'Adds a hash or HMAC signature (md5, sha1, sha256, sha512) of the body, the sorted query or a template to a header, field or query parameter.',
  inputs: ['in'],
  outputs: ['out'],
  usesSecrets: true,
  params: signParams,
  execute({ params, input, hash, log }) {
    const request: Record<string, unknown> = isObject(input) ? input : {};
    const key = stringify(params.key);
    if (key === '') log('no key: plain hash, not HMAC');
    const signature = hash.digest(params.algorithm, dataToSign(params, request), params.encoding, key || undefined);
    return { output: putSignature({ ...request, signature }, params.put, signature) };
  },
});

function dataToSign(params: SignParams, request: Record<string, unknown>): string {
  switch (params.over) {
    case 'template':
      return stringify(params.template);
    case 'query': {
      const fields = request.fields ?? request.query ?? (isObject(request.body) ? request.body : {});
      return httpBuildQuery(fields, { sort: true });
    }
    default:
      if (request.body === undefined) return '';
      return typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  }
}

function putSignature(output: Record<string, unknown>, put: string, signature: string): Record<string, unknown> {
  const spec = (put ?? '').trim();
  if (spec === '' || spec === 'none') return output;
  const colon = spec.indexOf(':');
  const where = colon < 0 ? spec : spec.slice(0, colon).trim();
  const name = colon < 0 ? '' : spec.slice(colon + 1).trim();
  if (!['header', 'field', 'query'].includes(where) || name === '') {
    throw new Error(`Sign: cannot put the signature in "${put}" (write header:NAME, field:NAME, query:NAME or none)`);
  }
  if (where === 'header') {
    output.headers = { ...(isObject(output.headers) ? output.headers : {}), [name]: signature };
  } else if (where === 'query') {
    output.query = { ...(isObject(output.query) ? output.query : {}), [name]: signature };
  } else if (isObject(output.body)) {
    output.body = { ...output.body, [name]: signature };
  } else if (typeof output.body === 'string' && !String(output.contentType ?? '').includes('json')) {
    const pair = `${phpUrlencode(name)}=${phpUrlencode(signature)}`;
    output.body = output.body === '' ? pair : `${output.body}&${pair}`;
    if (isObject(output.fields)) output.fields = { ...output.fields, [name]: signature };
  } else {
    throw new Error(`Sign: no form or JSON object body to put the field "${name}" into (use header:${name} or query:${name})`);
  }
  return output;
}
