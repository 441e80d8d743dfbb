/**
 * The one choice that lets a test run call the target: off by default, and forgotten when the page
 * reloads, so a test never creates a real order by accident. Shared by the test panel and "Run this
 * node".
 */
import { useTestOptions } from './test-options.ts';

export function SendForReal() {
  const send = useTestOptions((s) => s.send);
  const setSend = useTestOptions((s) => s.setSend);
  return (
    <div className="lf-field">
      <label className="lf-check">
        <input
          type="checkbox"
          checked={send === 'real'}
          onChange={(e) => setSend(e.target.checked ? 'real' : 'dry')}
          data-testid="send-for-real"
        />{' '}
        Send for real
      </label>
      <p className="lf-help">
        {send === 'real'
          ? 'The requests go to the target: it may create a real order there.'
          : 'Off: the run stops before the first request to the target and shows it. Nothing is sent.'}
      </p>
    </div>
  );
}
