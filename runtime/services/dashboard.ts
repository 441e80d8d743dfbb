/**
 * The operations dashboard (`GET /api/dashboard`, `GET /api/dashboard/stream`): leads by stage and
 * per hour, the approval rate, deliveries failed and waiting, the queue, open circuit breakers,
 * paused integrations, the status checks' last runs and time to first status — overall or for one
 * integration. Every number comes from the store's counters and indexed counts, so an answer costs
 * the same at a million leads; the stream sends a fresh summary about a second after leads change.
 */
import type { ConfigStore, JobQueue, LeadStore } from '../store/types.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { leadDelivery } from '../../core/domain/delivery.ts';
import { STAGES } from '../../core/domain/lead.ts';
import {
  approvalRate,
  emptyStageCounts,
  isDashboardRange,
  rangeHours,
  type DashboardCheck,
  type DashboardRange,
  type DashboardSummary,
} from '../../core/domain/dashboard.ts';
import type { CircuitBreakers } from './circuit-breakers.ts';
import type { StatusChecks } from './status-checks.ts';

/** How long the stream waits after a lead change before it sends, so a burst of leads is one update. */
export const DASHBOARD_DEBOUNCE_MS = 1000;

export interface DashboardQuery {
  integration?: string;
  range: DashboardRange;
}

export class DashboardService {
  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    private readonly jobs: JobQueue,
    private readonly breakers: CircuitBreakers,
    private readonly checks: StatusChecks,
  ) {}

  /** Reads `?integration=&range=`; `range` is `24h` unless given. @throws DomainError naming the field. */
  async query(raw: { integration?: unknown; range?: unknown }): Promise<DashboardQuery> {
    const range = raw.range ?? '24h';
    if (!isDashboardRange(range)) throw new DomainError('invalid_field', 'must be 24h, 7d or 30d', { field: 'range' });
    const integration = raw.integration === undefined || raw.integration === '' ? undefined : raw.integration;
    if (integration !== undefined) {
      if (typeof integration !== 'string' || !(await this.config.getIntegration(integration))) {
        throw new DomainError('invalid_field', 'is not an integration', { field: 'integration' });
      }
    }
    return { integration, range };
  }

  /** The newest lead whose delivery failed, and why: one indexed page of one lead, and its jobs. */
  private async latestFailure(integrationId?: string): Promise<DashboardSummary['delivery']['latest']> {
    const [lead] = await this.store.listLeads({ stage: 'new', delivery: 'failed', integrationId, limit: 1 });
    if (!lead) return undefined;
    const delivery = leadDelivery(lead.stage, await this.jobs.jobsOfLead(lead.id));
    return { lead: lead.id, integration: lead.integration, error: delivery?.lastError ?? 'failed (no reason recorded)' };
  }

  async summary(query: DashboardQuery, now = new Date()): Promise<DashboardSummary> {
    const hours = rangeHours(query.range, now);
    const integrations = (await this.config.listIntegrations()).filter((i) => !query.integration || i.id === query.integration);
    const ids = integrations.map((i) => i.id);
    const counts = await this.store.dashboardCounts({
      fromHour: hours[0],
      toHour: hours[hours.length - 1],
      integrationId: query.integration,
    });

    const stages = emptyStageCounts();
    const index = new Map(hours.map((hour, at) => [hour, at]));
    const chart = Object.fromEntries(STAGES.map((stage) => [stage, hours.map(() => 0)])) as DashboardSummary['chart']['stages'];
    for (const row of counts.hours) {
      const at = index.get(row.hour);
      if (at === undefined || !(row.stage in stages)) continue;
      stages[row.stage] += row.count;
      chart[row.stage][at] += row.count;
    }
    const total = STAGES.reduce((sum, stage) => sum + stages[stage], 0);

    const delivery: DashboardSummary['delivery'] = { failed: 0, retrying: 0 };
    for (const id of ids) {
      const one = await this.jobs.deliveryCounts(id);
      delivery.failed += one.failed;
      delivery.retrying += one.retrying;
    }
    if (delivery.failed > 0) {
      const latest = await this.latestFailure(query.integration);
      if (latest) delivery.latest = latest;
    }

    const checks: DashboardCheck[] = [];
    for (const id of ids) {
      for (const schedule of this.checks.schedules(id)) {
        const check: DashboardCheck = { integration: id, event: schedule.event, running: schedule.running };
        if (schedule.next) check.next = schedule.next;
        const last = schedule.last;
        if (last) {
          check.last = { startedAt: last.startedAt, durationMs: last.durationMs, runs: last.runs, leads: last.leads };
          if (last.error) check.last.error = last.error.message;
        }
        checks.push(check);
      }
    }

    const summary: DashboardSummary = {
      at: now.toISOString(),
      range: query.range,
      stages,
      total,
      approvalRate: approvalRate(stages),
      delivery,
      queue: counts.queue,
      breakersOpen: ids.filter((id) => this.breakers.view(id).state !== 'closed'),
      paused: integrations.filter((i) => i.paused).map((i) => i.id),
      checks,
      chart: { hours: hours.map((hour) => `${hour}:00:00.000Z`), stages: chart },
      firstStatus: ids.map((integration) => {
        const seconds = counts.firstStatus[integration] ?? [];
        return { integration, medianSeconds: median(seconds), leads: seconds.length };
      }),
    };
    if (query.integration) summary.integration = query.integration;
    return summary;
  }

  /**
   * Calls `send` about {@link DASHBOARD_DEBOUNCE_MS} after leads change (once for a burst, and
   * again if they change while it waits). Answers the function that stops it.
   */
  watch(send: () => void, debounceMs = DASHBOARD_DEBOUNCE_MS): () => void {
    let timer: NodeJS.Timeout | undefined;
    const stop = this.store.onLeadsChanged(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        send();
      }, debounceMs);
    });
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const value = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return Math.round(value * 10) / 10;
}
