/**
 * "Repeat until": a call made again until its answer says the target is ready — a registration
 * whose autologin URL comes a second or two after its id, an export that is "pending" before it
 * is "done". HTTP Request's params name the condition (a status, or a field's value), how often to
 * ask and for how long, and what happens when the target is still not ready then.
 *
 * Waiting is not sleeping: the node answers `again` (see `NodeResult.again` in contract.ts) and
 * the host runs it again later — a queued delivery by ending its run and continuing its job then,
 * a synchronous registration on a timer, within the host's bound.
 */
import { stringify } from '../template/filters.ts';
import { parsePath, resolvePath } from '../template/template.ts';
import type { NodeResult } from './contract.ts';

/** When an answer counts as ready. */
export interface ReadyCondition {
  until: 'off' | 'status' | 'field';
  /** `status`: the statuses that are ready, e.g. `200` or `200, 201`. */
  statuses?: string;
  /** `field`: a path into the node's output, e.g. `body.status`. */
  field?: string;
  /** `field`: the value (as text) it must have; empty: there and not empty. */
  value?: string;
}

/** How long to keep asking, and what the node does when that runs out. */
export interface RepeatPlan extends ReadyCondition {
  everyMs: number;
  forMs: number;
  whenNotReady: 'fail' | 'retry' | 'out';
}

/**
 * Whether `output` (HTTP Request's: `{status, body, …}`) is ready.
 * @example isReady({ until: 'field', field: 'body.status', value: 'ready' }, { status: 200, body: { status: 'ready' } }) // true
 */
export function isReady(condition: ReadyCondition, output: unknown): boolean {
  const answer = (output ?? {}) as { status?: unknown };
  if (condition.until === 'status') {
    const wanted = String(condition.statuses ?? '200')
      .split(/[\s,]+/)
      .filter(Boolean);
    return wanted.includes(String(answer.status));
  }
  if (condition.until === 'field') {
    const found = resolvePath(output, parsePath(String(condition.field ?? '').trim()));
    const text = stringify(found).trim();
    const value = String(condition.value ?? '').trim();
    return value === '' ? found !== undefined && found !== null && text !== '' : text === value;
  }
  return true;
}

/**
 * What a node makes of an answer that is `result` under `plan`, having waited `waitedMs` of at most
 * `limitMs` (the host's bound, if it has one): the result itself when ready (or when nothing is to be
 * repeated), `again` while there is time left, and, when there is none, what `whenNotReady` says —
 * a failure `not_ready` (retryable for `retry`), or the last answer on `out`.
 */
export function repeatOutcome(plan: RepeatPlan, result: NodeResult, waitedMs: number, limitMs?: number): NodeResult {
  if (plan.until === 'off') return result;
  // a failure the answer is anyway (a refusal, a network error) is not "not ready": the flow handles it as always
  if (result.failure && !(plan.until === 'status' && result.output !== undefined && (result.output as { status?: unknown }).status))
    return result;
  if (isReady(plan, result.output)) return result;
  const longest = Math.min(plan.forMs, limitMs ?? Infinity);
  if (waitedMs + plan.everyMs <= longest) return { output: result.output, again: { afterMs: plan.everyMs } };
  const what =
    plan.until === 'status'
      ? `its status was not ${plan.statuses ?? '200'}`
      : `${plan.field} was not ${plan.value ? `"${plan.value}"` : 'set'}`;
  const message = `the target was not ready after ${Math.round(waitedMs)} ms (${what})`;
  if (plan.whenNotReady === 'out') return { port: 'out', output: result.output };
  return { output: result.output, failure: { code: 'not_ready', message, retryable: plan.whenNotReady === 'retry' } };
}
