/**
 * The execution log: every flow run (deliveries, status checks, postbacks, test runs) with its
 * steps, linked to the leads it touched, pruned by the retention policy.
 */
import type { Execution, ExecutionState } from '../../core/domain/execution.ts';

/**
 * Which executions {@link ExecutionLog.pruneExecutions} removes: those started before a time, or those
 * of one integration past its newest `keepNewest`.
 */
export type ExecutionPrune = { startedBefore: Date } | { integrationId: string; keepNewest: number };

export type NewExecution = Omit<Execution, 'id'>;

/**
 * The integration log's filters ({@link ExecutionLog.listExecutions}), newest first by id; each
 * served by an index (`lead` through `execution_leads`; `event`, `state` and the date range by
 * indexes on `(integration_id, …)`).
 */
export interface ExecutionListQuery {
  /** Executions linked to this lead (`execution_leads`): its own runs and every run that touched it. */
  leadId?: number;
  flowId?: string;
  integrationId?: string;
  event?: string;
  /** Executions in one of these states (the errors-only view: `['error']`). */
  states?: readonly ExecutionState[];
  /** Started at or after this time (ISO). */
  startedFrom?: string;
  /** Started before this time (ISO). */
  startedTo?: string;
  limit?: number;
  before?: number;
}

/** The execution log: runs with their steps, linked to the leads they touched. */
export interface ExecutionLog {
  /**
   * Stores an execution and, in the same transaction, its links to the leads it touched
   * (`execution_leads (execution_id, lead_id)`, indexed both ways): its own lead (`leadId`) and
   * each of `leadIds` (a postback's lead, every lead a status check's batch matched). The embedded
   * backend links only the leads beyond the own one, which `executions.lead_id` names, and reads
   * both. Resolves with its id.
   */
  insertExecution(execution: NewExecution): Promise<number>;
  /** An execution, with `leadIds` (every lead linked to it, ascending) when it is linked to a lead beyond its own `leadId`. */
  getExecution(id: number): Promise<Execution | undefined>;
  /** Newest first, each with its `leadIds`; `limit` defaults to 50, at most 500. */
  listExecutions(query: ExecutionListQuery): Promise<Execution[]>;

  /**
   * Removes up to `limit` executions that `prune` selects, oldest first, in one short write, and
   * resolves with how many it removed (fewer than `limit`: nothing more to remove now). The
   * caller calls again for the next batch, so no single write holds the store long.
   *
   * Never removes an execution of a lead still in stage `new`: that lead is not delivered yet,
   * and retrying it from its failed node reads the execution. Test runs count like any other.
   */
  pruneExecutions(prune: ExecutionPrune, limit: number): Promise<number>;
}
