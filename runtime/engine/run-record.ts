/**
 * A run's execution record: what it was about, how it ended, and per node its record, with every
 * secret masked and each step capped (record-caps.ts), then stored in the execution log.
 */
import type { Execution, ExecutionLog, StepRecord } from '../store/types.ts';
import { expandStepInputs } from '../store/types.ts';
import type { FlowResponse } from '../../core/node/contract.ts';
import { capExecution } from './record-caps.ts';
import type { Redactor } from './redact.ts';
import type { NodeError, RunRequest } from './executor.ts';

/** How a run ended, as the executor saw it. */
export interface RunEnd {
  request: RunRequest;
  /** Every lead the run's Update Lead nodes found. */
  touched: ReadonlySet<number>;
  state: Execution['state'];
  error?: NodeError;
  response?: FlowResponse;
  steps: StepRecord[];
  startedAt: Date;
  durationMs: number;
}

/** Whether a run touched a lead other than its own (a postback's lead, a status batch's): its execution then names them all. */
function leadsBeyond(own: number | undefined, touched: ReadonlySet<number>): boolean {
  for (const id of touched) if (id !== own) return true;
  return false;
}

/**
 * The run's execution, redacted and capped, stored when there is a store (not for the CLI), its
 * step inputs filled in for the caller.
 */
export async function recordRun(
  store: Pick<ExecutionLog, 'insertExecution'> | undefined,
  redactor: Redactor,
  run: RunEnd,
): Promise<Execution> {
  const { request, touched } = run;
  const execution: Execution = {
    id: 0,
    flowId: request.flow.id,
    flowVersion: request.flow.version,
    integrationId: request.integration.id,
    event: request.event,
    leadId: request.lead?.id,
    ...(leadsBeyond(request.lead?.id, touched)
      ? { leadIds: [...new Set([...(request.lead && request.lead.id > 0 ? [request.lead.id] : []), ...touched])] }
      : {}),
    state: run.state,
    test: request.test ?? false,
    error: run.error,
    response: run.response,
    trigger: request.trigger,
    steps: run.steps,
    startedAt: run.startedAt.toISOString(),
    durationMs: Math.round(run.durationMs * 100) / 100,
  };
  // capped after redaction, so no secret is cut past recognition (record-caps.ts)
  const recorded = capExecution(redactor.value(execution));
  if (store) recorded.id = await store.insertExecution(recorded);
  // callers read inputs as before: fill them in from the outputs they were (by reference)
  expandStepInputs(recorded);
  return recorded;
}
