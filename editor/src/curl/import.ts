/**
 * Puts the nodes a curl command implies on the canvas, wired after the selected node (or after the
 * trigger when nothing follows it yet), and tells the integrator what to set up.
 */
import type { XYPosition } from '@xyflow/react';
import { useEditor } from '../canvas/store.ts';
import { currentDoc } from '../canvas/document.ts';
import { madeNow } from '../../../core/flow/operations.ts';
import { connectNodes, paste } from '../canvas/commands.ts';
import { notify } from '../app/notices.ts';
import { CurlError, curlToNodes } from './parse.ts';

/** @returns true when nodes were made. */
export function importCurl(command: string, at?: XYPosition): boolean {
  let made;
  try {
    made = curlToNodes(command);
  } catch (error) {
    notify(
      'error',
      error instanceof CurlError
        ? `Could not read the curl command: ${error.message}`
        : `Could not read the curl command: ${String(error)}`,
    );
    return false;
  }
  const before = useEditor.getState();
  const doc = currentDoc();
  if (!doc) return false;
  const selected = doc.nodes.filter((n) => before.selectedNodes.has(n.id));
  const trigger = doc.nodes.find((n) => before.descriptors.get(n.type)?.category === 'trigger');
  const from = selected.length === 1 ? selected[0] : trigger && !doc.edges.some((e) => e.source === trigger.id) ? trigger : undefined;
  const origin = at ?? (from ? { x: from.position.x + 260, y: from.position.y } : { x: 100, y: 100 });
  // the nodes are written for their types as they are now
  const nodes = made.nodes.map((n) => madeNow(n, before.descriptors.get(n.type)));
  const rename = paste({ leadflow: 'nodes', nodes, edges: made.edges }, origin);
  const first = rename.get(made.nodes[0].id);
  if (from && first) {
    const outputs = before.descriptors.get(from.type)?.outputs ?? ['out'];
    connectNodes({ source: from.id, sourceHandle: outputs[0] ?? 'out', target: first, targetHandle: 'in' });
  }
  // the body builder is what to check first
  if (first) useEditor.getState().selectOnly(first);
  const names = made.nodes.map((n) => before.descriptors.get(n.type)?.title ?? n.type).join(' → ');
  notify('success', `Made ${names} from the curl command`, made.notes);
  return true;
}
