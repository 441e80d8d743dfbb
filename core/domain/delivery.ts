/**
 * Delivery rules: how long a lead's delivery is tried before it fails for good, what state a
 * lead's delivery is in, and when a run of a lead's `lead.new` flow came to a verdict. The runtime
 * applies them, the editor shows what they name.
 */
import type { Integration } from './config.ts';
import type { HttpRecord } from './execution.ts';
import type { Job } from './job.ts';
import type { Stage } from './lead.ts';

/** How long a delivery is tried: at most `maxAttempts` attempts, and no retry once it is `maxAgeHours` old. */
export interface DeliveryLimits {
  maxAttempts: number;
  maxAgeHours: number;
}

/** The limits of an integration that sets none: 12 attempts (about a day of backoff) and 72 hours. */
export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = { maxAttempts: 12, maxAgeHours: 72 };

/** The bounds an integration's own limits are checked against when saved. */
export const DELIVERY_LIMIT_BOUNDS = { maxAttempts: { min: 1, max: 100 }, maxAgeHours: { min: 0.0001, max: 24 * 30 } } as const;

/** An integration's delivery limits, its own where it sets them, the defaults otherwise. */
export function deliveryLimits(integration: Pick<Integration, 'maxAttempts' | 'maxAgeHours'> | undefined): DeliveryLimits {
  return {
    maxAttempts: integration?.maxAttempts ?? DEFAULT_DELIVERY_LIMITS.maxAttempts,
    maxAgeHours: integration?.maxAgeHours ?? DEFAULT_DELIVERY_LIMITS.maxAgeHours,
  };
}

/**
 * Why a delivery whose attempt just failed (transiently) is not tried again, or undefined when it
 * may be. `job.attempts` counts the attempt that failed; the age counts from the job's creation
 * (a resend makes it anew: see the store's `resendLeadJob`).
 * @example outOfRetries({ attempts: 12, createdAt }, { maxAttempts: 12, maxAgeHours: 72 }, now) // 'gave up after 12 attempts (the most this integration allows)'
 */
export function outOfRetries(job: Pick<Job, 'attempts' | 'createdAt'>, limits: DeliveryLimits, now: Date): string | undefined {
  if (job.attempts >= limits.maxAttempts) return `gave up after ${job.attempts} attempts (the most this integration allows)`;
  const ageMs = now.getTime() - Date.parse(job.createdAt);
  if (ageMs >= limits.maxAgeHours * 3_600_000) {
    return `gave up after ${job.attempts} attempts over ${formatAge(ageMs)} (this integration tries a delivery for at most ${limits.maxAgeHours} h)`;
  }
  return undefined;
}

function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}

/**
 * Where a lead's delivery stands, as the lead's page shows it and a filter selects it:
 * - `queued`: waiting for its first attempt (or held while the integration is off or paused);
 * - `retrying`: an attempt failed transiently and another one is due;
 * - `failed`: it was given up (out of attempts or age, or a failure no retry can change): the
 *   lead stays `new` and can be resent;
 * - `delivered`: the flow came to a verdict (the lead left `new`).
 */
export type DeliveryState = 'queued' | 'retrying' | 'failed' | 'delivered';

export const DELIVERY_STATES: readonly DeliveryState[] = ['queued', 'retrying', 'failed', 'delivered'];

export function isDeliveryState(value: unknown): value is DeliveryState {
  return typeof value === 'string' && (DELIVERY_STATES as readonly string[]).includes(value);
}

/** A lead's delivery in an API answer: its state, and what the job that carries it says. */
export interface LeadDelivery {
  state: DeliveryState;
  /** The `lead.new` job. */
  jobId: number;
  attempts: number;
  /** The last failed attempt's error (for `failed`, why it was given up). */
  lastError?: string;
  /** When the next attempt is due (`queued`, `retrying`). */
  nextAttemptAt?: string;
}

/**
 * The state of a lead's delivery from its stage and its latest `lead.new` job; undefined for a
 * lead that never had one (a synchronous registration). A job's `attempts` counts the attempt it
 * is claimed for, so a running job is retrying from its second attempt on, a queued one from its
 * first failed one (or one a crash cut short). The store selects by the same rule (sqlite.ts,
 * `DELIVERY_STATE_SQL`).
 */
