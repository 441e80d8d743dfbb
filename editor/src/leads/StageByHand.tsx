/**
 * A lead's stage set by hand: what the network's own call centre does with a lead no target got
 * (an offer whose new leads go nowhere), and how staff correct one. Only the moves the stage rule
 * allows a manual change are offered (`canMoveStage`, the kernel's); the runtime judges again.
 */
import { useState } from 'react';
import { canMoveStage, STAGES, type Lead, type Stage } from '../../../core/domain/lead.ts';
import { useSetLeadStage } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';

export function StageByHand({ lead }: { lead: Lead }) {
  const allowed = STAGES.filter((stage) => canMoveStage(lead.stage, stage, 'manual'));
  const [stage, setStage] = useState<Stage | ''>('');
  const [comment, setComment] = useState('');
  const setLeadStage = useSetLeadStage();
  if (allowed.length === 0) return null;
  const save = async () => {
    if (!stage) return;
    const question =
      `Move lead #${lead.id} from ${lead.stage} to ${stage} by hand${comment.trim() ? ` with the comment “${comment.trim()}”` : ''}?\n\n` +
      'It is kept in the lead’s history and the audit log under your name; the webmaster’s postback and any delivery routed to this stage go as for any stage change.';
    if (!window.confirm(question)) return;
    try {
      await setLeadStage.mutateAsync({ id: lead.id, stage, ...(comment.trim() ? { comment: comment.trim() } : {}) });
      notify('success', `Lead #${lead.id} moved to ${stage}`);
      setStage('');
      setComment('');
    } catch (e) {
      notify('error', `Not moved: ${(e as Error).message}`);
    }
  };
  return (
    <form
      className="lf-row"
      data-testid="stage-by-hand"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <span className="lf-muted">Move it by hand:</span>
      <select
        className="lf-input"
        style={{ width: 'auto' }}
        value={stage}
        onChange={(e) => setStage(e.target.value as Stage | '')}
        aria-label="New stage"
      >
        <option value="">Set the stage…</option>
        {allowed.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <input
        className="lf-input"
        style={{ width: 260 }}
        value={comment}
        onChange={(e) => setComment(e.target.value)}
        placeholder="comment (optional)"
        aria-label="Stage comment"
      />
      <button type="submit" className="lf-btn lf-btn--small" disabled={!stage || setLeadStage.isPending}>
        {setLeadStage.isPending ? 'Saving…' : 'Set stage'}
      </button>
    </form>
  );
}
