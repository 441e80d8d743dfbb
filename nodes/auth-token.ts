import { httpBuildQuery } from '../core/template/php.ts';
import { parsePath, resolvePath, stringify } from '../core/template/template.ts';
import { defineNode, SecretNotStored, type NodeCache, type NodeContext, type NodeResult, type SharedCache } from '../core/node/contract.ts';
import { param, type ParamValues } from '../core/node/params.ts';
import { fullUrl, isObject, rowsToObject } from '../core/node/values.ts';
import { oauthTokenRequest, readOAuthAnswer, type OAuthGrant } from '../core/node/oauth.ts';

/** What the cache keeps per login. */
interface CachedToken {
  token: string;
  expiresAt: number;
  /** When it was obtained: a refresh node takes only a token obtained after it asked. */
  obtainedAt: number;
}

/** Declared apart from the node so the helpers below can name the params' type. */
const authTokenParams = {
  mode: param.select(['cached', 'refresh', 'clear'], {
    label: 'Mode',
    help: 'cached: reuse the token while it lives, log in when there is none. refresh: log in again now (e.g. after a 401 answer). clear: forget the token.',
    default: 'cached',
  }),
  grant: param.select(['login', 'client_credentials', 'refresh_token'], {
    label: 'How to get the token',
    help: "login: the target's own login call, described below. client_credentials: OAuth 2 with a client id and secret. refresh_token: OAuth 2 with a refresh token (a new one the server answers is kept and used next).",
    default: 'login',
    showIf: { mode: ['cached', 'refresh'] },
  }),
  method: param.select(['POST', 'GET'], {
    label: 'Login method',
    help: "The HTTP method of the target's login call, almost always POST.",
    default: 'POST',
    showIf: { mode: ['cached', 'refresh'], grant: 'login' },
  }),
  url: param.template({
    label: 'Login or token URL',
    help: 'The full address of the login call or OAuth 2 token endpoint, e.g. {{integration.settings.base_url}}/api/auth/login or …/oauth/token.',
    placeholder: 'https://crm.example.com/api/auth/login',
    required: true,
    showIf: { mode: ['cached', 'refresh'] },
  }),
  body: param.select(['json', 'form', 'none'], {
    label: 'Login body',
    help: 'json: the JSON below. form: the form fields below. none: no body (credentials in the URL or headers).',
    default: 'json',
    showIf: { mode: ['cached', 'refresh'], grant: 'login' },
  }),
  json: param.json({
    label: 'Login JSON',
    help: "The credentials as the target wants them; take them from the integration's secrets, e.g. {{secrets.password}}.",
    default: { username: '{{secrets.username}}', password: '{{secrets.password}}' },
    showIf: { body: 'json', grant: 'login' },
  }),
  form: param.keyValue({
    label: 'Login form fields',
    help: 'Sent as an HTML form, e.g. login → {{secrets.username}}.',
    showIf: { body: 'form', grant: 'login' },
  }),
  clientId: param.template({
    label: 'Client id',
    help: 'OAuth 2: the client id the target gave you, e.g. {{secrets.client_id}}.',
    default: '{{secrets.client_id}}',
    showIf: { grant: ['client_credentials', 'refresh_token'] },
  }),
  clientSecret: param.secret({
    label: 'Client secret',
    help: 'OAuth 2: the client secret, e.g. {{secrets.client_secret}}. Empty for a public client.',
    default: '{{secrets.client_secret}}',
    showIf: { grant: ['client_credentials', 'refresh_token'] },
  }),
  clientAuth: param.select(['basic', 'body'], {
    label: 'Send the client id and secret',
    help: 'basic: as an Authorization: Basic header (client_secret_basic, what most servers take). body: as form fields (client_secret_post).',
    default: 'basic',
    showIf: { grant: ['client_credentials', 'refresh_token'] },
  }),
  scope: param.template({
    label: 'Scope',
    help: 'OAuth 2: the scopes to ask for, separated by spaces. Empty: none.',
    showIf: { grant: ['client_credentials', 'refresh_token'] },
  }),
  refreshToken: param.secret({
    label: 'Refresh token',
    help: 'OAuth 2: the first refresh token, e.g. {{secrets.refresh_token}}. When the server answers a new one, that one is used from then on.',
    default: '{{secrets.refresh_token}}',
    showIf: { grant: 'refresh_token' },
  }),
  keepIn: param.text({
    label: 'Keep a new refresh token in the secret',
    help: 'OAuth 2: the integration secret a rotated refresh token is stored in (encrypted, before it is used), so a restart goes on with it; one refresh at a time. Empty: kept in memory only, and lost on restart.',
    default: 'refresh_token',
    showIf: { grant: 'refresh_token' },
  }),
  headers: param.keyValue({
    label: 'Login headers',
    help: 'Extra headers of the login call, e.g. X-Api-Key → {{secrets.api_key}}.',
    showIf: { mode: ['cached', 'refresh'] },
  }),
  tokenPath: param.text({
    label: 'Token in the answer',
    help: 'Where the token is in the login answer, as a path: body.token, body.data.access_token, headers.x-token.',
    default: 'body.token',
    showIf: { mode: ['cached', 'refresh'], grant: 'login' },
  }),
  expiresPath: param.text({
    label: 'Lifetime in the answer',
    help: 'Where the answer says how long the token lives, e.g. body.expires_in. Empty: use the lifetime below.',
    default: 'body.expires_in',
    showIf: { mode: ['cached', 'refresh'], grant: 'login' },
  }),
  expiresAs: param.select(['seconds', 'milliseconds', 'timestamp', 'date'], {
    label: 'Lifetime is',
    help: 'seconds / milliseconds: how long it lives from now. timestamp: the moment it expires, in Unix seconds. date: the moment it expires, as a date text.',
    default: 'seconds',
    showIf: { mode: ['cached', 'refresh'], grant: 'login' },
  }),
  lifetimeSeconds: param.number({
    label: 'Lifetime when not given (s)',
    help: 'How long to keep a token when the answer does not say: 3600 = one hour.',
    default: 3600,
    min: 1,
    showIf: { mode: ['cached', 'refresh'] },
  }),
  refreshEarlySeconds: param.number({
    label: 'Log in again early (s)',
    help: 'Log in this many seconds before the token expires, so no request goes out with a token about to die.',
    default: 60,
    min: 0,
    showIf: { mode: ['cached', 'refresh'] },
  }),
  put: param.text({
    label: 'Put the token into',
    help: 'header:NAME adds a header for the next HTTP Request, query:NAME a URL parameter. Empty: only {{input.token}}.',
    default: 'header:Authorization',
    showIf: { mode: ['cached', 'refresh'] },
  }),
  prefix: param.text({
    label: 'Prefix',
    help: 'Written before the token, e.g. "Bearer " (with the space). Empty: the token alone.',
    default: 'Bearer ',
    showIf: { mode: ['cached', 'refresh'] },
  }),
  cacheKey: param.text({
    label: 'Cache name',
    help: 'Nodes with the same name share one token within the integration; a clear or refresh node must use the name of the node it clears.',
    default: 'token',
  }),
  timeoutMs: param.number({
    label: 'Login timeout (ms)',
    help: 'How long to wait for the login answer. 10000 = 10 seconds.',
    default: 10000,
    min: 1,
    max: 120000,
    showIf: { mode: ['cached', 'refresh'] },
  }),
};

