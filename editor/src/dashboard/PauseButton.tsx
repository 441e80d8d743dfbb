/**
 * Pausing and resuming an integration's deliveries, asked first with what it does: paused, its new
 * leads wait in the queue (nothing is lost, nothing sent) and its postbacks still go.
 */
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import { notify } from '../app/notices.ts';

/** What pausing or resuming an integration's deliveries does, asked before it is done (here and on the integration page). */
export function pauseQuestion(name: string, paused: boolean): string {
  return paused
    ? `Resume the deliveries of “${name}”?\n\nThe leads waiting in its queue are sent to the target from now on, oldest first.`
    : `Pause the deliveries of “${name}”?\n\nIts new leads wait in the queue and are not sent until you resume; nothing is lost or failed. It still takes leads, and its postbacks to webmasters still go.`;
}

export function PauseButton({ integration, paused, onChanged }: { integration: string; paused: boolean; onChanged?: () => void }) {
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    if (!window.confirm(pauseQuestion(integration, paused))) return;
    setBusy(true);
    try {
      await api.pauseIntegration(integration, !paused);
      notify('success', paused ? `Deliveries of ${integration} resumed` : `Deliveries of ${integration} paused`);
      await client.invalidateQueries({ queryKey: keys.integrations });
      onChanged?.();
    } catch (e) {
      notify('error', `${paused ? 'Not resumed' : 'Not paused'}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className="lf-btn"
      disabled={busy}
      onClick={() => void toggle()}
      data-testid={paused ? 'resume-deliveries' : 'pause-deliveries'}
    >
      {paused ? 'Resume deliveries' : 'Pause deliveries'}
    </button>
  );
}
