/**
 * The macros a postback URL may hold: the kernel's list (core/domain/postback-macros.ts), the one
 * the runtime expands. Compact, so the page's other sections stay in view: every macro as a chip
 * (its meaning on hover), a click putting it at the cursor of the postback URL field last used;
 * what each is replaced by in a table that opens on demand.
 */
import { POSTBACK_MACROS } from '../../../core/domain/postback-macros.ts';

export function MacroList({ onPick }: { onPick?(macro: string): void }) {
  return (
    <aside className="lf-box lf-macros" data-testid="postback-macros">
      <h3>Macros you can use in a postback URL</h3>
      <p className="lf-muted lf-small">
        Written in braces, e.g.{' '}
        <code>
          ?click={'{subid}'}&amp;status={'{stage}'}
        </code>
        , each replaced by the lead&apos;s value. Click one to put it in the URL field you last used.
      </p>
      <div className="lf-macro-chips">
        {POSTBACK_MACROS.map((m) => (
          <span key={m.name} data-macro={m.name}>
            <button
              type="button"
              className="lf-link-btn lf-macro"
              onClick={() => onPick?.(`{${m.name}}`)}
              title={`${m.meaning} — insert {${m.name}}`}
            >
              <code>{`{${m.name}}`}</code>
            </button>
          </span>
        ))}
      </div>
      <details className="lf-macro-meanings" data-testid="macro-meanings">
        <summary>What each one is replaced by</summary>
        <table className="lf-table lf-table--compact">
          <tbody>
            {POSTBACK_MACROS.map((m) => (
              <tr key={m.name} data-macro-meaning={m.name}>
                <td>
                  <code>{`{${m.name}}`}</code>
                </td>
                <td>{m.meaning}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </aside>
  );
}