type AuthTokenParams = ParamValues<typeof authTokenParams>;

/**
 * Auth Token: logs in to the target once and reuses the session token until it expires.
 *
 * The login request (method, URL, JSON or form body, headers; `{{secrets.x}}` allowed) is sent
 * only when the cache has no live token for this integration and `cacheKey`; the token and its
 * lifetime are read from the answer by paths (`body.token`, `body.expires_in`). The token is kept
 * until a little before it expires (`refreshEarlySeconds`). A login with other credentials is
 * another cache entry, so changing a password never reuses the old token.
 *
 * The token is kept in `context.shared` when the host gives one (core/node/contract.ts
 * `SharedCache`): one login at a time per cache entry, and the runs that waited take its token —
 * across every runtime process on a shared database too, so N processes log in once, not N times.
 * A host without it (a browser preview) keeps it in `context.cache`, with no lock.
 *
 * With `grant: client_credentials` or `refresh_token` it gets the token the OAuth 2 way (RFC 6749):
 * a form POST to the token endpoint, the client authenticated by Basic or by form fields, the
 * token from `access_token`, its lifetime from `expires_in`, asked for again `refreshEarlySeconds`
 * before it expires (by at most half its life). A refresh token the server answers (rotation) is
 * stored in the integration's secret named by `keepIn` (`refresh_token` by default) through
 * `context.secrets` (core/node/contract.ts `SecretKeeper`): one refresh at a time per integration
 * — across processes too — the stored value read afresh and spent, the new one written encrypted
 * and synced to disk before the access token is handed on, so neither a second run nor a restart
 * sends a spent token; a run that waited for another's refresh takes the token it got. A new token
 * that could not be stored fails the run retryably (`secret_not_stored`) and is stored by the next.
 * With `keepIn` empty, or a host without a store (the CLI), the rotated token is kept in the
 * cache only and lost on restart; refused there (`invalid_grant`), it is forgotten. The request
 * goes through the node's HTTP client, as every request does (outbound policy, allowed hosts,
 * execution log).
 *
 * Modes: `cached` (the default) as above; `refresh` logs in even with a live token (after a later
 * request answered 401, say); `clear` only forgets the token and passes its input on.
 *
 * Ports:
 * - `out` → `{ ...input, token, headers }`: with `put: header:Authorization` and prefix `Bearer `,
 *   the input's `headers` gain `Authorization: Bearer <token>` for HTTP Request to send
 *   (`query:NAME` puts it into the input's `query` instead; empty `put` adds nothing);
 * - `failed` (the login was refused, or its answer has no token) → `{ status, body, error }`,
 *   failure `login_failed` (not retryable). A target that is down, slow or answers 408, 425, 429
 *   or 5xx stops the flow with a retryable failure instead, as HTTP Request does, and so does a
 *   3xx the HTTP client did not follow (failure `redirect`).
 *
 * The token (and a refresh token) is marked secret: every record and log shows `[secret]` in its
 * place. It is the target's, not the integration's secret: a Respond answer, a lead field or a
 * request that the flow puts it into gets it as it is.
 */
