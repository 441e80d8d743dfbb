/**
 * Says which nodes a curl command implies (its request read by `parse.ts`): a body-building node
 * (JSON Build, or Form/Query Build for forms and GET parameters) and an HTTP Request, with the
 * lead's fields recognised by name or by look (phone, name, email, ip, country, …), credentials
 * turned into `{{secrets.…}}` with their values kept for the integration (`credentials.ts`), and
 * the host turned into `{{integration.settings.base_url}}`.
 *
 * Pure: no DOM, no store; the canvas pastes what {@link curlToNodes} gives.
 */
import type { FlowEdge, FlowNode } from '../../../core/domain/flow.ts';
import type { KeyValue } from '../../../core/node/contract.ts';
import { fieldCredential, headerCredential, SecretsFound, type FoundSecret } from './credentials.ts';
import { parseCurl } from './parse.ts';

// ---- recognising the lead's fields and credentials --------------------------------------------

const norm = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

const LEAD_KEYS: Record<string, string> = {};
const add = (field: string, ...keys: string[]) => keys.forEach((k) => (LEAD_KEYS[norm(k)] = field));
add(
  'phone',
  'phone',
  'tel',
  'telephone',
  'phone_number',
  'phonenumber',
  'msisdn',
  'mobile',
  'mobile_phone',
  'cell',
  'client_phone',
  'customer_phone',
  'user_phone',
);
add(
  'name',
  'name',
  'fio',
  'full_name',
  'fullname',
  'client_name',
  'customer_name',
  'first_name',
  'firstname',
  'user_name',
  'username',
  'client',
  'buyer_name',
);
add('email', 'email', 'e_mail', 'mail', 'client_email', 'customer_email', 'user_email');
add('ip', 'ip', 'ip_address', 'ipaddress', 'user_ip', 'client_ip', 'customer_ip', 'userip');
add('country', 'country', 'country_code', 'countrycode', 'geo', 'country_iso', 'iso');
add('ua', 'ua', 'user_agent', 'useragent');
add('address', 'address', 'addr', 'full_address');
add('city', 'city', 'town');
add('region', 'region', 'state', 'province');
add('street', 'street');
add('zip', 'zip', 'zipcode', 'postcode', 'postal_code', 'index');
add('comment', 'comment', 'comments', 'note', 'notes', 'message');
add('subid', 'subid', 'sub_id', 'click_id', 'clickid', 'cid', 'transaction_id', 'aff_sub');
for (const n of [1, 2, 3, 4, 5]) add(`sub${n}`, `sub${n}`, `sub_id${n}`, `sub_id_${n}`, `aff_sub${n}`);
for (const u of ['source', 'medium', 'campaign', 'content', 'term']) add(`utm_${u}`, `utm_${u}`);
add('id', 'order_ref', 'external_id', 'ext_id', 'partner_order_id', 'lead_id', 'foreign_id', 'order_id');
add('wm', 'wm', 'webmaster', 'webmaster_id', 'wm_id', 'publisher_id', 'affiliate_id');

const OFFER_KEYS = new Set(['offerid', 'offer', 'productid', 'goodsid', 'campaignid', 'streamid', 'flowid', 'landingid', 'goalid']);
/** What a field of the example becomes in the flow. */
export interface Recognised {
  value: string;
  kind: 'lead' | 'offer' | 'secret' | 'literal';
}

/**
 * What one field of the example becomes; a credential is stored in `secrets` (its value kept for the
 * integration) and read back as `{{secrets.NAME}}`.
 */
