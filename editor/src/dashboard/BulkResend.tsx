/**
 * "Resend the failed leads" of the dashboard's integration (or of all): asks first, saying how
 * many leads the dashboard counts and that each goes to the target again, then follows the work.
 */
import { useState } from 'react';
import type { WorkReport } from '../../../core/domain/work.ts';
import { api } from '../api/client.ts';
import { notify } from '../app/notices.ts';
import { WorkProgress } from './WorkProgress.tsx';

export function BulkResend({ integration, failed, canWrite }: { integration?: string; failed: number; canWrite: boolean }) {
  const [work, setWork] = useState<WorkReport | null>(null);
  const [starting, setStarting] = useState(false);

  const start = async () => {
    const scope = integration ? `of integration “${integration}”` : 'of every integration';
    const question =
      `Resend the ${failed} failed lead${failed === 1 ? '' : 's'} ${scope}?\n\n` +
      'Each is queued again for its integration’s new-lead flow with its attempts reset, and sent to the target again. ' +
      'Only leads still in stage new are resent; one that moved on meanwhile is skipped.';
    if (!window.confirm(question)) return;
    setStarting(true);
    try {
      setWork(await api.startBulkResend({ ...(integration ? { integration } : {}), delivery: 'failed' }));
    } catch (e) {
      notify('error', `Not started: ${(e as Error).message}`);
    } finally {
      setStarting(false);
    }
  };

  if (work) return <WorkProgress key={work.id} start={work} onClose={() => setWork(null)} />;
  if (!canWrite || failed === 0) return null;
  return (
    <button type="button" className="lf-btn" disabled={starting} onClick={() => void start()} data-testid="bulk-resend">
      {starting ? 'Starting…' : `Resend ${failed} failed lead${failed === 1 ? '' : 's'}`}
    </button>
  );
}
