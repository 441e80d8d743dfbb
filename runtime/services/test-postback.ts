/**
 * "Send a test postback": a postback for a sample lead, really sent to the webmaster's tracker
 * through the runtime's agent (the outbound policy applies as for every postback), and the
 * tracker's answer — status, the start of its body, the time it took — or why nothing was sent.
 * Nothing is stored: no lead, no job; the test is audited.
 */
import type { Dispatcher } from 'undici';
import type { ConfigStore } from '../store/types.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { isStage } from '../../core/domain/lead.ts';
import type { TestPostbackAnswer, TestPostbackRequest } from '../../core/api.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { expandPostbackUrl, postbackUrlFor, unknownMacros } from '../../core/domain/postback-macros.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import { callTracker } from './postbacks-out.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/** The sample lead's fields a postback URL may name: plainly a test, so a tracker's log shows it as one. */
function sampleLead(webmaster: string, offer: string, stream: string | undefined, stage: Lead['stage']): Lead {
  const now = new Date().toISOString();
  return {
    id: 1000001,
    eid: 'TEST-1',
    offer,
    wm: webmaster,
    flow: stream,
    integration: 'test',
    stage,
    status: 'test postback',
    statusComment: 'sent by leadflow’s “Send a test postback”',
    payout: 10,
    country: 'DE',
    subid: 'leadflow-test-click',
    sub1: 'test',
    utm_source: 'leadflow-test',
    name: 'Test Lead',
    phone: '+491512345678',
    created_at: now,
    updated_at: now,
  };
}

/** The values each macro takes for the sample lead, as the screen lists them. */
function sampleValues(url: string, lead: Lead, currency: string | undefined): Record<string, string> {
  const names = [...url.matchAll(/\{([a-z0-9_]+)\}/gi)].map((m) => m[1]);
  const values: Record<string, string> = {};
  for (const name of names) {
    const one = expandPostbackUrl(`{${name}}`, lead, { currency });
    if (one !== `{${name}}`) values[name] = decodeURIComponent(one);
  }
  return values;
}

export class TestPostbacks {
  constructor(
    private readonly config: ConfigStore,
    /** The runtime's shared agent, made under the outbound policy. */
    private readonly agent: Dispatcher,
    private readonly audit: AuditRecorder = NO_AUDIT,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * @throws DomainError `not_found` (no such webmaster), `invalid_field` naming `url`, `stream` or `stage`
   */
  async send(webmasterId: string, body: unknown, actor?: SessionUser): Promise<TestPostbackAnswer> {
    const webmaster = await this.config.getWebmaster(webmasterId);
    if (!webmaster) throw new DomainError('not_found', `no webmaster "${webmasterId}"`, { field: 'id' });
    const given = (body ?? {}) as TestPostbackRequest;
    if (given.stream !== undefined && (typeof given.stream !== 'string' || given.stream.length > 64))
      throw new DomainError('invalid_field', 'must be a stream id', { field: 'stream' });
    if (given.stage !== undefined && !isStage(given.stage)) throw new DomainError('invalid_field', 'is not a stage', { field: 'stage' });
    if (given.url !== undefined && typeof given.url !== 'string') throw new DomainError('invalid_field', 'must be a URL', { field: 'url' });
    const stream = given.stream || undefined;
    const template = given.url?.trim() || postbackUrlFor(webmaster, { flow: stream });
    if (!template) {
      throw new DomainError('invalid_field', `webmaster "${webmaster.id}" has no postback URL${stream ? ` for stream ${stream}` : ''}`, {
        field: 'url',
      });
    }
    if (!/^https?:\/\/[^/?#]+/i.test(template)) throw new DomainError('invalid_field', 'must be an http(s) URL', { field: 'url' });

    const offer = (await this.config.listOffers())[0];
    const currency = offer?.parameters.currency;
    const lead = sampleLead(webmaster.id, offer?.id ?? 'sample-offer', stream, given.stage ?? 'approve');
    const url = expandPostbackUrl(template, lead, { currency });
    try {
      new URL(url);
    } catch {
      throw new DomainError('invalid_field', 'is not a URL once its macros are filled in', { field: 'url' });
    }
    const call = await callTracker(url, { agent: this.agent, timeoutMs: this.timeoutMs, readBody: true });
    const ok = call.status !== undefined && call.status >= 200 && call.status < 300;
    await this.audit.record({
      action: 'webmaster.test-postback',
      resourceType: 'webmaster',
      resourceId: webmaster.id,
      note: call.status !== undefined ? `${url} answered HTTP ${call.status}` : `${url}: ${call.error}`,
      actor,
    });
    return {
      url,
      sample: sampleValues(template, lead, currency),
      ok,
      ...(call.status !== undefined && { status: call.status, body: call.body ?? '' }),
      durationMs: call.durationMs,
      ...(call.error !== undefined && { error: call.error }),
      ...(call.refused && { refused: true }),
      unknownMacros: unknownMacros(template),
    };
  }
}