export function recognise(key: string, example: unknown, secrets = new SecretsFound(), where = `the field "${key}"`): Recognised {
  const k = norm(key);
  const credential = fieldCredential(key, example);
  if (credential) {
    const name = secrets.add(credential, typeof example === 'string' ? example : JSON.stringify(example), where);
    return { value: `{{secrets.${name}}}`, kind: 'secret' };
  }
  if (LEAD_KEYS[k]) return { value: `{{lead.${LEAD_KEYS[k]}}}`, kind: 'lead' };
  if (OFFER_KEYS.has(k)) return { value: `{{offer.params.${key.replace(/[^A-Za-z0-9_-]/g, '_')}}}`, kind: 'offer' };
  if (typeof example === 'string') {
    const text = example.trim();
    if (/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(text)) return { value: '{{lead.email}}', kind: 'lead' };
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return { value: '{{lead.ip}}', kind: 'lead' };
    if (/^\+?[\d\s().-]{9,20}$/.test(text) && text.replace(/\D/g, '').length >= 9 && /[+\s()-]/.test(text))
      return { value: '{{lead.phone}}', kind: 'lead' };
  }
  return { value: typeof example === 'string' ? example : JSON.stringify(example), kind: 'literal' };
}

function recogniseJson(value: unknown, key: string | undefined, found: Recognised[], secrets: SecretsFound): unknown {
  if (Array.isArray(value)) return value.map((v) => recogniseJson(v, key, found, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, recogniseJson(v, k, found, secrets)]));
  }
  if (key === undefined) return value;
  const r = recognise(key, value, secrets, `the body field "${key}"`);
  found.push(r);
  return r.kind === 'literal' ? value : r.value;
}

function formRows(text: string): KeyValue[] {
  return text
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const dec = (s: string) => {
        try {
          return decodeURIComponent(s.replace(/\+/g, ' '));
        } catch {
          return s;
        }
      };
      return eq < 0 ? { key: dec(pair), value: '' } : { key: dec(pair.slice(0, eq)), value: dec(pair.slice(eq + 1)) };
    });
}

function recogniseRows(rows: KeyValue[], found: Recognised[], secrets: SecretsFound, where: string): KeyValue[] {
  return rows.map((row) => {
    const r = recognise(row.key, row.value, secrets, `${where} "${row.key}"`);
    found.push(r);
    return { key: row.key, value: r.value };
  });
}

