/**
 * Storage interfaces, one per concern, each in its own file:
 * - {@link ConfigStore} (config-store.ts): what staff edit — offers, integrations, webmasters,
 *   sources, flows with their versions and drafts, users and sessions (small; a lowdb JSON file);
 * - {@link AuditStore} (audit-store.ts): the audit log, append-only;
 * - {@link LeadStore} (lead-store.ts): leads with their history, what traffic writes;
 * - {@link JobQueue} (job-queue.ts): the job queue, claimed with worker id, lease and heartbeat;
 * - {@link ExecutionLog} (execution-log.ts): flow runs with their steps;
 * - {@link CheckpointStore} (checkpoint-store.ts): where a status check's date range stopped;
 * - {@link StoreLifecycle} (store-lifecycle.ts): the store's id and its close.
 *
 * The embedded backend keeps the last four in one SQLite file whose cost per write does not grow
 * with the number of leads (one object implements them all); every method is async so a PostgreSQL
 * backend serving several runtime instances implements the same interfaces. A lead and its jobs
 * are written in one transaction, so {@link LeadStore} and {@link JobQueue} share a database.
 * Each interface has one contract suite every backend runs (test/store/contracts/).
 *
 * What every backend keeps: times as `timestamptz` returned as ISO strings, ids and payouts as
 * numbers, SQL NULL as an absent field; the config store is shared too (lowdb's is one process's
 * copy of `config.json`).
 */
import type { FlowDraft, FlowVersion, StoredFlow } from '../../core/domain/flow.ts';
import type { Job, JobKind, JobState } from '../../core/domain/job.ts';
import type { Execution, ExecutionState } from '../../core/domain/execution.ts';
import type { DeliveryCounts } from '../../core/domain/delivery.ts';
import type { AuditEntry, AuditQuery } from '../../core/domain/audit.ts';

// The records the store keeps are domain shapes of the kernel (the API answers them too).
export type { FlowDraft, FlowVersion, StoredFlow, Job, JobKind, JobState, Execution, ExecutionState };
export type { HttpRecord, StepRecord } from '../../core/domain/execution.ts';
export { expandStepInputs } from '../../core/domain/execution.ts';
export type { DeliveryCounts };
export type { AuditEntry, AuditQuery };

export type * from './config-store.ts';
export type * from './audit-store.ts';
export type * from './lead-store.ts';
export { StageConflict } from './lead-store.ts';
export type * from './job-queue.ts';
export { DEFAULT_CLAIM } from './job-queue.ts';
export type * from './execution-log.ts';
export type * from './checkpoint-store.ts';
export type * from './store-lifecycle.ts';
