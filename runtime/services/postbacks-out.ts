/**
 * Outgoing postbacks to webmasters' trackers: one job per stage change (enqueued with the change,
 * keyed so it exists once), sent from the queue and retried with backoff until the tracker
 * answers 2xx. Macros in the URL are expanded when it is sent. They go through the runtime's shared
 * agent, so the outbound policy applies at connect time; a refused postback fails for good at once
 * (retrying cannot change the address it points at), with the refusal as the attempt's error.
 * Redirects are not followed (undici's `request` does not). The macros and their expansion are the
 * kernel's (core/domain/postback-macros.ts).
 */
import { request, type Dispatcher } from 'undici';
import { outboundRefusalOf } from '../engine/outbound-policy.ts';
import { REDACTED, Redactor } from '../engine/redact.ts';
import type { ConfigStore, Job, LeadStore } from '../store/types.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { expandPostbackUrl, postbackUrlFor } from '../../core/domain/postback-macros.ts';
import type { PostbackAttempt } from '../../core/domain/job.ts';
import type { JobHandler, JobOutcome } from './queue.ts';

/** Attempts kept per postback: enough to debug, bounded for a tracker down for days. */
const MAX_ATTEMPTS_KEPT = 30;

/** How much of a tracker's answer a test postback shows. */
export const ANSWER_EXCERPT_CHARS = 500;

/** What one postback request came to: the tracker's answer, or why there was none. */
export interface PostbackCall {
  /** The tracker's HTTP status, when it answered. */
  status?: number;
  /** The start of its answer's body (only read when asked: a queued postback drops it). */
  body?: string;
  durationMs: number;
  /** Why there was no answer (a timeout, a refused connection, the outbound policy's refusal). */
  error?: string;
  /** Set when the outbound policy refused the address: retrying cannot help. */
  refused?: boolean;
}

/**
 * Sends one postback request through the runtime's agent (so the outbound policy applies at
 * connect time) and answers what came of it; never throws. Redirects are not followed.
 */
export async function callTracker(
  url: string,
  options: { method?: 'GET' | 'POST'; agent: Dispatcher; timeoutMs: number; signal?: AbortSignal; readBody?: boolean },
): Promise<PostbackCall> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const answer = await request(url, {
      method: options.method ?? 'GET',
      dispatcher: options.agent,
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
    });
    let body: string | undefined;
    if (options.readBody) body = (await answer.body.text()).slice(0, ANSWER_EXCERPT_CHARS);
    else await answer.body.dump();
    return { status: answer.statusCode, body, durationMs: took() };
  } catch (error) {
    const refused = outboundRefusalOf(error);
    const reason = refused ? refused.message : timeout.aborted ? `no answer within ${options.timeoutMs} ms` : (error as Error).message;
    return { error: reason, refused: refused !== undefined, durationMs: took() };
  }
}

export class PostbackSender implements JobHandler {
  readonly kinds = ['postback.out'] as const satisfies Job['kind'][];

  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    /** The runtime's shared agent, made by `createAgent` under the outbound policy. */
    private readonly agent: Dispatcher,
    private readonly timeoutMs = 10_000,
  ) {}

  async handle(job: Job, signal?: AbortSignal): Promise<JobOutcome> {
    const lead = job.leadId === undefined ? undefined : await this.store.getLead(job.leadId);
    if (!lead) return { state: 'failed', error: `lead ${job.leadId} is not in the store` };
    const payload = job.payload as {
      url?: string;
      method?: 'GET' | 'POST';
      stage?: string;
      status?: string;
      payout?: number;
      attempts?: PostbackAttempt[];
    };
    const template = payload.url || (await this.webmasterUrl(lead));
    if (!template) return { state: 'failed', error: `webmaster "${lead.wm ?? ''}" has no postback URL` };
    const offer = await this.config.getOffer(lead.offer);
    // an integration's secret never goes to a webmaster's tracker, whatever put it in the URL
    const integration = lead.integration ? await this.config.getIntegration(lead.integration) : undefined;
    const url = new Redactor(Object.values(integration?.secrets ?? {})).text(
      expandPostbackUrl(template, lead, { ...payload, currency: offer?.parameters.currency }),
      encodeURIComponent(REDACTED),
    );
    const attempt: PostbackAttempt = { at: new Date().toISOString(), url, durationMs: 0 };
    const log = () => ({ ...payload, attempts: [...(payload.attempts ?? []), attempt].slice(-MAX_ATTEMPTS_KEPT) });
    const call = await callTracker(url, { method: payload.method, agent: this.agent, timeoutMs: this.timeoutMs, signal });
    attempt.durationMs = call.durationMs;
    if (call.status !== undefined) {
      attempt.status = call.status;
      if (call.status >= 200 && call.status < 300) return { state: 'done', payload: log() };
      return { state: 'retry', error: `${url} answered HTTP ${call.status}`, payload: log() };
    }
    attempt.error = call.error;
    return { state: call.refused ? 'failed' : 'retry', error: `${url}: ${attempt.error}`, payload: log() };
  }

  /** The webmaster's URL for the lead's stream, else his general one. */
  private async webmasterUrl(lead: Lead): Promise<string | undefined> {
    const webmaster = lead.wm ? await this.config.getWebmaster(lead.wm) : undefined;
    return postbackUrlFor(webmaster, lead);
  }
}