export const authToken = defineNode({
  type: 'auth-token',
  version: 1,
  title: 'Auth Token',
  category: 'build request',
  description:
    'Logs in to the target once, keeps the session token until it expires, and adds it to the next request (e.g. Authorization: Bearer …).',
  inputs: ['in'],
  outputs: ['out', 'failed'],
  usesSecrets: true,
  rerunOnResume: true,
  params: authTokenParams,
  async execute(context) {
    const { params, input } = context;
    const store = context.shared ?? localShared(context.cache);
    const name = `auth-token:${(params.cacheKey ?? '').trim() || 'token'}`;
    if (params.mode === 'clear') {
      const current = await store.get(name);
      if (typeof current === 'string') await store.delete(current);
      await store.delete(name);
      return { output: input };
    }
    const grant = params.grant === 'client_credentials' || params.grant === 'refresh_token' ? params.grant : undefined;
    // the refresh token is left out of the key: it changes with every rotation, and the access
    // token it got stays good; any other change of credentials never reuses an old token
    const configured = grant ? oauthLogin(params, grant, '') : loginRequest(params);
    const key = `${name}:${context.hash.digest('sha256', JSON.stringify(configured), 'hex')}`;
    // Basic client credentials are a secret in a form redaction cannot see through
    const basic = /^Basic (.+)$/.exec(configured.headers.Authorization ?? '');
    if (grant && basic) context.addSecret(basic[1]);
    const asked = Date.now();
    // refresh mode: only a token obtained after this run asked (by a run it waited for) will do
    const live = async () => {
      const cached = (await store.get(key)) as CachedToken | undefined;
      return cached && cached.expiresAt > Date.now() && (params.mode !== 'refresh' || cached.obtainedAt >= asked) ? cached : undefined;
    };
    const cached = await live();
    if (cached) {
      context.addSecret(cached.token);
      context.log('token from the cache');
      return { output: withToken(input, cached.token, params) };
    }
    // one login per key at a time, in every process sharing the store: a run that waited takes the token the other got
    const result = await store.alone(key, async (): Promise<Obtained> => {
      const fresh = await live();
      if (fresh) return { ...fresh, fromCache: true };
      const obtained = await obtain(context, store, key, configured, grant, live);
      if (!('failure' in obtained) && !('fromCache' in obtained)) await keep(store, name, key, obtained, params);
      return obtained;
    });
    if ('failure' in result) return result.failure;
    const { token } = result;
    context.addSecret(token);
    if ('fromCache' in result) {
      context.log('token from the cache (refreshed by another run meanwhile)');
      return { output: withToken(input, token, params) };
    }
    context.log(`logged in; token kept for ${Math.max(0, Math.round((result.keptMs ?? 0) / 1000))} s`);
    return { output: withToken(input, token, params) };
  },
});

