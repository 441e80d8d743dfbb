/**
 * Deleting an integration: a button, then a confirmation that lists what goes with it (its own
 * flows, its secrets, its status checks, its offers' new leads) and what stays (its leads with
 * their history, its executions, flows meant for any integration), all from the server's removal
 * plan. While an offer's own routes name the integration the server refuses, so the dialog names
 * those offers and offers no delete button.
 */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, type IntegrationView } from '../api/client.ts';
import { useDeleteIntegration } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { EVENT_NAMES } from '../../../core/domain/event-names.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function DeleteIntegrationButton({ integration }: { integration: IntegrationView }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="lf-btn lf-btn--small lf-danger" onClick={() => setOpen(true)} data-testid="delete-integration">
        Delete…
      </button>
      {open && <DeleteDialog integration={integration} onClose={() => setOpen(false)} />}
    </>
  );
}

function DeleteDialog({ integration, onClose }: { integration: IntegrationView; onClose(): void }) {
  const plan = useQuery({ queryKey: ['integrations', 'removal', integration.id], queryFn: () => api.integrationRemoval(integration.id) });
  const remove = useDeleteIntegration();
  const [typed, setTyped] = useState('');
  const p = plan.data;
  const blocked = Boolean(p && p.blockedBy.length > 0);

  const confirm = async () => {
    try {
      await remove.mutateAsync(integration.id);
      notify('success', `${integration.name} is deleted`);
      location.hash = '#/integrations';
    } catch (e) {
      notify('error', `Not deleted: ${(e as Error).message}`);
    }
  };

  return (
    <div
      className="lf-modal"
      role="dialog"
      aria-modal="true"
      aria-label={`Delete ${integration.name}`}
      data-testid="delete-dialog"
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <div className="lf-modal__box">
        <h2>Delete “{integration.name}”?</h2>
        {plan.error && <p className="lf-danger">Could not read what it would take: {plan.error.message}</p>}
        {!p && !plan.error && <p className="lf-muted">Reading what it takes with it…</p>}
        {p && blocked && (
          <div className="lf-box lf-box--warn" data-testid="delete-blocked">
            <p>
              It cannot be deleted yet: {p.blockedBy.length === 1 ? 'the offer' : 'the offers'} <b>{p.blockedBy.join(', ')}</b> route
              {p.blockedBy.length === 1 ? 's' : ''} leads to it. Change {p.blockedBy.length === 1 ? 'its' : 'their'} routes first, under
              Offers.
            </p>
          </div>
        )}
        {p && !blocked && (
          <>
            <h3>Deleted with it</h3>
            <ul className="lf-missing" data-testid="delete-takes">
              <li data-takes="flows">
                {p.flows.length === 0
                  ? 'No flows of its own.'
                  : `${plural(p.flows.length, 'flow')} made for it: ${p.flows.map((f) => f.name).join(', ')}`}
              </li>
              <li data-takes="secrets">
                {p.secrets.length === 0 ? 'No secrets.' : `${plural(p.secrets.length, 'secret')}: ${p.secrets.join(', ')}`}
              </li>
              <li data-takes="checks">
                {p.checks.length === 0
                  ? 'No status checks.'
                  : `Its status checks stop: ${p.checks.map((event) => EVENT_NAMES[event].toLowerCase()).join('; ')}`}
              </li>
              <li data-takes="offers">
                {p.offers.length === 0
                  ? 'No offers send their new leads here.'
                  : `New leads of ${plural(p.offers.length, 'offer')} (${p.offers.join(', ')}) go nowhere until another integration takes them`}
              </li>
              <li data-takes="postback">Its postback URL stops working.</li>
            </ul>
            <h3>What stays</h3>
            <ul className="lf-missing" data-testid="delete-keeps">
              <li>Its leads, with their stages and history.</li>
              <li>Its executions in the integration log.</li>
              {p.sharedFlows.length > 0 && <li>Flows for any integration it used: {p.sharedFlows.map((f) => f.name).join(', ')}</li>}
            </ul>
            <div className="lf-field">
              <label className="lf-field__label" htmlFor="delete-confirm-id">
                Type <code>{integration.id}</code> to confirm
              </label>
              <input id="delete-confirm-id" className="lf-input" autoFocus value={typed} onChange={(e) => setTyped(e.target.value)} />
            </div>
          </>
        )}
        <div className="lf-modal__actions">
          <button type="button" className="lf-btn" onClick={onClose}>
            {blocked ? 'Close' : 'Cancel'}
          </button>
          {p && !blocked && (
            <button
              type="button"
              className="lf-btn lf-btn--danger"
              disabled={typed.trim() !== integration.id || remove.isPending}
              onClick={() => void confirm()}
              data-testid="confirm-delete"
            >
              {remove.isPending ? 'Deleting…' : 'Delete the integration'}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
