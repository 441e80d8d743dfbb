/**
 * Status checks: each enabled integration's `status.processing`, `status.approved` and
 * `status.range` flows, run on the schedule their trigger declares (its `trigger.schedule` facet:
 * interval or cron, batch size, windows; croner), or at once through "check now".
 *
 * - processing: the integration's leads in `wait`, then `hold`, streamed from the store in
 *   batches (memory stays bounded whatever their number), one run per batch;
 * - approved: its approved leads created in the last N days, the same way;
 * - range: windows `from`–`to` from where the last check stopped (less the overlap) to now, each
 *   followed page by page while the flow's Next Page says there is another. With a lookback, the
 *   windows start no later than that many days before now, every check, and grow as needed so one
 *   check reaches now (a target filtering by registration date reports a late deposit).
 *
 * Every check, scheduled or by hand, is long work (services/long-work.ts): followed through
 * `/api/work/:id` and its event stream, its progress a batch (or page) at a time — leads checked
 * (moved or unchanged), failed, skipped with why — and cancelled between batches.
 *
 * A check of one integration never runs twice at once (a second ask joins the running one);
 * checks of different integrations run independently, so a slow target delays only its own.
 * Across runtime processes on one store, a check runs once per schedule tick: a run takes its
 * turn through the store's check leases first (check-turns.ts) — a scheduled tick another
 * process took is skipped here, a "Check now" while another process runs the check is refused
 * (`conflict`) — and a process that dies mid-check gives the next tick to another once its lease ran out.
 * A check that fails stops, reports why, and is tried again at its next time; a date-range check
 * then starts again from its last finished window.
 */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { ConfigStore, CheckpointStore, LeadStore } from '../store/types.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Lead, Stage } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { parseSchedule } from '../../core/node/schedule.ts';
import type { TriggerSchedule } from '../../core/node/contract.ts';
import { withDefaults } from '../../core/node/params.ts';
import type { NodeRegistry } from '../engine/registry.ts';
import type { RunResult } from '../engine/executor.ts';
import type { CheckEvent as CheckEventName, CheckReport, CheckSchedule } from '../../core/api.ts';
import type { WorkReport } from '../../core/domain/work.ts';
import { EVENT_NAMES } from '../../core/domain/event-names.ts';
import type { FlowRunner } from './runs.ts';
import type { LongWork, WorkProgress } from './long-work.ts';
import { CheckTurns, scheduledTick, type CheckTurnOptions } from './check-turns.ts';

export const CHECK_EVENTS = ['status.processing', 'status.approved', 'status.range'] as const satisfies readonly CheckEventName[];
export type CheckEvent = (typeof CHECK_EVENTS)[number];
/** The long work's kind for a status check. */
export const CHECK_WORK = 'status.check';
/** Why leads were not asked about: the check was cancelled, or stopped at a batch that failed. */
export const SKIPPED_CANCELLED = 'not checked: the check was cancelled';
export const SKIPPED_STOPPED = 'not checked: the check stopped at a failed batch';

export type { CheckReport };

/** Guards against a target whose "next page" never ends. */
const MAX_PAGES = 1000;
/** A range check catches up at most this many windows per run; the rest waits for the next. */
const MAX_WINDOWS = 100;

export function isCheckEvent(event: string): event is CheckEvent {
  return (CHECK_EVENTS as readonly string[]).includes(event);
}

/**
 * What the flow's trigger asks of the scheduler, from its facet (see {@link TriggerSchedule}).
 * @throws DomainError `invalid_flow` when the flow's trigger is not a scheduled one.
 */
function scheduleOf(flow: FlowDoc, registry: NodeRegistry): TriggerSchedule {
  const trigger = registry.triggerOf(flow);
  const schedule = trigger?.definition.trigger?.schedule;
  if (!trigger || !schedule) {
    throw new DomainError('invalid_flow', `flow "${flow.id}" has no scheduled trigger (such as Status Check)`, { field: 'nodes' });
  }
  return schedule(withDefaults(trigger.definition.params, trigger.node.params));
}

/** A check's name among the processes' leases. */
function turnOf(integrationId: string, event: CheckEvent): string {
  return `${event}/${integrationId}`;
}

