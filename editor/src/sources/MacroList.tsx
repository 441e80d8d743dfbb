/**
 * The macros a postback URL may hold, each with what it is replaced by: the kernel's list
 * (core/domain/postback-macros.ts), the one the runtime expands. A click puts the macro at the
 * cursor of the postback URL field last used.
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
        ; each is replaced by the lead&apos;s value when the postback is sent. Click one to put it in the URL field you last used.
      </p>
      <table className="lf-table lf-table--compact">
        <tbody>
          {POSTBACK_MACROS.map((m) => (
            <tr key={m.name} data-macro={m.name}>
              <td>
                <button type="button" className="lf-link-btn lf-macro" onClick={() => onPick?.(`{${m.name}}`)} title={`Insert {${m.name}}`}>
                  <code>{`{${m.name}}`}</code>
                </button>
              </td>
              <td>{m.meaning}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}