/** Logs in (or refreshes) as the grant says; run alone per key. */
async function obtain(
  context: NodeContext<AuthTokenParams>,
  store: SharedCache,
  key: string,
  configured: LoginRequest,
  grant: OAuthGrant | undefined,
  live: () => Promise<CachedToken | undefined>,
): Promise<Obtained> {
  const { params } = context;
  const keepIn = grant === 'refresh_token' ? (params.keepIn ?? '').trim() : '';
  if (grant === 'refresh_token' && keepIn !== '' && context.secrets) {
    try {
      return await context.secrets.renew<Obtained>(keepIn, async (current) => {
        // a run that waited for another's refresh takes its token: the spent refresh token is never sent again
        const fresh = await live();
        if (fresh) return { result: { ...fresh, fromCache: true } };
        const refreshToken = current ?? stringify(params.refreshToken);
        context.addSecret(refreshToken);
        const obtained = await logIn(context, oauthLogin(params, grant, refreshToken), params, grant);
        if ('failure' in obtained || !obtained.refreshToken) return { result: obtained };
        // marked before it is stored, so no record of this run shows it whatever happens next
        context.addSecret(obtained.refreshToken);
        return { keep: obtained.refreshToken, result: obtained };
      });
    } catch (error) {
      if (!(error instanceof SecretNotStored)) throw error;
      // the new refresh token is kept in memory and stored by the next run; this lead waits for it
      return { failure: { output: { error: error.message }, failure: { code: error.code, message: error.message, retryable: true } } };
    }
  }
  // without a store to keep it in, a rotated refresh token lives in the cache (lost on restart with the in-process one)
  const rotated = grant === 'refresh_token' ? await store.get(`${key}:refresh`) : undefined;
  const refreshToken = typeof rotated === 'string' ? rotated : stringify(params.refreshToken);
  if (grant === 'refresh_token') context.addSecret(refreshToken);
  const result = await logIn(context, grant ? oauthLogin(params, grant, refreshToken) : configured, params, grant);
  if (!('failure' in result) && result.refreshToken && grant === 'refresh_token') {
    context.addSecret(result.refreshToken);
    await store.set(`${key}:refresh`, result.refreshToken, REFRESH_TOKEN_KEPT_MS);
  }
  if ('failure' in result && result.invalidGrant) await store.delete(`${key}:refresh`);
  return result;
}

