/**
 * The one rule for a disabled node (`disabled: true` on a flow node, set from the canvas's menu):
 *
 * **A disabled node is skipped, and its input passes through its main exit.** It does not run —
 * no request, no signature, no stage change — and is recorded as a step that passed its input on
 * unchanged through the first output its type declares (`out` for most nodes; the first case of a
 * Condition). Nodes after it run as if it were not there and read its input as its output. A node
 * with no outputs ends its branch when disabled. Retries, timeouts and the error port do not apply,
 * since nothing runs.
 *
 * What validation makes of it: a disabled node's params are not checked (they are never used), but
 * the graph around it is, like any node's (it is still connected, it still cannot form a cycle).
 * A trigger cannot be disabled: without it nothing starts.
 *
 * The executor (`runtime/engine/step.ts`) applies the rule; the canvas draws a disabled node greyed.
 */
import type { FlowNode } from '../domain/flow.ts';
import type { NodeDescriptor } from '../node/contract.ts';

/** True when the node is switched off on the canvas. */
export function isDisabled(node: Pick<FlowNode, 'disabled'>): boolean {
  return node.disabled === true;
}

/** The exit a disabled node's input passes through: its type's main (first) output, or none. */
export function passThroughPort(descriptor: Pick<NodeDescriptor, 'outputs'>): string | undefined {
  return descriptor.outputs[0];
}

/** What a disabled node's step logs, so the integration log says why nothing happened. */
export const DISABLED_LOG = 'disabled on the canvas: skipped, its input passed on unchanged';
