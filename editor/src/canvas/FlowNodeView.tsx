/**
 * How every node looks on the canvas, whatever its type: drawn from its descriptor (title, ports),
 * with its validation marker and, after a test run, what it did. Memoized, and it subscribes only to
 * its own issues and run step, so dragging one node in a large flow re-renders that node alone.
 */
import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { useDescriptor, useEditor } from './store.ts';
import { outputsOf, type EditorNode } from './flow-doc.ts';
import { categoryClass, formatMs } from './look.ts';
import { fieldInWords } from '../../../core/flow/issue-words.ts';

// the catalog as the kernel's lookup, read when a tooltip is drawn
const catalog = { get: (type: string) => useEditor.getState().descriptors.get(type) };

const NO_ISSUES: never[] = [];

function FlowNodeViewInner({ id, type, data, selected }: NodeProps<EditorNode>) {
  const descriptor = useDescriptor(type);
  const issues = useEditor((s) => s.issuesByNode[id] ?? NO_ISSUES);
  const hasRun = useEditor((s) => s.run !== null);
  const step = useEditor((s) => s.run?.steps[id]);

  if (!descriptor) {
    return (
      <div className="lf-node lf-node--unknown" data-node-id={id}>
        <div className="lf-node__head">
          <span className="lf-node__title">Unknown node “{type}”</span>
        </div>
        <div className="lf-node__body">The runtime has no node of this type.</div>
      </div>
    );
  }

  const outputs = outputsOf(descriptor, data.settings);
  const runState = !hasRun ? '' : step ? (step.pinned ? 'pinned' : step.state) : 'skipped';
  const classes = ['lf-node', categoryClass(descriptor.category)];
  if (selected) classes.push('is-selected');
  if (data.disabled) classes.push('is-disabled');
  if (issues.length) classes.push('has-issues');
  if (runState) classes.push(`run-${runState}`);
  const rows = Math.max(descriptor.inputs.length, outputs.length, 1);

  return (
    <div
      className={classes.join(' ')}
      data-node-id={id}
      data-run={runState || undefined}
      data-issues={issues.length || undefined}
      data-disabled={data.disabled || undefined}
    >
      <div className="lf-node__head">
        <span className="lf-node__dot" />
        <span className="lf-node__title">{data.label || descriptor.title}</span>
        {data.disabled && (
          <span className="lf-node__off" title="Skipped when the flow runs: its input goes on unchanged">
            off
          </span>
        )}
        {issues.length > 0 && (
          <span className="lf-node__marker" aria-label={`${issues.length} problem${issues.length > 1 ? 's' : ''}`}>
            !
            <span className="lf-tooltip" role="tooltip">
              {issues.map((issue, i) => {
                const field = fieldInWords(issue.field, { type: type ?? '' }, catalog);
                return (
                  <span key={i} className="lf-tooltip__line">
                    {field && <b>{field} </b>}
                    {issue.message}
                  </span>
                );
              })}
            </span>
          </span>
        )}
      </div>
      <div className="lf-node__sub">
        <code>{id}</code>
        {data.label ? <span> · {descriptor.title}</span> : null}
      </div>
      <div className="lf-node__ports" style={{ height: rows * 20 }}>
        {descriptor.inputs.map((port, i) => (
          <div key={port} className="lf-port lf-port--in" style={{ top: i * 20 }}>
            <Handle type="target" position={Position.Left} id={port} className="lf-handle" />
            {descriptor.inputs.length > 1 && <span>{port}</span>}
          </div>
        ))}
        {outputs.map((port, i) => (
          <div key={port} className={`lf-port lf-port--out${port === 'out' ? '' : ' lf-port--alt'}`} style={{ top: i * 20 }}>
            <span>{outputs.length > 1 || port !== 'out' ? port.replace(/_/g, ' ') : ''}</span>
            <Handle type="source" position={Position.Right} id={port} className="lf-handle" />
          </div>
        ))}
      </div>
      {runState && (
        <div className={`lf-node__run lf-node__run--${runState}`} data-testid="run-badge">
          {runState === 'skipped' ? (
            'not reached'
          ) : runState === 'stopped' ? (
            'stopped before sending'
          ) : runState === 'pinned' ? (
            'pinned: not run'
          ) : runState === 'ok' ? (
            <>
              ✓ {step?.port && step.port !== 'out' ? `→ ${step.port} · ` : ''}
              {formatMs(step?.durationMs ?? 0)}
            </>
          ) : (
            <>
              ✕ {step?.error?.message ?? 'failed'} · {formatMs(step?.durationMs ?? 0)}
            </>
          )}
        </div>
      )}
    </div>
  );
}

export const FlowNodeView = memo(FlowNodeViewInner);