/** Keeps a new token until a little before it expires, and notes it as the current one under `name` (and in `obtained.keptMs`, how long). */
async function keep(store: SharedCache, name: string, key: string, obtained: LoggedIn, params: AuthTokenParams): Promise<void> {
  // early by at most half the token's life, so a short-lived token is still kept a while
  const lifetimeMs = obtained.expiresAt - Date.now();
  const earlyMs = Math.min(Math.max(0, Number(params.refreshEarlySeconds) || 0) * 1000, lifetimeMs / 2);
  const keepMs = lifetimeMs - earlyMs;
  obtained.keptMs = keepMs;
  if (keepMs > 0) {
    await store.set(key, { token: obtained.token, expiresAt: Date.now() + keepMs, obtainedAt: Date.now() } satisfies CachedToken, keepMs);
    // which entry is current under this name, for a clear node that does not know the credentials
    await store.set(name, key, keepMs);
  }
}

/**
 * The node's own cache seen as a {@link SharedCache}, for a host that shares none: one process, and
 * no lock (without a shared store, runs log in side by side as they always did). No cache at all: nothing kept.
 */
function localShared(cache: NodeCache | undefined): SharedCache {
  return {
    get: async (key) => cache?.get(key),
    set: async (key, value, ttlMs) => cache?.set(key, value, ttlMs),
    delete: async (key) => cache?.delete(key),
    alone: (_key, work) => work(),
  };
}

/** What a login gave: a token, a token another run got meanwhile, or the failure. */
type Obtained = LoggedIn | (CachedToken & { fromCache: true }) | { failure: NodeResult; invalidGrant?: boolean };

interface LoggedIn {
  token: string;
  expiresAt: number;
  refreshToken?: string;
  /** How long it was kept, once it was. */
  keptMs?: number;
}

/** How long a rotated refresh token is kept in memory (the cache is per runtime: a restart goes back to the configured one). */
const REFRESH_TOKEN_KEPT_MS = 90 * 86_400_000;

/** The OAuth 2 token request, with `refreshToken` for the refresh grant. */
function oauthLogin(params: AuthTokenParams, grant: OAuthGrant, refreshToken: string): LoginRequest {
  const url = fullUrl(stringify(params.url).trim(), 'Auth Token');
  const client = {
    clientId: stringify(params.clientId).trim(),
    clientSecret: stringify(params.clientSecret),
    auth: params.clientAuth === 'body' ? ('body' as const) : ('basic' as const),
    scope: stringify(params.scope),
  };
  const { headers, body } = oauthTokenRequest(grant, client, refreshToken.trim());
  for (const row of params.headers ?? []) {
    if (row.key.trim() !== '' && row.value !== undefined && row.value !== null) headers[row.key.trim()] = stringify(row.value);
  }
  return { method: 'POST', url, headers, body };
}

