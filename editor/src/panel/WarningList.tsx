/**
 * What the kernel's validation warns about (`validateFlow(…).warnings`, core/flow/before-run.ts):
 * the flow saves and runs, but something in it is likely not what was meant — an error exit
 * left unconnected. Each names its node by title and the field in words, and leads to the node.
 */
import { useEditor } from '../canvas/store.ts';
import { ProblemLine } from './ProblemLine.tsx';
import './values.css';

export function WarningList() {
  const warnings = useEditor((s) => s.warnings);
  if (!warnings.length) return null;
  return (
    <>
      <h3>Worth a look</h3>
      <ul className="lf-issues lf-issues--warn" data-testid="flow-warnings">
        {warnings.map((warning, i) => (
          <li key={i}>
            <ProblemLine issue={warning} />
          </li>
        ))}
      </ul>
    </>
  );
}
