/**
 * Where a run stands, so that a delivery taken up again — after a transient failure, a crash, a
 * restart, a lost lease, or a wait for its target — continues at the node it stopped at, with the
 * outputs of the nodes before it, instead of from the trigger: a call that succeeded is not made
 * again for the same lead and event.
 *
 * It is the executor's "retry from the failed node" ({@link RunResume}), written down as the run
 * goes: before each node that talks to a target, once an earlier node's call succeeded, the
 * delivery writes the checkpoint of that node to its job (runtime/services/delivery.ts). The
 * outputs are kept as they were, not redacted — a session cookie or a token the first call got is
 * what the second call must send — so the delivery seals the checkpoint (the integration secrets'
 * key, runtime/store/secret-box.ts) before it reaches the job, and opens it only to continue the
 * run; the values the run had learnt to mask go with it ({@link RunCheckpoint.learnt}), so the
 * continued run's records mask them too. A node whose `settings.rerun` is set (a timestamped
 * signature), or whose type says so (Auth Token: its token may have expired), runs again on resume.
 */

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
  /**
   * The values the run before learnt at run time and masked (a Set-Cookie value, a token): the
   * continued run masks them in its records too, the kept outputs holding them as they were.
   */
  learnt?: string[];
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

/**
 * The checkpoint of a run about to run (or run again) `frame`, or undefined where a node to run
 * again did not run in this run (nothing to run it again from). `rerun`: the nodes that always run
 * again; `learnt`: the values learnt at run time that the records mask (cookies, tokens).
 */
export function checkpointAt(
  flow: { id: string; version: number; rerun: ReadonlySet<string> },
  frame: { nodeId: string; input: unknown; from?: string; item?: unknown },
  ran: readonly RanStep[],
  outputs: Record<string, unknown>,
  learnt: readonly string[],
  waitingSince?: string,
): RunCheckpoint | undefined {
  const lastRun = new Map<string, RanStep>();
  for (const step of ran) lastRun.set(step.nodeId, step);
  const kept: Record<string, unknown> = {};
  const rerun: RerunStep[] = [];
  for (const [nodeId, output] of Object.entries(outputs)) {
    if (nodeId === frame.nodeId) continue;
    if (!flow.rerun.has(nodeId)) kept[nodeId] = output;
    else if (!lastRun.has(nodeId)) return undefined;
  }
  // Map order is first insertion: a node run twice keeps its first place, the order the rerun needs
  for (const step of lastRun.values()) {
    if (!flow.rerun.has(step.nodeId) || step.nodeId === frame.nodeId) continue;
    rerun.push({ nodeId: step.nodeId, ...(step.from !== undefined ? { inputFrom: step.from } : { input: step.input }) });
  }
  return {
    flowId: flow.id,
    flowVersion: flow.version,
    nodeId: frame.nodeId,
    ...(frame.from !== undefined ? { inputFrom: frame.from } : { input: frame.input }),
    ...(frame.item !== undefined ? { item: frame.item } : {}),
    outputs: kept,
    ...(rerun.length ? { rerun } : {}),
    ...(learnt.length ? { learnt: [...learnt] } : {}),
    ...(waitingSince ? { waitingSince } : {}),
  };
}
