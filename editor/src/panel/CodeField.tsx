/**
 * A Code node's script: the editor in the panel with completion, the last test run's result for
 * this node under it (labelled when the script changed since that run), and a button that opens
 * the large editor (CodeWorkbench.tsx) beside the same result and the helpers' reference.
 */
import { lazy, Suspense, useState } from 'react';
import type { StepRecord } from '../../../core/domain/execution.ts';
import { useDescriptor, useEditor } from '../canvas/store.ts';
import { useFlowDocument } from '../canvas/document.ts';
import { useParamsAtLastRun } from '../runs/run-snapshot.ts';
import { useTemplateCompletionTarget } from './completion-target.ts';
import type { ScriptRunError } from './CodeEditor.tsx';
import './values.css';

const CodeEditor = lazy(() => import('./CodeEditor.tsx'));
const CodeWorkbench = lazy(() => import('./CodeWorkbench.tsx'));

export interface CodeFieldProps {
  name: string;
  value: string;
  onChange(value: string): void;
  nodeId: string;
  nodeType: string;
  readOnly: boolean;
  inputId: string;
}

/** The script's error in a failed step (`output.error` of the Code node: kind, message, line). */
export function scriptErrorOf(step: StepRecord | undefined): ScriptRunError | null {
  if (!step || step.state !== 'error') return null;
  const error = (step.output as { error?: { line?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.line !== 'number') return null;
  return { line: error.line, message: typeof error.message === 'string' ? error.message : (step.error?.message ?? 'failed') };
}

/** What the last test run did with this node's script, and whether the script changed since. */
export function useScriptRun(nodeId: string, name: string, value: string) {
  const step = useEditor((s) => s.run?.steps[nodeId]);
  const hasRun = useEditor((s) => s.run !== null);
  const atRun = useParamsAtLastRun(nodeId);
  const stale = step !== undefined && atRun !== undefined && (atRun[name] ?? '') !== value;
  const error = scriptErrorOf(step);
  return {
    step,
    hasRun,
    stale,
    error: error && stale ? { ...error, message: `${error.message} (in an earlier version of the script)` } : error,
  };
}

/** One line on the last run of this script: it gave an output, or it failed and why; stale when the script changed since. */
export function ScriptRunSummary({ step, hasRun, stale }: { step: StepRecord | undefined; hasRun: boolean; stale: boolean }) {
  if (!hasRun) return null;
  if (!step) return <p className="lf-help">The last test run did not reach this node.</p>;
  return (
    <p className={`lf-script-run ${step.state === 'ok' ? 'is-ok' : 'is-failed'}`} data-testid="script-run">
      {step.state === 'ok' ? `✓ Last test run: left by “${step.port ?? 'out'}”` : `✕ Last test run: ${step.error?.message ?? 'failed'}`}
      {stale && (
        <span className="lf-stale" data-testid="script-stale">
          from an earlier version of the script
        </span>
      )}
    </p>
  );
}

export function CodeField(props: CodeFieldProps) {
  const completion = useTemplateCompletionTarget(props.nodeId, props.nodeType);
  const run = useScriptRun(props.nodeId, props.name, props.value);
  const [large, setLarge] = useState(false);
  const label = useFlowDocument((s) => s.history?.present.nodes.find((n) => n.id === props.nodeId)?.label);
  const typeTitle = useDescriptor(props.nodeType)?.title;
  const title = label || typeTitle || props.nodeId;
  return (
    <div className="lf-code-field">
      <div className="lf-code-field__bar">
        <span className="lf-help">Ctrl+Space completes helpers, lead, offer and input.</span>
        <button type="button" className="lf-btn lf-btn--small" data-testid="code-open-large" onClick={() => setLarge(true)}>
          ⤢ Open large editor
        </button>
      </div>
      {!large && (
        <Suspense fallback={<textarea className="lf-input lf-input--mono" rows={8} value={props.value} readOnly />}>
          <CodeEditor
            value={props.value}
            onChange={props.onChange}
            readOnly={props.readOnly}
            id={props.inputId}
            completion={completion}
            runError={run.error}
          />
        </Suspense>
      )}
      <ScriptRunSummary step={run.step} hasRun={run.hasRun} stale={run.stale} />
      {large && (
        <Suspense fallback={null}>
          <CodeWorkbench {...props} title={title} completion={completion} run={run} onClose={() => setLarge(false)} />
        </Suspense>
      )}
    </div>
  );
}
