/**
 * Where the open flow's draft stands, in the toolbar: being saved, saved (and when), or not saved
 * (with why), so a failure never passes for a success.
 */
import { formatWhen } from '../canvas/look.ts';
import { useDraftSync } from './draft-sync.ts';

export function DraftStatus() {
  const { state, savedAt, error } = useDraftSync();
  const text =
    state === 'pending' || state === 'saving'
      ? 'saving draft…'
      : state === 'failed'
        ? 'draft not saved'
        : state === 'saved' && savedAt
          ? `draft saved ${new Date(savedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`
          : '';
  if (!text) return null;
  return (
    <span
      className={`lf-draft-state${state === 'failed' ? ' is-failed' : ''}`}
      title={
        state === 'failed'
          ? `${error ?? 'The server could not be reached'}. It is tried again at your next change.`
          : savedAt && `Your changes are kept on the server as your draft (${formatWhen(savedAt)}); Publish makes them live.`
      }
      role={state === 'failed' ? 'alert' : undefined}
      data-testid="draft-state"
      data-state={state}
    >
      {text}
    </span>
  );
}
