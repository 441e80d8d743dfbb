/**
 * What the token tests share: a CRM behind OAuth 2 whose refresh tokens are single-use (each
 * refresh answers a new one and the one sent is dead from then on) and whose access tokens live
 * 2 s, the `lead.new` flow that delivers to it through Auth Token, and a data folder set up for it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRuntime } from '../support/harness.ts';

export const CLIENT = { id: 'leadflow-client', secret: 'client-secret-4e1d' };
export const FIRST_REFRESH_TOKEN = 'rt-0000-first-token';
const ACCESS_TOKEN_MS = 2_000;

export interface OAuthTarget {
  url: string;
  /** The refresh token the server takes now: the last one it answered. */
  readonly current: string;
  /** Every refresh it answered, in order. */
  rotations: Array<{ spent: string; issued: string; at: number }>;
  /** Refreshes it refused: a refresh token sent twice, or one it never issued (a lost rotation). */
  refused: string[];
  /** Lead requests it answered 401: no or an expired access token. */
  unauthorized: number;
  /** Our lead ids it took, in arrival order (a retry may repeat one). */
  leads: number[];
  /** Token requests received and not answered yet. */
  readonly tokenRequestsInFlight: number;
  close(): Promise<void>;
}

export async function startOAuthTarget(): Promise<OAuthTarget> {
  let current = FIRST_REFRESH_TOKEN;
  let issued = 0;
  let inFlight = 0;
  const accessTokens = new Map<string, number>();
  // the arrays are shared with the answer below; the counter is read through a getter
  const target = { rotations: [] as OAuthTarget['rotations'], refused: [] as string[], leads: [] as number[] };
  let unauthorized = 0;
  const answer = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const token = req.url === '/oauth/token';
    if (token) inFlight++;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (token) {
        // a few ms of work, as a real token endpoint takes
        setTimeout(() => {
          inFlight--;
          const form = new URLSearchParams(text);
          const basic = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
          if (basic !== `${CLIENT.id}:${CLIENT.secret}`) return answer(res, 401, { error: 'invalid_client' });
          const sent = form.get('refresh_token') ?? '';
          if (form.get('grant_type') !== 'refresh_token' || sent !== current) {
            target.refused.push(sent);
            return answer(res, 400, { error: 'invalid_grant', error_description: 'refresh token already used or unknown' });
          }
          issued++;
          const next = `rt-${String(issued).padStart(4, '0')}-${Math.random().toString(36).slice(2, 12)}`;
          target.rotations.push({ spent: current, issued: next, at: Date.now() });
          current = next;
          const access = `at-${issued}-${Math.random().toString(36).slice(2, 14)}`;
          accessTokens.set(access, Date.now() + ACCESS_TOKEN_MS);
          answer(res, 200, { access_token: access, token_type: 'Bearer', expires_in: ACCESS_TOKEN_MS / 1000, refresh_token: next });
        }, 5);
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      if (!((accessTokens.get(bearer) ?? 0) > Date.now())) {
        unauthorized++;
        return answer(res, 401, { error: 'invalid_token' });
      }
      const lead = JSON.parse(text || '{}') as { ref?: unknown };
      target.leads.push(Number(lead.ref));
      answer(res, 200, { id: `C-${lead.ref}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...target,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get current() {
      return current;
    },
    get unauthorized() {
      return unauthorized;
    },
    get tokenRequestsInFlight() {
      return inFlight;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The `lead.new` flow: the lead as JSON, an access token from the refresh token, POST, keep the CRM's id. */
export const oauthDeliveryFlow = {
  id: 'oauth-send',
  name: 'Send a lead to the OAuth CRM',
  event: 'lead.new',
  version: 1,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'order', type: 'json-build', position: { x: 200, y: 0 }, params: { body: { ref: '{{lead.id}}', name: '{{lead.name}}' } } },
    {
      id: 'auth',
      type: 'auth-token',
      position: { x: 400, y: 0 },
      params: {
        grant: 'refresh_token',
        url: '{{integration.settings.base_url}}/oauth/token',
        clientId: '{{secrets.client_id}}',
        clientSecret: '{{secrets.client_secret}}',
        refreshToken: '{{secrets.refresh_token}}',
        keepIn: 'refresh_token',
        refreshEarlySeconds: 0.5,
      },
    },
    {
      id: 'send',
      type: 'http-request',
      position: { x: 600, y: 0 },
      params: { method: 'POST', url: '{{integration.settings.base_url}}/leads', body: 'input', timeoutMs: 10_000 },
    },
    { id: 'answer', type: 'extract', position: { x: 800, y: 0 }, params: { fields: [{ key: 'eid', value: 'body.id' }], required: 'eid' } },
    { id: 'accepted', type: 'update-lead', position: { x: 1000, y: 0 }, params: { stage: 'wait', setEid: '{{input.eid}}' } },
  ],
  edges: [
    { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
    { id: 'e2', source: 'order', sourceHandle: 'out', target: 'auth', targetHandle: 'in' },
    { id: 'e3', source: 'auth', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
    { id: 'e4', source: 'send', sourceHandle: 'out', target: 'answer', targetHandle: 'in' },
    { id: 'e5', source: 'answer', sourceHandle: 'out', target: 'accepted', targetHandle: 'in' },
  ],
};

/** The integration `crm` for offer `tea`, delivering with the flow above, many deliveries at once. */
export function oauthIntegration(targetUrl: string) {
  return {
    id: 'crm',
    name: 'OAuth CRM',
    enabled: true,
    concurrency: 16,
    settings: { base_url: targetUrl },
    secrets: { client_id: CLIENT.id, client_secret: CLIENT.secret, refresh_token: FIRST_REFRESH_TOKEN },
    offers: ['tea'],
    flows: { 'lead.new': 'oauth-send' },
  };
}

/** Sets up flow, offer and integration through the API of a runtime `api` talks to. */
export async function setUpOAuthIntegration(
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>,
  targetUrl: string,
): Promise<void> {
  for (const [path, body] of [
    ['/api/flows', oauthDeliveryFlow],
    ['/api/offers', { id: 'tea', name: 'Tea', parameters: {} }],
    ['/api/integrations', oauthIntegration(targetUrl)],
  ] as const) {
    const r = await api('POST', path, body);
    if (r.status >= 300) throw new Error(`setup ${path} failed: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/** A data folder set up by the runtime itself in this process, then closed: for a child-process runtime. */
export async function prepareOAuthDataDir(targetUrl: string): Promise<{ dataDir: string; intakeKey: string }> {
  const t = await startRuntime();
  await setUpOAuthIntegration(t.api, targetUrl);
  await t.close();
  return { dataDir: t.dataDir, intakeKey: t.intakeKey };
}
