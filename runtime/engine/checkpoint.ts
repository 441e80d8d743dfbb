/**
 * Where a run stands, so that a delivery taken up again — after a transient failure, a crash, a
 * restart, a lost lease, or a wait for its target — continues at the node it stopped at, with the
 * outputs of the nodes before it, instead of from the trigger: a call that succeeded is not made
 * again for the same lead and event.
 *
 * It is the executor's "retry from the failed node" ({@link RunResume}), written down as the run
 * goes: before each node that talks to a target, once an earlier node's call succeeded, the
 * delivery writes the checkpoint of that node to its job (runtime/services/delivery.ts). Only what
 * a node that came before needs is kept, redacted like the execution log; a node whose output held
 * a secret or a token (Auth Token's) cannot be kept as it was, so it runs again on resume, as does
 * every node whose `settings.rerun` is set (a timestamped signature). Where a value the resumed run
 * needs was redacted and no node can make it again, there is no checkpoint: the run starts over.
 */
import type { FlowNode } from '../../core/domain/flow.ts';
import { REDACTED, type Redactor } from './redact.ts';

/** A node run again, first, when a run resumes: with its input, or the output (or `$trigger`) it took. */
export interface RerunStep {
  nodeId: string;
  input?: unknown;
  inputFrom?: string;
}

/**
 * Where a run starts instead of at its trigger: at `nodeId`, its input given (`input`, or
 * `inputFrom`: the node whose output it is, `$trigger` for the trigger), the outputs of the nodes
 * before it given (`{{nodes.x}}`), the `rerun` nodes run again first, in order.
 */
export interface RunResume {
  nodeId: string;
  input?: unknown;
  inputFrom?: string;
  /** The For Each item the node's branch runs for. */
  item?: unknown;
  outputs: Record<string, unknown>;
  rerun?: RerunStep[];
  /** When the node began waiting for its target (its "repeat until"): its longest wait counts from then. ISO time. */
  waitingSince?: string;
  /**
   * Record the outputs given as steps kept from the run before (attempts 0, no call made): a
   * delivery continued from its checkpoint, so that its execution holds what its nodes read, and
   * "retry from the failed node" on it finds them.
   */
  recordKept?: boolean;
}

/** A {@link RunResume} with the flow version it belongs to, as a delivery job keeps it (`payload.resume`). */
export interface RunCheckpoint extends RunResume {
  flowId: string;
  flowVersion: number;
}

/** A node that ran: what it took, by reference (`from`: the output it was), so a rerun can take it again. */
export interface RanStep {
  nodeId: string;
  input: unknown;
  from?: string;
}

const holdsRedacted = (value: unknown): boolean => value !== undefined && JSON.stringify(value).includes(REDACTED);

/**
 * The checkpoint of a run about to run (or run again) `frame`, or undefined where a value it needs
 * was redacted and nothing would make it again.
 */
export function checkpointAt(
  flow: { id: string; version: number; nodes: Map<string, FlowNode> },
  frame: { nodeId: string; input: unknown; from?: string; item?: unknown },
  ran: readonly RanStep[],
  outputs: Record<string, unknown>,
  redactor: Redactor,
  waitingSince?: string,
): RunCheckpoint | undefined {
  const lastRun = new Map<string, RanStep>();
  for (const step of ran) lastRun.set(step.nodeId, step);
  const kept: Record<string, unknown> = {};
  const again = new Set<string>();
  for (const [nodeId, output] of Object.entries(outputs)) {
    if (nodeId === frame.nodeId) continue;
    const masked = redactor.empty ? output : redactor.value(output);
    if (flow.nodes.get(nodeId)?.settings?.rerun === true || holdsRedacted(masked)) {
      if (!lastRun.has(nodeId)) return undefined;
      again.add(nodeId);
    } else kept[nodeId] = masked;
  }
  const taken = (input: unknown, from: string | undefined): { input?: unknown; inputFrom?: string } | undefined => {
    if (from !== undefined) return { inputFrom: from };
    const masked = redactor.empty ? input : redactor.value(input);
    return holdsRedacted(masked) ? undefined : { input: masked };
  };
  const rerun: RerunStep[] = [];
  for (const step of lastRun.values()) {
    if (!again.has(step.nodeId)) continue;
    const input = taken(step.input, step.from);
    if (!input) return undefined;
    rerun.push({ nodeId: step.nodeId, ...input });
  }
  // Map order is first insertion: a node run twice keeps its first place, the order the rerun needs
  const input = taken(frame.input, frame.from);
  if (!input) return undefined;
  const item = frame.item === undefined ? undefined : taken(frame.item, undefined);
  if (frame.item !== undefined && !item) return undefined;
  return {
    flowId: flow.id,
    flowVersion: flow.version,
    nodeId: frame.nodeId,
    ...input,
    ...(item ? { item: item.input } : {}),
    outputs: kept,
    ...(rerun.length ? { rerun } : {}),
    ...(waitingSince ? { waitingSince } : {}),
  };
}
