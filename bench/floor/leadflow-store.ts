/**
 * The floor on leadflow's own store (`FLOOR_STORE=leadflow`): the same hand-written HTTP, checks and
 * flows as `floor-child.ts`, but its leads, jobs, stages and executions stored through
 * `SqliteLeadStore` as leadflow's runtime stores them, each write through its group commit:
 * - a lead with its search keys, dashboard counters and (asynchronous) its `lead.new` job (`insertLead`);
 * - a claim of queued jobs with their leases (`claimJobs`), each job's lead read back (`getLead`);
 * - a delivery's stage with its history, counters and read back (`updateLead`), its run in the
 *   execution log (`insertExecution`), and the job's end (`completeJob`, `failJob`).
 * Its rows beside the floor's split leadflow's CPU per lead into what its store's features cost and
 * what the engine around them (Express, intake checks, the executor, the run's record) costs.
 */
import type { LeadInput, Stage } from '../../core/domain/lead.ts';
import { SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import type { Delivered, StoredLead } from './floor-store.ts';

export class LeadflowFloorStore {
  private readonly store: SqliteLeadStore;

  /** `integrationId` and `flowId`: the bench's integration and flow the floor stands in for. */
  constructor(
    file: string,
    private readonly integrationId: string,
    private readonly flowId: string,
  ) {
    this.store = new SqliteLeadStore(file);
  }

  get db() {
    return this.store.db;
  }

  get commits(): number {
    return this.store.commitStats().commits;
  }

  get writes(): number {
    return this.store.commitStats().writes;
  }

  async insertLead(lead: { source: string; data: unknown }, queued: boolean): Promise<StoredLead> {
    const jobs = queued ? [{ kind: 'lead.new' as const }] : [];
    const stored = await this.store.insertLead(lead.data as LeadInput, this.integrationId, jobs, lead.source);
    return { id: stored.id, created_at: stored.created_at, fields: {} };
  }

  async claim(limit: number, leaseMs: number): Promise<{ jobId: number; lead: StoredLead }[]> {
    const jobs = await this.store.claimJobs(['lead.new'], limit, new Date(), [], { worker: 'floor', leaseMs });
    const claimed: { jobId: number; lead: StoredLead }[] = [];
    for (const job of jobs) {
      const lead = await this.store.getLead(job.leadId as number);
      if (!lead) throw new Error(`job ${job.id}: lead ${job.leadId} not found`);
      claimed.push({
        jobId: job.id,
        lead: { id: lead.id, created_at: lead.created_at, fields: lead as unknown as Record<string, unknown> },
      });
    }
    return claimed;
  }

  async delivered(d: Delivered, event: string): Promise<void> {
    const at = new Date().toISOString();
    const stage = d.stage as Stage;
    const failed = stage === 'new';
    if (!failed) {
      await this.store.updateLead(
        d.leadId,
        { stage, eid: d.eid, reason: d.reason, history: { at, from: 'new', stage, source: 'delivery' } },
        [],
      );
    }
    await this.store.insertExecution({
      flowId: this.flowId,
      flowVersion: 1,
      integrationId: this.integrationId,
      event: event as 'lead.new',
      leadId: d.leadId,
      state: failed ? 'error' : 'success',
      test: false,
      trigger: d.record,
      steps: [],
      startedAt: d.startedAt,
      durationMs: d.durationMs,
    });
    if (d.jobId === undefined) return;
    if (failed) await this.store.failJob(d.jobId, 'the delivery failed', undefined);
    else await this.store.completeJob(d.jobId);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
