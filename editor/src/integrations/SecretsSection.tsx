/**
 * The integration's secrets: names only (a stored value is never shown again), each replaceable or
 * removable, and a row to add one. Flows read them as `{{secrets.NAME}}`.
 */
import { useState } from 'react';
import type { IntegrationPatch, IntegrationView } from '../api/client.ts';
import type { KeyValueRow } from '../app/KeyValueRows.tsx';

type Row = KeyValueRow<string>;

export function SecretsSection({
  integration,
  patch,
}: {
  integration: IntegrationView;
  patch(body: IntegrationPatch, done?: string): Promise<boolean>;
}) {
  const [newSecret, setNewSecret] = useState<Row>({ key: '', value: '' });
  const [replacing, setReplacing] = useState<Row | null>(null);
  return (
    <section className="lf-box" data-testid="secrets">
      <h2>Secrets</h2>
      <p className="lf-muted">
        Credentials flows read as <code>{'{{secrets.NAME}}'}</code>. Stored values are never shown again and are hidden in every log; you
        can replace or remove them.
      </p>
      <table className="lf-table lf-table--compact">
        <tbody>
          {Object.keys(integration.secrets).map((secret) => (
            <tr key={secret}>
              <td>
                <code>{secret}</code>
              </td>
              <td className="lf-muted">••••••••</td>
              <td className="lf-actions">
                {replacing?.key === secret ? (
                  <form
                    className="lf-row"
                    onSubmit={async (e) => {
                      e.preventDefault();
                      if (replacing.value && (await patch({ secrets: { [secret]: replacing.value } }, `Secret ${secret} replaced`)))
                        setReplacing(null);
                    }}
                  >
                    <input
                      className="lf-input"
                      type="password"
                      autoComplete="new-password"
                      autoFocus
                      value={replacing.value}
                      onChange={(e) => setReplacing({ key: secret, value: e.target.value })}
                      aria-label={`New value of ${secret}`}
                    />
                    <button type="submit" className="lf-btn lf-btn--small lf-btn--primary">
                      Save
                    </button>
                    <button type="button" className="lf-btn lf-btn--small" onClick={() => setReplacing(null)}>
                      Cancel
                    </button>
                  </form>
                ) : (
                  <>
                    <button type="button" className="lf-link-btn" onClick={() => setReplacing({ key: secret, value: '' })}>
                      Replace
                    </button>
                    <button
                      type="button"
                      className="lf-link-btn lf-danger"
                      onClick={() =>
                        window.confirm(`Remove the secret ${secret}?`) &&
                        void patch({ secrets: { [secret]: null } }, `Secret ${secret} removed`)
                      }
                    >
                      Remove
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="lf-kv__row"
        onSubmit={async (e) => {
          e.preventDefault();
          const key = newSecret.key.trim();
          if (!key || !newSecret.value) return;
          if (await patch({ secrets: { [key]: newSecret.value } }, `Secret ${key} saved`)) setNewSecret({ key: '', value: '' });
        }}
      >
        <input
          className="lf-input lf-kv__key"
          value={newSecret.key}
          placeholder="api_key"
          onChange={(e) => setNewSecret({ ...newSecret, key: e.target.value })}
          aria-label="New secret name"
        />
        <input
          className="lf-input"
          type="password"
          autoComplete="new-password"
          value={newSecret.value}
          placeholder="value"
          onChange={(e) => setNewSecret({ ...newSecret, value: e.target.value })}
          aria-label="New secret value"
        />
        <button type="submit" className="lf-btn lf-btn--small" disabled={!newSecret.key.trim() || !newSecret.value}>
          Add secret
        </button>
      </form>
    </section>
  );
}
