import { useNotices } from './notices.ts';

/** The notice stack, bottom left, announced to screen readers. */
export function Notices() {
  const notices = useNotices((s) => s.notices);
  const dismiss = useNotices((s) => s.dismiss);
  return (
    <div className="lf-notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`lf-notice lf-notice--${n.tone}`} role={n.tone === 'error' ? 'alert' : 'status'} data-testid="notice">
          <div className="lf-notice__text">
            {n.text}
            {n.details && (
              <ul>
                {n.details.map((d, i) => (
                  <li key={i}>{d}</li>
                ))}
              </ul>
            )}
          </div>
          <button type="button" className="lf-icon-btn" onClick={() => dismiss(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
