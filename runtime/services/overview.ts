/**
 * The home page's state of things: integrations on or off with their failed and retrying
 * deliveries, today's leads by stage, and how many offers, webmasters, sources and flows exist,
 * so the editor can say what to do next. Read only.
 */
import type { ConfigStore, JobQueue, LeadStore } from '../store/types.ts';
import type { Overview } from '../../core/api.ts';

/** The ids the demo is seeded under (runtime/seed.ts). */
export interface DemoIds {
  integration: string;
  source: string;
}

/** The start of today in the runtime's time zone, as the ISO time leads are stamped with. */
export function startOfToday(now = new Date()): string {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  return day.toISOString();
}

export class OverviewService {
  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    private readonly jobs: JobQueue,
    private readonly demo: DemoIds,
  ) {}

  async read(now = new Date()): Promise<Overview> {
    const since = startOfToday(now);
    const [integrations, offers, webmasters, sources, flows, leadsToday] = await Promise.all([
      this.config.listIntegrations(),
      this.config.listOffers(),
      this.config.listWebmasters(),
      this.config.listSources(),
      this.config.listFlows(),
      this.store.stageCounts(since),
    ]);
    const rows = await Promise.all(
      integrations.map(async (i) => ({
        id: i.id,
        name: i.name,
        enabled: i.enabled,
        ...(i.paused && { paused: true }),
        ...(await this.jobs.deliveryCounts(i.id)),
      })),
    );
    const demo = integrations.find((i) => i.id === this.demo.integration);
    return {
      integrations: rows,
      leadsToday,
      since,
      deliveries: { failed: sum(rows.map((r) => r.failed)), retrying: sum(rows.map((r) => r.retrying)) },
      counts: { offers: offers.length, webmasters: webmasters.length, sources: sources.length, flows: flows.length },
      ...(demo && {
        demo: {
          integration: demo.id,
          offer: demo.offers[0] ?? '',
          ...(sources.some((s) => s.id === this.demo.source) && { source: this.demo.source }),
        },
      }),
    };
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