export function deliveryState(stage: Stage, job: Pick<Job, 'state' | 'attempts'> | undefined): DeliveryState | undefined {
  if (!job) return undefined;
  if (stage !== 'new' || job.state === 'done') return 'delivered';
  if (job.state === 'failed') return 'failed';
  return job.attempts > (job.state === 'running' ? 1 : 0) ? 'retrying' : 'queued';
}

/** {@link LeadDelivery} of a lead and its jobs (the latest `lead.new` one counts). */
export function leadDelivery(stage: Stage, jobs: readonly Job[]): LeadDelivery | undefined {
  const job = jobs.findLast((j) => j.kind === 'lead.new');
  const state = deliveryState(stage, job);
  if (!job || !state) return undefined;
  return {
    state,
    jobId: job.id,
    attempts: job.attempts,
    ...(job.lastError ? { lastError: job.lastError } : {}),
    ...(state === 'queued' || state === 'retrying' ? { nextAttemptAt: job.runAt } : {}),
  };
}

/**
 * An integration's deliveries that need someone: those failed for good, and those waiting for a
 * retry (queued again after a failed attempt). Carried by the integration's API answer.
 */
export interface DeliveryCounts {
  failed: number;
  retrying: number;
}

/** The error an execution records, as the verdict rule reads and writes it. */
export interface RunError {
  code: string;
  message: string;
  nodeId?: string;
  retryable: boolean;
  retryAfterMs?: number;
}

/** An HTTP exchange of a run, with the node that made it. */
export interface RunExchange {
  nodeId: string;
  http: HttpRecord;
}

/**
 * The answer of a run that the flow could not have read: a 2xx whose body says it is JSON (by its
 * content type, or by starting with `{` or `[`) and does not parse. Undefined when there is none.
 */
export function unreadableAnswer(exchanges: readonly RunExchange[]): RunExchange | undefined {
  return exchanges.find(({ http }) => {
    // only a whole answer is judged: one cut short or too large failed as a network error, by the
    // node's own rule (a cut body is retried, a body over the cap is not), whatever part of it came
    if (http.outcome !== 'answer') return false;
    const response = http.response;
    if (!response || response.status < 200 || response.status >= 300) return false;
    const type = Object.entries(response.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
    const text = response.body.trim();
    if (!type.toLowerCase().includes('json') && !text.startsWith('{') && !text.startsWith('[')) return false;
    if (text === '') return true;
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * The verdict rule for a run of a lead's `lead.new` flow: the run must move the lead on (`wait`
 * with the external id, `cancel` with the reason), or it is a failure, recorded as the
 * execution's error — never a silent success. Answers the error the execution is recorded with:
 * - the lead left `new`: the run's own error, if any (the verdict was reached);
 * - the lead is still `new` and a 2xx answer could not be read (malformed JSON): `unreadable_answer`,
 *   retryable, replacing a non-retryable error the unreadable body caused downstream (Extract
 *   finding nothing in it) — a target that sends half a body or garbage is a transient fault of
 *   the target, and the next attempt usually gets a whole answer;
 * - the lead is still `new` and the run failed: its own error, as the node judged it;
 * - the lead is still `new` and the run ended without error: `no_verdict`, not retryable — a
 *   well-formed run that reaches no Update Lead is a flow bug, and the same flow would do the same
 *   again; the lead stays `new`, flagged as a failed delivery, until the flow is fixed and it is resent.
 */
export function leadNewVerdict(run: { stageAfter: Stage; error?: RunError; exchanges: readonly RunExchange[] }): RunError | undefined {
  if (run.stageAfter !== 'new') return run.error;
  if (run.error?.retryable) return run.error;
  const unreadable = unreadableAnswer(run.exchanges);
  if (unreadable) {
    const { status, body } = unreadable.http.response as NonNullable<HttpRecord['response']>;
    const then = run.error ? `; then ${run.error.code} at ${run.error.nodeId ?? '-'}: ${run.error.message}` : '';
    return {
      code: 'unreadable_answer',
      message: `HTTP ${status} from the target, but its body is not readable JSON (${JSON.stringify(body.slice(0, 120))})${then}; the lead stays new and is tried again`,
      nodeId: unreadable.nodeId,
      retryable: true,
    };
  }
  if (run.error) return run.error;
  return {
    code: 'no_verdict',
    message:
      'the flow ended without moving the lead on: no Update Lead gave it a stage, so it stays new (connect every exit that answers to an Update Lead)',
    retryable: false,
  };
}