function failure(result: RunResult): CheckReport['error'] {
  return result.error && { ...result.error, execution: result.execution.id };
}

export class StatusChecks {
  private readonly timers = new Map<string, { signature: string; cron: Cron }>();
  private readonly running = new Map<string, { promise: Promise<CheckReport>; work: WorkReport }>();
  private readonly last = new Map<string, CheckReport>();
  private stopped = false;
  private refreshing: Promise<void> = Promise.resolve();
  /** This process's turns at the checks among every process on the store. */
  private readonly turns: CheckTurns;

  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    private readonly checkpoints: CheckpointStore,
    private readonly runner: FlowRunner,
    private readonly registry: NodeRegistry,
    private readonly log: Logger,
    private readonly work: LongWork,
    turns: CheckTurnOptions = {},
  ) {
    this.turns = new CheckTurns(turns, log);
  }

  /**
   * Brings the schedules in line with the configuration (call after integrations or flows change).
   * Refreshes run one after another, so two changes in a row cannot start a check's timer twice.
   */
  refresh(): Promise<void> {
    const next = this.refreshing.then(() => this.sync());
    this.refreshing = next.catch(() => {});
    return next;
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map<string, { integration: string; event: CheckEvent; schedule: string }>();
    for (const integration of await this.config.listIntegrations()) {
      if (!integration.enabled) continue;
      for (const event of CHECK_EVENTS) {
        const flowId = integration.flows[event];
        if (!flowId) continue;
        try {
          const flow = await this.runner.flowFor(integration, event);
          if (flow)
            wanted.set(`${integration.id}\u0000${event}`, {
              integration: integration.id,
              event,
              schedule: scheduleOf(flow, this.registry).schedule,
            });
        } catch (error) {
          this.log.warn({ err: error, integration: integration.id, event }, 'status check not scheduled: its flow does not load');
        }
      }
    }
    for (const [key, timer] of this.timers) {
      if (wanted.get(key)?.schedule !== timer.signature) {
        timer.cron.stop();
        this.timers.delete(key);
      }
    }
    for (const [key, { integration, event, schedule }] of wanted) {
      if (this.timers.has(key)) continue;
      const parsed = parseSchedule(schedule);
      const run = () => {
        void this.scheduled(integration, event, scheduledTick(parsed, new Date(), cron)).catch((error) =>
          this.log.error({ err: error, integration, event }, 'status check failed'),
        );
      };
      const cron =
        'every' in parsed
          ? // the first run one interval from now, not at the next second
            new Cron('* * * * * *', { interval: parsed.every, protect: true, startAt: new Date(Date.now() + parsed.every * 1000) }, run)
          : new Cron(parsed.cron, { protect: true }, run);
      this.timers.set(key, { signature: schedule, cron });
    }
  }

  /** When each scheduled check runs next, the run under way, and what the last one did. */
  schedules(integrationId: string): CheckSchedule[] {
    return CHECK_EVENTS.map((event) => {
      const key = `${integrationId}\u0000${event}`;
      const timer = this.timers.get(key);
      const running = this.running.get(key);
      return {
        event,
        schedule: timer?.signature,
        next: timer?.cron.nextRun()?.toISOString(),
        running: Boolean(running),
        work: running?.work.id,
        last: this.last.get(key),
      };
    }).filter((s) => s.schedule || s.last || s.running);
  }

  /** Runs a check now; while one of the same integration and event runs, answers that one. */
  check(integrationId: string, event: CheckEvent): Promise<CheckReport> {
    return this.begin(integrationId, event).promise;
  }

  /**
   * Starts a check (or joins the one running) and answers its long work's report at once; follow it
   * with `/api/work/:id`. A check that cannot run at all (its flow does not load) ends `failed`.
   */
  start(integrationId: string, event: CheckEvent): WorkReport {
    const { work, promise } = this.begin(integrationId, event);
    promise.catch(() => {});
    return this.work.get(work.id);
  }

  /**
   * A scheduled run: joins the check running here, or else takes its tick first and skips it
   * when another process took it (that process runs it, or ran it).
   */
  private async scheduled(integrationId: string, event: CheckEvent, tick: string): Promise<CheckReport | undefined> {
    const current = this.running.get(`${integrationId}\u0000${event}`);
    if (current) return current.promise;
    if (!(await this.turns.take(turnOf(integrationId, event), tick))) {
      this.log.debug({ integration: integrationId, event, tick }, 'status check: another process took this tick');
      return undefined;
    }
    return this.begin(integrationId, event, tick).promise;
  }

  /**
   * Runs `run` in the check's turn among the processes: taken first (a scheduled run took it
   * already: it is this process's), renewed while it runs, given back after.
   * @throws DomainError `conflict` when another process runs the check now.
   */
  private async inTurn<T>(integrationId: string, event: CheckEvent, tick: string | undefined, run: () => Promise<T>): Promise<T> {
    const check = turnOf(integrationId, event);
    if (!(await this.turns.take(check, tick ?? this.turns.askedNow(check)))) {
      throw new DomainError(
        'conflict',
        `the ${event} check of ${integrationId} is running in another runtime process; try again once it is done`,
      );
    }
    const stop = this.turns.keep(check);
    try {
      return await run();
    } finally {
      stop();
      await this.turns.end(check);
    }
  }

  private begin(integrationId: string, event: CheckEvent, tick?: string): { work: WorkReport; promise: Promise<CheckReport> } {
    const key = `${integrationId}\u0000${event}`;
    const current = this.running.get(key);
    if (current) return current;
    const report: CheckReport = {
      integration: integrationId,
      event,
      startedAt: new Date().toISOString(),
      durationMs: 0,
      runs: 0,
      leads: 0,
      moved: 0,
      unchanged: 0,
      failed: 0,
    };
    let settle!: { resolve(report: CheckReport): void; reject(error: unknown): void };
    const promise = new Promise<CheckReport>((resolve, reject) => (settle = { resolve, reject })).finally(() => this.running.delete(key));
    const work = this.work.start(CHECK_WORK, `${EVENT_NAMES[event]} of ${integrationId}`, async (progress) => {
      try {
        const done = await this.inTurn(integrationId, event, tick, () => this.run(integrationId, event, report, progress));
        this.last.set(key, done);
        settle.resolve(done);
      } catch (error) {
        // a check that could not run reports why, and the caller of check() is told as before
        report.error = { code: error instanceof DomainError ? error.code : 'error', message: (error as Error).message };
        settle.reject(error);
        throw error;
      }
    });
    this.running.set(key, { work, promise });
    return { work, promise };
  }

  /** Stops scheduling and waits for the checks in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cron.stop();
    this.timers.clear();
    await Promise.allSettled([...this.running.values()].map((r) => r.promise));
  }

  private async run(integrationId: string, event: CheckEvent, report: CheckReport, progress: WorkProgress): Promise<CheckReport> {
    const integration = await this.runner.integration(integrationId);
    const flow = await this.runner.flowFor(integration, event);
    if (!flow) throw new DomainError('not_found', `integration "${integrationId}" has no ${event} flow`, { field: 'event' });
    const settings = scheduleOf(flow, this.registry);
    const started = performance.now();
    if (event === 'status.range') await this.range(integration, flow, settings, report, progress);
    else await this.batches(integration, flow, event, settings, report, progress);
    report.durationMs = Math.round(performance.now() - started);
    if (report.error) this.log.warn({ integration: integrationId, event, error: report.error }, 'status check stopped early');
    return report;
  }

  private async batches(
    integration: Integration,
    flow: FlowDoc,
    event: CheckEvent,
    settings: TriggerSchedule,
    report: CheckReport,
    progress: WorkProgress,
  ): Promise<void> {
    const stages: Stage[] = event === 'status.approved' ? ['approve'] : ['wait', 'hold'];
    const createdSince = event === 'status.approved' ? new Date(Date.now() - settings.days * 86_400_000) : undefined;
    const limit = Math.max(1, Math.min(5000, Math.floor(settings.batchSize)));
    // one cursor over all the stages, in id order: a lead that moves from wait to hold during the
    // check has an id below the cursor and is not asked about twice
    let afterId = 0;
    const next = async (): Promise<Lead[]> => {
      const found: Lead[] = [];
      for (const stage of stages)
        found.push(...(await this.store.leadBatch({ integrationId: integration.id, stage, afterId, createdSince, limit })));
      const leads = found.sort((a, b) => a.id - b.id).slice(0, limit);
      if (leads.length > 0) afterId = leads[leads.length - 1].id;
      return leads;
    };
    // the leads a check did not reach are counted, a batch at a time, so the summary says how many and why
    const skipRest = async (why: string) => {
      for (let rest = await next(); rest.length > 0; rest = await next()) progress.skipped(why, rest.length);
    };
    for (;;) {
      if (this.stopped) return;
      if (progress.cancelled) return skipRest(SKIPPED_CANCELLED);
      const leads = await next();
      if (leads.length === 0) return;
      const batch = {
        ids: leads.map((l) => l.id),
        eids: leads.map((l) => l.eid).filter((eid): eid is string => Boolean(eid)),
        leads: leads.map((l) => ({ id: l.id, eid: l.eid, stage: l.stage, status: l.status })),
      };
      const result = await this.runner.runStatus(integration, flow, event, batch);
      report.runs++;
      report.leads += leads.length;
      if (result.error) {
        report.failed += leads.length;
        report.error = failure(result);
        progress.failed(`${result.error.message} (run #${result.execution.id})`, leads.length);
        return skipRest(SKIPPED_STOPPED);
      }
      // what the batch did to each lead: the flow's Update Lead moved it or not (the run says which
      // it moved; reading the batch back, a lead at a time, was 8 % of a check's time)
      const movedIds = new Set(result.moved);
      const moved = leads.filter((lead) => movedIds.has(lead.id)).length;
      report.moved += moved;
      report.unchanged += leads.length - moved;
      progress.done(leads.length, { moved, unchanged: leads.length - moved });
    }
  }

  private async range(
    integration: Integration,
    flow: FlowDoc,
    settings: TriggerSchedule,
    report: CheckReport,
    progress: WorkProgress,
  ): Promise<void> {
    const key = `range:${integration.id}`;
    const windowMs = Math.max(1, settings.window.minutes) * 60_000;
    const overlapMs = Math.max(0, settings.window.overlapMinutes) * 60_000;
    const now = Date.now();
    const lookbackMs = Math.max(0, settings.window.lookbackDays ?? 0) * 86_400_000;
    const checkpoint = await this.checkpoints.getCheckpoint(key);
    let from = checkpoint ? Math.max(Date.parse(checkpoint) - overlapMs, now - MAX_WINDOWS * windowMs) : now - windowMs;
    // the lookback span is asked again every check: its windows widen so the check reaches now
    let stepMs = windowMs;
    if (lookbackMs > 0) {
      from = Math.min(from, now - lookbackMs);
      stepMs = Math.max(windowMs, Math.ceil((now - from) / MAX_WINDOWS));
    }
    report.windows = [];
    while (from < now && report.windows.length < MAX_WINDOWS) {
      const to = Math.min(from + stepMs, now);
      const window = {
        from: settings.window.stamp(new Date(from)),
        to: settings.window.stamp(new Date(to)),
      };
      let cursor: unknown;
      let offset = 0;
      let page = 1;
      for (; page <= MAX_PAGES; page++) {
        if (this.stopped || progress.cancelled) return;
        const result = await this.runner.runStatus(integration, flow, 'status.range', { ...window, page, offset, cursor });
        report.runs++;
        if (result.error) {
          report.error = failure(result);
          progress.failed(`${result.error.message} (run #${result.execution.id})`);
          return;
        }
        progress.done(1);
        const next = result.nextPage;
        if (next === undefined || JSON.stringify(next) === JSON.stringify(cursor)) break;
        cursor = next;
        if (result.nextOffset !== undefined) offset = result.nextOffset;
      }
      report.windows.push({ from: String(window.from), to: String(window.to), pages: Math.min(page, MAX_PAGES) });
      await this.checkpoints.setCheckpoint(key, new Date(to).toISOString());
      if (to >= now) break;
      from = to;
    }
  }
}
