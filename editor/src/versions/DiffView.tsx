/**
 * What changed between two documents of the flow, node by node (the kernel's `diffFlows`): nodes
 * added and removed, each changed field of a node on a line of its own (`send: url`, old → new),
 * connections added and removed. Nodes are named by their label when they have one.
 */
import type { FlowDiff, NodeRef, EdgeRef } from '../../../core/flow/diff.ts';
import { isEmptyDiff } from '../../../core/flow/diff.ts';

const nodeName = (n: NodeRef) => (n.label ? `${n.label} (${n.id})` : n.id);
const edgeName = (e: EdgeRef) => `${e.source}${e.sourceHandle !== 'out' ? ` (${e.sourceHandle})` : ''} → ${e.target}`;
/** A field's path as an integrator reads it: `params.body.phone` → `body.phone`. */
const fieldName = (path: string) => path.replace(/^params\./, '');

export function DiffView({ diff }: { diff: FlowDiff }) {
  if (isEmptyDiff(diff)) return <p className="lf-muted">No change but node positions.</p>;
  return (
    <ul data-testid="diff-lines">
      {diff.flow.map((f) => (
        <li key={`flow-${f.path}`} className="lf-diff__changed">
          <span className="lf-diff__kind">~</span>
          <span className="lf-diff__what">flow {f.path}</span>
          <Values before={f.before} after={f.after} />
        </li>
      ))}
      {diff.nodes.added.map((n) => (
        <li key={`add-${n.id}`} className="lf-diff__added" data-node={n.id}>
          <span className="lf-diff__kind">+</span>
          <span className="lf-diff__what">
            node {nodeName(n)} <span className="lf-muted">({n.type})</span>
          </span>
        </li>
      ))}
      {diff.nodes.removed.map((n) => (
        <li key={`rm-${n.id}`} className="lf-diff__removed" data-node={n.id}>
          <span className="lf-diff__kind">−</span>
          <span className="lf-diff__what">
            node {nodeName(n)} <span className="lf-muted">({n.type})</span>
          </span>
        </li>
      ))}
      {diff.nodes.changed.flatMap((n) =>
        n.fields.map((f) => (
          <li key={`ch-${n.id}-${f.path}`} className="lf-diff__changed" data-node={n.id} data-field={fieldName(f.path)}>
            <span className="lf-diff__kind">~</span>
            <span className="lf-diff__what">
              {nodeName(n)}: {fieldName(f.path)}
            </span>
            <Values before={f.before} after={f.after} />
          </li>
        )),
      )}
      {diff.edges.added.map((e) => (
        <li key={`ea-${edgeName(e)}`} className="lf-diff__added">
          <span className="lf-diff__kind">+</span>
          <span className="lf-diff__what">connection {edgeName(e)}</span>
        </li>
      ))}
      {diff.edges.removed.map((e) => (
        <li key={`er-${edgeName(e)}`} className="lf-diff__removed">
          <span className="lf-diff__kind">−</span>
          <span className="lf-diff__what">connection {edgeName(e)}</span>
        </li>
      ))}
    </ul>
  );
}

function Values({ before, after }: { before?: string; after?: string }) {
  return (
    <span className="lf-diff__values">
      <del>{before ?? '(not set)'}</del>
      <ins>{after ?? '(not set)'}</ins>
    </span>
  );
}
