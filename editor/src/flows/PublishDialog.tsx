/**
 * Publishing the open flow: the draft, saved first, becomes the live version the runtime runs, with
 * an optional message saying what changed. A flow with problems cannot be published: they are
 * listed here, each leading to its node. When someone else published after the draft started, the
 * server says so and publishing theirs over is a second, explicit choice.
 */
import { useState } from 'react';
import { ApiError } from '../api/client.ts';
import { usePublishFlow } from '../api/mutations.ts';
import { useEditor } from '../canvas/store.ts';
import { useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { IssueList } from '../panel/FlowPanel.tsx';
import { notify } from '../app/notices.ts';
import { draftGone, saveDraftNow } from './draft-sync.ts';

export function PublishDialog({ onClose }: { onClose(): void }) {
  const meta = useFlowMeta();
  const issueCount = useEditor((s) => s.issues.length);
  const publish = usePublishFlow();
  const [message, setMessage] = useState('');
  const [conflict, setConflict] = useState<string | null>(null);
  if (!meta) return null;

  const run = async (replace: boolean) => {
    if (!(await saveDraftNow())) {
      notify('error', 'Not published: your changes could not be saved to the server. Check the connection and try again.');
      return;
    }
    try {
      const saved = await publish.mutateAsync({ flowId: meta.id, message: message.trim() || undefined, replace });
      draftGone();
      useFlowDocument.getState().markSaved(saved);
      notify('success', `Published as version ${saved.version}: new leads run it from now on`);
      onClose();
    } catch (error) {
      if (error instanceof ApiError && error.issues) {
        useEditor.getState().setIssues(error.issues);
      } else if (error instanceof ApiError && error.code === 'conflict') {
        setConflict(error.message.replace(/; publish with .*$/, ''));
      } else notify('error', `Not published: ${(error as Error).message}`);
    }
  };

  return (
    <div
      className="lf-modal"
      role="dialog"
      aria-modal="true"
      aria-label="Publish the flow"
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
      data-testid="publish-dialog"
    >
      <form
        className="lf-modal__box"
        onSubmit={(e) => {
          e.preventDefault();
          void run(false);
        }}
      >
        <h2>Publish “{meta.name}”</h2>
        {issueCount > 0 ? (
          <>
            <p>
              This flow can’t go live yet: fix {issueCount === 1 ? 'this problem' : `these ${issueCount} problems`} first. Your changes are
              kept as a draft meanwhile.
            </p>
            <IssueList />
          </>
        ) : (
          <>
            <p className="lf-muted">
              Your draft becomes the new live version: new leads run it from now on. Earlier versions stay, so you can roll back.
            </p>
            <div className="lf-field">
              <label className="lf-field__label" htmlFor="publish-message">
                What changed (optional)
              </label>
              <textarea
                id="publish-message"
                className="lf-input"
                rows={3}
                maxLength={500}
                autoFocus
                value={message}
                placeholder="e.g. send the goods to the CRM too"
                onChange={(e) => setMessage(e.target.value)}
              />
            </div>
          </>
        )}
        {conflict && (
          <p className="lf-field__error" role="alert" data-testid="publish-conflict">
            {conflict}. Compare in Versions first, or publish yours over it.
          </p>
        )}
        <div className="lf-modal__actions">
          <button type="button" className="lf-btn" onClick={onClose}>
            Cancel
          </button>
          {conflict ? (
            <button type="button" className="lf-btn lf-btn--primary" disabled={publish.isPending} onClick={() => void run(true)}>
              Publish mine over it
            </button>
          ) : (
            <button
              type="submit"
              className="lf-btn lf-btn--primary"
              disabled={publish.isPending || issueCount > 0}
              data-testid="publish-confirm"
            >
              {publish.isPending ? 'Publishing…' : 'Publish'}
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
