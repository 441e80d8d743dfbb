/**
 * Outgoing postbacks to webmasters' trackers: one job per stage change (enqueued with the change,
 * keyed so it exists once), sent from the queue and retried with backoff until the tracker
 * answers 2xx. Macros in the URL are expanded when it is sent. They go through the runtime's shared
 * agent, so the outbound policy applies at connect time; a refused postback fails for good at once
 * (retrying cannot change the address it points at), with the refusal as the attempt's error.
 * Redirects are not followed (undici's `request` does not).
 */
import { request, type Dispatcher } from 'undici';
import { outboundRefusalOf } from '../engine/outbound-policy.ts';
import { REDACTED, Redactor } from '../engine/redact.ts';
import type { ConfigStore, Job, LeadStore } from '../store/types.ts';
import type { Lead } from '../../core/domain/lead.ts';
import type { Webmaster } from '../../core/domain/config.ts';
import type { PostbackAttempt } from '../../core/domain/job.ts';
import type { JobHandler, JobOutcome } from './queue.ts';

/** The macros a postback URL may hold, e.g. `https://tracker/pb?click={subid}&status={stage}`. */
export const POSTBACK_MACROS = [
  'id',
  'eid',
  'offer',
  'wm',
  'flow',
  'stage',
  'status',
  'reason',
  'comment',
  'payout',
  'currency',
  'country',
  'subid',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_content',
  'utm_term',
] as const;

/** Attempts kept per postback: enough to debug, bounded for a tracker down for days. */
const MAX_ATTEMPTS_KEPT = 30;

/** Expands `{macro}`s with URL-encoded values; unknown `{words}` stay as written. */
export function expandPostbackUrl(
  url: string,
  lead: Lead,
  change: { stage?: string; status?: string; payout?: number; currency?: string },
): string {
  const values: Record<string, unknown> = {
    ...lead,
    id: lead.id,
    comment: lead.statusComment,
    stage: change.stage ?? lead.stage,
    status: change.status ?? lead.status,
    payout: change.payout ?? lead.payout,
    currency: change.currency ?? lead.meta?.currency,
  };
  return url.replace(/\{([a-z0-9_]+)\}/gi, (whole, name: string) =>
    (POSTBACK_MACROS as readonly string[]).includes(name) ? encodeURIComponent(String(values[name] ?? '')) : whole,
  );
}

/** Where a webmaster wants a lead's postbacks: his URL for the lead's stream (`flow`) if he set one. */
export function postbackUrlFor(webmaster: Webmaster | undefined, lead: Pick<Lead, 'flow'>): string | undefined {
  if (!webmaster) return undefined;
  return (lead.flow && webmaster.streamPostbackUrls?.[lead.flow]) || webmaster.postbackUrl || undefined;
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
    const started = performance.now();
    const attempt: PostbackAttempt = { at: new Date().toISOString(), url, durationMs: 0 };
    const log = () => ({ ...payload, attempts: [...(payload.attempts ?? []), attempt].slice(-MAX_ATTEMPTS_KEPT) });
    try {
      const answer = await request(url, {
        method: payload.method ?? 'GET',
        dispatcher: this.agent,
        signal: signal ? AbortSignal.any([AbortSignal.timeout(this.timeoutMs), signal]) : AbortSignal.timeout(this.timeoutMs),
      });
      await answer.body.dump();
      attempt.status = answer.statusCode;
      attempt.durationMs = Math.round(performance.now() - started);
      if (answer.statusCode >= 200 && answer.statusCode < 300) return { state: 'done', payload: log() };
      return { state: 'retry', error: `${url} answered HTTP ${answer.statusCode}`, payload: log() };
    } catch (error) {
      const refused = outboundRefusalOf(error);
      attempt.error = (refused ?? (error as Error)).message;
      attempt.durationMs = Math.round(performance.now() - started);
      return { state: refused ? 'failed' : 'retry', error: `${url}: ${attempt.error}`, payload: log() };
    }
  }

  /** The webmaster's URL for the lead's stream, else his general one. */
  private async webmasterUrl(lead: Lead): Promise<string | undefined> {
    const webmaster = lead.wm ? await this.config.getWebmaster(lead.wm) : undefined;
    return postbackUrlFor(webmaster, lead);
  }
}