interface LoginRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function loginRequest(params: AuthTokenParams): LoginRequest {
  const url = fullUrl(stringify(params.url).trim(), 'Auth Token');
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (params.method !== 'GET' && params.body === 'json') {
    body = JSON.stringify(params.json ?? {});
    headers['Content-Type'] = 'application/json';
  } else if (params.method !== 'GET' && params.body === 'form') {
    body = httpBuildQuery(rowsToObject(params.form));
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  for (const row of params.headers ?? []) {
    if (row.key.trim() !== '' && row.value !== undefined && row.value !== null) headers[row.key.trim()] = stringify(row.value);
  }
  return { method: params.method === 'GET' ? 'GET' : 'POST', url, headers, body };
}

async function logIn(
  context: NodeContext<AuthTokenParams>,
  login: LoginRequest,
  params: AuthTokenParams,
  grant: OAuthGrant | undefined,
): Promise<LoggedIn | { failure: NodeResult; invalidGrant?: boolean }> {
  const timeoutMs = Number(params.timeoutMs) > 0 ? Number(params.timeoutMs) : 10000;
  const exchange = await context.http.send({ ...login, timeoutMs });
  if (exchange.outcome !== 'answer') {
    const message = `login: ${exchange.error || exchange.outcome}`;
    return { failure: { output: { error: message }, failure: { code: exchange.outcome, message, retryable: true } } };
  }
  const status = exchange.status ?? 0;
  const answer = { status, headers: lowerKeys(exchange.headers ?? {}), body: parseBody(exchange.text ?? '') };
  // a redirect the HTTP client did not follow and a busy target are not a refused login: tried again later
  if (status >= 300 && status < 400) {
    const message = `login: HTTP ${status} was not followed (307/308 are followed for any method, 301/302/303 for GET, up to 3 hops)`;
    return { failure: { output: answer, failure: { code: 'redirect', message, retryable: true } } };
  }
  if (status >= 500 || status === 408 || status === 425 || status === 429) {
    const message = `login: HTTP ${status}`;
    return { failure: { output: answer, failure: { code: 'http_error', message, retryable: true } } };
  }
  if (grant) {
    const oauth = readOAuthAnswer(answer.body);
    if (status >= 200 && status < 300 && oauth.accessToken) {
      const lifetime = oauth.expiresInSeconds ?? (Number(params.lifetimeSeconds) > 0 ? Number(params.lifetimeSeconds) : 3600);
      return { token: oauth.accessToken, expiresAt: Date.now() + lifetime * 1000, refreshToken: oauth.refreshToken };
    }
    const message =
      status >= 200 && status < 300
        ? 'token request: no access_token in the answer'
        : `token request refused: HTTP ${status}${oauth.error ? ` (${oauth.error})` : ''}`;
    return {
      failure: { port: 'failed', output: { ...answer, error: message }, failure: { code: 'login_failed', message, retryable: false } },
      invalidGrant: oauth.error?.startsWith('invalid_grant'),
    };
  }
  const token = status >= 200 && status < 300 ? stringify(read(answer, params.tokenPath || 'body.token')).trim() : '';
  if (token === '') {
    const message =
      status >= 200 && status < 300 ? `login: no token at ${params.tokenPath} in the answer` : `login refused: HTTP ${status}`;
    return {
      failure: { port: 'failed', output: { ...answer, error: message }, failure: { code: 'login_failed', message, retryable: false } },
    };
  }
  return { token, expiresAt: expiry(read(answer, params.expiresPath ?? ''), params) };
}

/** When the token expires, in epoch ms, from what the answer says (or the default lifetime). */
function expiry(value: unknown, params: AuthTokenParams): number {
  const now = Date.now();
  const fallback = now + (Number(params.lifetimeSeconds) > 0 ? Number(params.lifetimeSeconds) : 3600) * 1000;
  if (value === undefined || value === null || value === '') return fallback;
  if (params.expiresAs === 'date') {
    const at = new Date(String(value).replace(' ', 'T')).getTime();
    return Number.isNaN(at) ? fallback : at;
  }
  const n = Number(value);
  if (!Number.isFinite(n)) return fallback;
  if (params.expiresAs === 'milliseconds') return now + n;
  if (params.expiresAs === 'timestamp') return n * 1000;
  return now + n * 1000;
}

function withToken(input: unknown, token: string, params: AuthTokenParams): Record<string, unknown> {
  const output: Record<string, unknown> = { ...(isObject(input) ? input : {}), token };
  const put = (params.put ?? '').trim();
  const match = /^(header|query):(.+)$/.exec(put);
  if (put !== '' && !match) throw new Error(`Auth Token: "put" must be header:NAME or query:NAME, not "${put}"`);
  if (match) {
    const where = match[1] === 'header' ? 'headers' : 'query';
    output[where] = { ...(isObject(output[where]) ? output[where] : {}), [match[2].trim()]: `${params.prefix ?? ''}${token}` };
  }
  return output;
}

function read(answer: unknown, path: string): unknown {
  if (path.trim() === '') return undefined;
  return resolvePath(answer, parsePath(path.trim()));
}

function parseBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // not JSON after all: keep the text for the log
    }
  }
  return text;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
