/**
 * What the kernel's validation warns about (`validateFlow(…).warnings`, core/flow/before-run.ts):
 * the flow saves and runs, but something in it is likely not what was meant — an error exit
 * left unconnected. Each leads to its node.
 */
import { useEditor } from '../canvas/store.ts';
import './values.css';

const EXIT = /^outputs\.(.+)$/;

export function WarningList() {
  const warnings = useEditor((s) => s.warnings);
  const selectOnly = useEditor((s) => s.selectOnly);
  if (!warnings.length) return null;
  return (
    <>
      <h3>Worth a look</h3>
      <ul className="lf-issues lf-issues--warn" data-testid="flow-warnings">
        {warnings.map((warning, i) => {
          const exit = EXIT.exec(warning.field);
          return (
            <li key={i}>
              {warning.nodeId ? (
                <button type="button" className="lf-link-btn" onClick={() => selectOnly(warning.nodeId as string)}>
                  {warning.nodeId}
                </button>
              ) : (
                <b>flow</b>
              )}{' '}
              <b>{exit ? `exit “${exit[1]}”` : warning.field}</b> {warning.message}
            </li>
          );
        })}
      </ul>
    </>
  );
}
