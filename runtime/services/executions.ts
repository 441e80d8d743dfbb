/** The integration log: reading the executions the executor recorded, newest first. */
import type { Execution, ExecutionLog as ExecutionRecords } from '../store/types.ts';
import type { ExecutionQuery } from '../../core/api.ts';
import { DomainError } from '../../core/domain/errors.ts';

/** A page of the log holds 50 executions unless asked for another size, and never more than 500. */
const PAGE = 50;
const MAX_PAGE = 500;

export class ExecutionLog {
  constructor(private readonly store: ExecutionRecords) {}

  list(query: ExecutionQuery): Promise<Execution[]> {
    return this.store.listExecutions({
      leadId: query.lead,
      flowId: query.flow,
      integrationId: query.integration,
      event: query.event,
      states: query.errors ? ['error'] : query.outcome ? [query.outcome] : undefined,
      startedFrom: query.from,
      startedTo: query.to,
      before: query.before,
      limit: Math.min(query.limit ?? PAGE, MAX_PAGE),
    });
  }

  /** @throws DomainError `not_found` when there is no such execution. */
  async get(id: number): Promise<Execution> {
    const execution = await this.store.getExecution(id);
    if (!execution) throw new DomainError('not_found', `no execution ${id}`, { field: 'id' });
    return execution;
  }
}
