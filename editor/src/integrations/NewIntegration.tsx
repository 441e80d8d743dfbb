/** "+ Blank integration": a name, the id made from it (free among the taken ones), and the integration created off, empty. */
import { useMemo, useState } from 'react';
import { useCreateIntegration } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';

export function NewIntegrationDialog({ taken, onClose }: { taken: Set<string>; onClose(): void }) {
  const [name, setName] = useState('');
  const create = useCreateIntegration();
  const id = useMemo(() => {
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 60) || 'integration';
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}-${n}`;
    return candidate;
  }, [name, taken]);
  return (
    <div className="lf-modal" role="dialog" aria-modal="true" aria-label="New integration">
      <form
        className="lf-modal__box"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await create.mutateAsync({ id, name: name.trim() || id });
            location.hash = `#/integrations/${encodeURIComponent(id)}`;
          } catch (error) {
            notify('error', `Could not create: ${(error as Error).message}`);
          }
        }}
      >
        <h2>New integration</h2>
        <div className="lf-field">
          <label className="lf-field__label" htmlFor="new-integration-name">
            Name of the target
          </label>
          <input
            id="new-integration-name"
            className="lf-input"
            autoFocus
            value={name}
            placeholder="Acme CRM"
            onChange={(e) => setName(e.target.value)}
          />
          <p className="lf-help">
            Its id will be <code>{id}</code>; targets send postbacks to <code>/postback/{id}</code>.
          </p>
        </div>
        <div className="lf-modal__actions">
          <button type="button" className="lf-btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="lf-btn lf-btn--primary">
            Create
          </button>
        </div>
      </form>
    </div>
  );
}
