/**
 * "Send a test lead" on a source's row: a sample lead posted as that source (its offers and
 * webmaster apply: POST /api/sources/:id/test-lead), so an integrator can try his own integration
 * from the editor, as the home page does for the demo. The answer says which lead it made and
 * links to it; a refusal is shown as one, with the server's words.
 */
import { useSendTestLead } from '../home/overview-queries.ts';

export function SendTestLead({ sourceId }: { sourceId: string }) {
  const send = useSendTestLead();
  return (
    <div className="lf-test-lead" data-testid="test-lead">
      <button
        type="button"
        className="lf-btn lf-btn--small"
        disabled={send.isPending}
        onClick={() => send.mutate({ source: sourceId })}
        data-testid="send-test-lead"
      >
        {send.isPending ? 'Sending…' : 'Send a test lead'}
      </button>
      {send.data && (
        <div className="lf-ok-line lf-small" data-testid="test-lead-sent">
          ✓ Test lead #{send.data.id} accepted ({send.data.offer}, stage {send.data.stage}).{' '}
          <a href={`#/leads/${send.data.id}`} data-testid="test-lead-link">
            Open it
          </a>
        </div>
      )}
      {send.error && (
        <div className="lf-danger lf-small" role="alert" data-testid="test-lead-refused">
          Not sent: {send.error.message}
        </div>
      )}
    </div>
  );
}
