/**
 * A circuit breaker per integration (cockatiel): after `failures` transient outcomes in a row
 * (network error, timeout, 408/425/429, 5xx, a flow's own retry: every `retry` outcome of a
 * delivery) the integration's breaker opens and its deliveries are held — left queued, their
 * attempts not counted — instead of being sent to a target that is down. After `halfOpenAfterMs`
 * one delivery goes through as a probe (half-open); its success closes the breaker, another
 * transient failure opens it again for as long. Any other outcome (delivered, refused by the
 * target) says the target answers, and counts as a success.
 *
 * The queue learns of it by asking before each claim: {@link CircuitBreakers.held} (open and not
 * due, or probing) and {@link CircuitBreakers.probing} (due for a probe: one delivery at most).
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhenResult,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { BreakerView } from '../../core/api.ts';
import type { JobOutcome } from './queue.ts';

export interface BreakerOptions {
  /** Transient failures in a row that open the breaker. */
  failures: number;
  /** How long an open breaker holds deliveries before letting one probe through. */
  halfOpenAfterMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failures: 5, halfOpenAfterMs: 30_000 };

export interface BreakerLog {
  warn(object: object, message: string): void;
  info(object: object, message: string): void;
}

interface Entry {
  policy: CircuitBreakerPolicy;
  counter: ConsecutiveBreaker;
  /** When it entered its current state (ms since 1970). */
  since: number;
}

const STATES: Partial<Record<CircuitState, BreakerView['state']>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
};

export class CircuitBreakers {
  private readonly entries = new Map<string, Entry>();
  private readonly options: BreakerOptions;

  constructor(
    options: Partial<BreakerOptions> = {},
    private readonly log?: BreakerLog,
  ) {
    this.options = { ...DEFAULT_BREAKER, ...options };
  }

  /**
   * Runs one delivery of the integration under its breaker. Answers `open` without running it when
   * the breaker is open and no probe is due: the caller gives the job back uncounted.
   */
  async run(integrationId: string, delivery: () => Promise<JobOutcome>): Promise<JobOutcome | 'open'> {
    const { policy } = this.entry(integrationId);
    if (policy.state === CircuitState.Open && !this.due(integrationId)) return 'open';
    try {
      return await policy.execute(delivery);
    } catch (error) {
      // it opened while this delivery waited for a probe, or just before it started
      if (error instanceof BrokenCircuitError) return 'open';
      throw error;
    }
  }

  /** The integrations whose deliveries wait: open with no probe due yet, or a probe under way. */
  held(): string[] {
    return [...this.entries.keys()].filter((id) => {
      const state = this.entries.get(id)?.policy.state;
      return state === CircuitState.HalfOpen || (state === CircuitState.Open && !this.due(id));
    });
  }

  /** The integrations due for a probe: the queue starts one of their deliveries, no more. */
  probing(): string[] {
    return [...this.entries.keys()].filter((id) => this.entries.get(id)?.policy.state === CircuitState.Open && this.due(id));
  }

  /** The breaker's state as the API shows it; an integration that never failed is closed since the runtime started. */
  view(integrationId: string): BreakerView {
    const entry = this.entry(integrationId);
    const state = STATES[entry.policy.state] ?? 'open';
    const openedAt = this.openedAt(integrationId);
    const view: BreakerView = {
      state,
      since: new Date(openedAt ?? entry.since).toISOString(),
      consecutiveFailures: entry.counter.state,
      threshold: this.options.failures,
    };
    if (state === 'open' && openedAt !== undefined) view.nextProbeAt = new Date(openedAt + this.options.halfOpenAfterMs).toISOString();
    return view;
  }

  /** Forgets a deleted integration's breaker. */
  forget(integrationId: string): void {
    this.entries.delete(integrationId);
  }

  private due(integrationId: string): boolean {
    const openedAt = this.openedAt(integrationId);
    return openedAt !== undefined && Date.now() - openedAt >= this.options.halfOpenAfterMs;
  }

  /** cockatiel's own opening time, so "due" here and its half-open switch agree to the millisecond. */
  private openedAt(integrationId: string): number | undefined {
    const saved = this.entries.get(integrationId)?.policy.toJSON() as { ownState: { value: CircuitState; openedAt?: number } } | undefined;
    const own = saved?.ownState;
    return own?.value === CircuitState.Open ? own.openedAt : undefined;
  }

  private entry(integrationId: string): Entry {
    let entry = this.entries.get(integrationId);
    if (entry) return entry;
    const counter = new ConsecutiveBreaker(this.options.failures);
    const policy = circuitBreaker(
      handleWhenResult((outcome) => (outcome as JobOutcome).state === 'retry'),
      { halfOpenAfter: this.options.halfOpenAfterMs, breaker: counter },
    );
    const created: Entry = { policy, counter, since: Date.now() };
    policy.onStateChange(() => {
      created.since = Date.now();
    });
    // ids and counts only: an outcome's error text may quote the target's answer
    policy.onBreak(() => {
      this.log?.warn(
        {
          integration: integrationId,
          failures: this.options.failures,
          nextProbeAt: new Date(Date.now() + this.options.halfOpenAfterMs).toISOString(),
        },
        'circuit breaker opened: deliveries held',
      );
    });
    policy.onReset(() => this.log?.info({ integration: integrationId }, 'circuit breaker closed: deliveries go again'));
    entry = created;
    this.entries.set(integrationId, entry);
    return entry;
  }
}
