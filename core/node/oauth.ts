/**
 * The OAuth 2 token request (RFC 6749 §4.4 client credentials, §6 refresh token) as Auth Token
 * sends it through the node's own HTTP client — so the outbound policy, the allowed-hosts rule for
 * secrets and the execution log apply to it like to every other request — and the reading of its
 * answer (§5.1, §5.2).
 */
import { httpBuildQuery } from '../template/php.ts';

export type OAuthGrant = 'client_credentials' | 'refresh_token';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** `basic`: HTTP Basic with the client's id and secret (client_secret_basic, the default the RFC asks servers to support); `body`: both as form fields (client_secret_post). */
  auth: 'basic' | 'body';
  /** Space-separated scopes; empty: none asked for. */
  scope?: string;
}

/** application/x-www-form-urlencoded, which §2.3.1 asks of the id and secret before Basic encoding. */
const formEncode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The token request's headers and form body. */
export function oauthTokenRequest(
  grant: OAuthGrant,
  client: OAuthClient,
  refreshToken?: string,
): { headers: Record<string, string>; body: string } {
  const fields: Record<string, string> = { grant_type: grant };
  if (grant === 'refresh_token') fields.refresh_token = refreshToken ?? '';
  if (client.scope?.trim()) fields.scope = client.scope.trim();
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  if (client.auth === 'body') {
    fields.client_id = client.clientId;
    if (client.clientSecret !== '') fields.client_secret = client.clientSecret;
  } else {
    headers.Authorization = `Basic ${base64(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`)}`;
  }
  return { headers, body: httpBuildQuery(fields) };
}

/** What a token answer says: the access token, its lifetime, a new refresh token (rotation), or the error. */
export interface OAuthAnswer {
  accessToken?: string;
  expiresInSeconds?: number;
  refreshToken?: string;
  /** `invalid_grant`, `invalid_client`, … with the description when the server gives one. */
  error?: string;
}

export function readOAuthAnswer(body: unknown): OAuthAnswer {
  if (body === null || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const seconds = typeof b.expires_in === 'number' ? b.expires_in : Number(text(b.expires_in));
  const error = text(b.error);
  return {
    accessToken: text(b.access_token),
    expiresInSeconds: Number.isFinite(seconds) && seconds > 0 ? seconds : undefined,
    refreshToken: text(b.refresh_token),
    error: error && (text(b.error_description) ? `${error}: ${text(b.error_description)}` : error),
  };
}
