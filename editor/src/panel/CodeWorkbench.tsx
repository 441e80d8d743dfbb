/**
 * The large editor of a Code node's script: most of the window for the code, and beside it the
 * last test run's result for this node (labelled when the script changed since) and every helper
 * with its signature. Closes with Esc or the button; every keystroke is already in the flow.
 */
import { useEffect } from 'react';
import { CODE_HELPERS } from '../../../core/node/code-helpers.ts';
import { StepDetails } from '../runs/StepDetails.tsx';
import CodeEditor from './CodeEditor.tsx';
import { ScriptRunSummary, type CodeFieldProps, type useScriptRun } from './CodeField.tsx';
import type { TemplateCompletionTarget } from './template-completion.ts';
import './values.css';

interface Props extends CodeFieldProps {
  /** The node's label or its type's title. */
  title: string;
  completion: TemplateCompletionTarget;
  run: ReturnType<typeof useScriptRun>;
  onClose(): void;
}

export default function CodeWorkbench({ value, onChange, readOnly, title, completion, run, onClose }: Props) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // Esc closes, unless the editor used it (to close the completion list)
      if (event.key === 'Escape' && !event.defaultPrevented) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="lf-modal lf-workbench" role="dialog" aria-modal="true" aria-label={`Script of ${title}`}>
      <div className="lf-workbench__box" data-testid="code-workbench">
        <header className="lf-workbench__head">
          <h2>{title}: JavaScript</h2>
          <span className="lf-muted">
            The body of an async function of input, lead, offer, integration and helpers; return JSON. Ctrl+Space completes.
          </span>
          <button type="button" className="lf-btn" data-testid="code-close-large" onClick={onClose}>
            Done
          </button>
        </header>
        <div className="lf-workbench__main">
          <div className="lf-workbench__code">
            <CodeEditor value={value} onChange={onChange} readOnly={readOnly} completion={completion} runError={run.error} tall autoFocus />
          </div>
          <aside className="lf-workbench__side">
            <h3>Last test run</h3>
            {run.hasRun ? (
              <>
                <ScriptRunSummary step={run.step} hasRun={run.hasRun} stale={run.stale} />
                {run.step && <StepDetails step={run.step} />}
              </>
            ) : (
              <p className="lf-muted">No test run yet. Run the flow from the Test tab; its result for this node shows here.</p>
            )}
            <h3>helpers</h3>
            <dl className="lf-helpers">
              {Object.entries(CODE_HELPERS).map(([name, entry]) => (
                <div key={name}>
                  <dt>helpers.{entry.signature}</dt>
                  <dd>{entry.doc}</dd>
                </div>
              ))}
            </dl>
          </aside>
        </div>
      </div>
    </div>
  );
}
