/**
 * Inbound postbacks: a target calls `/postback/:integration?token=…` with a lead's status; the
 * integration's `postback.in` flow finds the lead (by `oid` or `eid`) and moves it.
 *
 * Before anything runs the call must pass, in this order: the integration's IP allow-list (if it
 * has one), its token (the current one, or the previous one while its grace lasts, compared in
 * constant time) and its signature (if it asks for one). A call that fails any of them is answered
 * 401/403 with the reason and changes nothing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { ConfigStore } from '../store/types.ts';
import type { Integration, PostbackSignature } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowRunner } from './runs.ts';

export interface PostbackAnswer {
  status: number;
  body: unknown;
}

/** A postback call as it arrived: what the checks look at besides the parsed query and body. */
export interface PostbackCall {
  /** The token sent (query `token`, or a body field `token`). */
  token: unknown;
  /** The caller's address, as Express gives it (`req.ip`, which honours `trust proxy`). */
  ip: string | undefined;
  query: Record<string, unknown>;
  body: unknown;
  /** The body's bytes as received (empty without a body), for a signature over the body. */
  rawBody: Buffer;
  /** The query string exactly as sent, without the `?`, for a signature over the query. */
  rawQuery: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Equal in constant time. Both sides are hashed first so the buffers compared always have the
 * same length and the comparison leaks neither the token's content nor its length.
 */
function sameSecret(given: string | Buffer, expected: string | Buffer): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is the IPv4 address it carries. */
function plainAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1] : ip;
}

/** Why an allow-list entry is not a CIDR or an address (undefined when it is one). */
export function cidrProblem(entry: string): string | undefined {
  const [address, prefix, ...rest] = entry.trim().split('/');
  const family = isIP(address);
  if (rest.length || !family) return `"${entry}" is not an IP address or a CIDR such as 10.0.0.0/8`;
  if (prefix === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `"${entry}": the prefix length must be 0 to ${max}`;
  return undefined;
}

/** Whether `ip` is inside one of the allow-list's CIDRs (entries are checked when saved). */
export function allowedBy(list: readonly string[], ip: string | undefined): boolean {
  if (!ip) return false;
  const address = plainAddress(ip);
  const family = isIP(address);
  if (!family) return false;
  const blocks = new BlockList();
  for (const entry of list) {
    if (cidrProblem(entry)) continue;
    const [network, prefix] = entry.trim().split('/');
    const type = isIP(network) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) blocks.addAddress(network, type);
    else blocks.addSubnet(network, Number(prefix), type);
  }
  return blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether the token is the integration's current one, or its previous one within the grace period. */
function tokenAccepted(integration: Integration, token: unknown, now: number): boolean {
  if (typeof token !== 'string' || !token) return false;
  // both are compared every time, so the answer's timing does not tell which one matched
  const current = Boolean(integration.postbackToken) && sameSecret(token, integration.postbackToken);
  const inGrace = Boolean(integration.previousToken && integration.previousTokenUntil && Date.parse(integration.previousTokenUntil) > now);
  const previous = inGrace && sameSecret(token, integration.previousToken as string);
  return current || previous;
}

/** Why the call's signature is not right (undefined when it is). */
function signatureProblem(signature: PostbackSignature, integration: Integration, call: PostbackCall): string | undefined {
  const sent = call.headers[signature.header.toLowerCase()];
  const value = Array.isArray(sent) ? sent[0] : sent;
  if (!value) return `the signature header ${signature.header} is missing`;
  const key = integration.secrets[signature.secret];
  if (!key) return 'the signature cannot be checked: its secret is not set';
  const signed = signature.over === 'body' ? call.rawBody : Buffer.from(call.rawQuery, 'utf8');
  const expected = createHmac(signature.algorithm, key).update(signed).digest();
  const hex = value.trim().replace(new RegExp(`^${signature.algorithm}=`, 'i'), '');
  if (!/^[0-9a-fA-F]+$/.test(hex)) return `the signature in ${signature.header} is not hex`;
  return sameSecret(Buffer.from(hex, 'hex'), expected) ? undefined : `the signature in ${signature.header} does not match`;
}

function withoutToken(body: Record<string, unknown>): Record<string, unknown> {
  const { token: _token, ...rest } = body;
  return rest;
}

const refusal = (status: 401 | 403, field: string, message: string): PostbackAnswer => ({
  status,
  body: { ok: false, error: status === 401 ? 'unauthorized' : 'forbidden', field, message },
});

export class InboundPostbacks {
  constructor(
    private readonly config: ConfigStore,
    private readonly runner: FlowRunner,
  ) {}

  async receive(integrationId: string, call: PostbackCall): Promise<PostbackAnswer> {
    const integration = await this.config.getIntegration(integrationId);
    if (!integration) throw new DomainError('not_found', `no integration "${integrationId}"`, { field: 'integration' });
    const allowList = integration.postbackAllowedIps ?? [];
    if (allowList.length && !allowedBy(allowList, call.ip)) {
      return refusal(403, 'ip', `postbacks for this integration are not accepted from ${call.ip ?? 'an unknown address'}`);
    }
    if (!tokenAccepted(integration, call.token, Date.now())) return refusal(401, 'token', 'missing or wrong token');
    if (integration.postbackSignature) {
      const problem = signatureProblem(integration.postbackSignature, integration, call);
      if (problem) return refusal(401, 'signature', problem);
    }
    // the token stays out of what the flow sees, so no execution record or lead field keeps it
    const { token: _token, ...rest } = call.query;
    const given = call.body ?? {};
    const body = typeof given === 'object' && !Array.isArray(given) ? withoutToken(given as Record<string, unknown>) : given;
    const result = await this.runner.runPostback(integration, { query: rest, body });
    if (result.response) return result.response;
    if (result.error) {
      const status = result.error.code === 'lead_not_found' ? 404 : 422;
      return { status, body: { ok: false, error: result.error.code, message: result.error.message, execution: result.execution.id } };
    }
    return { status: 200, body: { ok: true, execution: result.execution.id } };
  }
}