export interface CurlImport {
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** What the integrator should know: offer parameters to set, lead fields recognised. */
  notes: string[];
  /** The credentials found, each read in the flow as `{{secrets.NAME}}`; their values belong in the integration's secrets. */
  secrets: FoundSecret[];
  /** The command's scheme and host (`https://crm.example.com`): the request's URL starts `{{integration.settings.base_url}}` instead. */
  baseUrl: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The nodes a curl command implies, at positions from (0, 0), builder first. */
export function curlToNodes(command: string): CurlImport {
  const req = parseCurl(command);
  const found: Recognised[] = [];
  const secrets = new SecretsFound();
  const notes: string[] = [];
  const headers: KeyValue[] = [];
  let contentType = '';
  for (const h of req.headers) {
    const lower = h.name.toLowerCase();
    if (lower === 'content-type') {
      contentType = h.value;
      continue;
    }
    if (['content-length', 'host', 'accept-encoding', 'connection', 'expect'].includes(lower)) continue;
    const credential = headerCredential(h.name, h.value);
    if (credential) {
      const name = secrets.add(credential.name, credential.value, `the header ${h.name}`);
      headers.push({ key: h.name, value: `${credential.prefix}{{secrets.${name}}}` });
      found.push({ value: `{{secrets.${name}}}`, kind: 'secret' });
      continue;
    }
    headers.push({ key: h.name, value: h.value });
  }
  if (req.user) {
    const name = secrets.add('basic_auth', btoa(req.user), 'the user and password of -u (base64, as Basic sends them)');
    headers.push({ key: 'Authorization', value: `Basic {{secrets.${name}}}` });
    found.push({ value: `{{secrets.${name}}}`, kind: 'secret' });
  }

  // URL query parameters stay on the request, recognised
  const url = new URL(req.url);
  const query = recogniseRows(
    [...url.searchParams.entries()].map(([key, value]) => ({ key, value })),
    found,
    secrets,
    'the URL parameter',
  );
  url.search = '';
  url.hash = '';
  // the host belongs to the integration (one flow serves its sandbox and its live target alike)
  const baseUrl = url.origin;
  const path = url.pathname === '/' ? '' : url.pathname;

  const http: FlowNode = {
    id: 'request',
    type: 'http-request',
    position: { x: 260, y: 0 },
    params: {
      method: METHODS.includes(req.method) ? req.method : 'POST',
      url: `{{integration.settings.base_url}}${path}`,
      parse: 'auto',
      timeoutMs: req.timeoutMs ?? 10000,
    },
  };
  if (query.length) http.params.query = query;
  if (headers.length) http.params.headers = headers;
  if (!METHODS.includes(req.method)) notes.push(`The method ${req.method} is not one HTTP Request sends; it is set to POST.`);

  let builder: FlowNode | undefined;
  const rawData = req.data.join('&');
  const trimmed = rawData.trim();
  let json: unknown;
  let isJson = false;
  if (req.data.length && (req.json || /json/i.test(contentType) || /^[{[]/.test(trimmed))) {
    try {
      json = JSON.parse(trimmed);
      isJson = true;
    } catch {
      if (req.json || /json/i.test(contentType)) notes.push('The body is not valid JSON; it is sent as text.');
    }
  }

  if (req.get && (req.data.length || req.urlencoded.length)) {
    const rows = recogniseRows([...formRows(rawData), ...req.urlencoded], found, secrets, 'the URL parameter');
    builder = { id: 'query', type: 'form-build', position: { x: 0, y: 0 }, params: { fields: rows, as: 'query' } };
    http.params.method = 'GET';
    http.params.body = 'none';
  } else if (isJson) {
    const before = found.length;
    const body = recogniseJson(json, undefined, found, secrets);
    if (found.slice(before).some((r) => r.kind === 'secret')) {
      // a body with a credential is written in the request itself, so the flow reads as one node
      Object.assign(http.params, { body: 'json', json: body });
      notes.push('The body holds a credential, so HTTP Request builds the body itself.');
    } else {
      builder = { id: 'body', type: 'json-build', position: { x: 0, y: 0 }, params: { body } };
      http.params.body = 'input';
    }
  } else if (req.data.length || req.urlencoded.length || req.form.length) {
    const looksLikeForm =
      req.urlencoded.length > 0 || req.form.length > 0 || /^[^=&\s]+=[^&]*(&[^=&\s]+=[^&]*)*$/.test(trimmed) || /form/i.test(contentType);
    if (looksLikeForm) {
      const before = found.length;
      const rows = recogniseRows([...formRows(rawData), ...req.urlencoded, ...req.form], found, secrets, 'the form field');
      if (req.form.length)
        notes.push(
          'The example sends a multipart form (-F); it is sent as an ordinary form (application/x-www-form-urlencoded), which most targets also take.',
        );
      if (found.slice(before).some((r) => r.kind === 'secret')) {
        Object.assign(http.params, { body: 'form', form: rows });
        notes.push('The form holds a credential, so HTTP Request builds the form itself.');
      } else {
        builder = { id: 'form', type: 'form-build', position: { x: 0, y: 0 }, params: { fields: rows, as: 'form' } };
        http.params.body = 'input';
      }
    } else {
      Object.assign(http.params, { body: 'text', text: rawData });
      if (contentType) http.params.contentType = contentType;
    }
  } else {
    http.params.body = 'none';
  }
  if (contentType && !/json|x-www-form-urlencoded|multipart/i.test(contentType) && http.params.body !== 'text')
    http.params.contentType = contentType;

  const offers = [...new Set(found.filter((r) => r.kind === 'offer').map((r) => r.value.replace(/^\{\{offer\.params\.|\}\}$/g, '')))];
  if (offers.length) notes.push(`Offer parameters used: ${offers.join(', ')}. Give each offer these parameters.`);
  const leadFields = [...new Set(found.filter((r) => r.kind === 'lead').map((r) => r.value.replace(/^\{\{lead\.|\}\}$/g, '')))];
  if (leadFields.length) notes.push(`Recognised lead fields: ${leadFields.join(', ')}.`);

  const nodes = builder ? [builder, http] : [{ ...http, position: { x: 0, y: 0 } }];
  const edges: FlowEdge[] = builder ? [{ id: 'e1', source: builder.id, sourceHandle: 'out', target: http.id, targetHandle: 'in' }] : [];
  return { nodes, edges, notes, secrets: secrets.list, baseUrl };
}
