/**
 * "Resend the N failed leads of this filter" on the Leads page: shown while the filter can hold
 * failed leads (no stage but new, no delivery state but failed) and holds some. It counts them on
 * the server with the page's own filter (so the same leads as listed), asks first, saying what
 * will happen, then follows the work (<WorkProgress>) and reads the list again once it is over.
 */
import { useCallback, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { LeadQuery, ResendFilter } from '../../../core/api.ts';
import type { WorkReport } from '../../../core/domain/work.ts';
import { api } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import { notify } from '../app/notices.ts';
import { WorkProgress } from '../dashboard/WorkProgress.tsx';

/** The bulk resend's filter for the page's query; undefined when the query cannot select a failed lead. */
export function resendFilterOf(query: LeadQuery): ResendFilter | undefined {
  if (query.stage !== undefined && query.stage !== 'new') return undefined;
  if (query.delivery !== undefined && query.delivery !== 'failed') return undefined;
  const filter: ResendFilter = {
    q: query.q,
    stage: query.stage,
    integration: query.integration,
    offer: query.offer,
    source: query.source,
    webmaster: query.webmaster,
    createdFrom: query.from,
    createdTo: query.to,
    delivery: 'failed',
  };
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined)) as ResendFilter;
}

const leadsWord = (n: number) => `${n} failed lead${n === 1 ? '' : 's'}`;

export function LeadsBulkResend({ query, canWrite }: { query: LeadQuery; canWrite: boolean }) {
  const client = useQueryClient();
  const filter = resendFilterOf(query);
  const count = useQuery({
    queryKey: [...keys.leads.all, 'resend-count', filter] as const,
    queryFn: () => api.countResend(filter as ResendFilter),
    enabled: canWrite && filter !== undefined,
  });
  const [work, setWork] = useState<WorkReport | null>(null);
  const [starting, setStarting] = useState(false);
  const ended = useCallback(() => void client.invalidateQueries({ queryKey: keys.leads.all }), [client]);

  if (work) return <WorkProgress key={work.id} start={work} onEnd={ended} onClose={() => setWork(null)} />;
  const leads = count.data?.leads ?? 0;
  if (!canWrite || !filter || leads === 0) return null;
  const n = count.data?.more ? `more than ${leads}` : String(leads);

  const start = async () => {
    const question =
      `Resend the ${n} failed lead${leads === 1 && !count.data?.more ? '' : 's'} of this filter?\n\n` +
      'Each is queued again for its integration’s new-lead flow with its attempts reset, and sent to the target again. ' +
      'Only leads still in stage new are resent; one that moved on meanwhile is skipped.';
    if (!window.confirm(question)) return;
    setStarting(true);
    try {
      setWork(await api.startBulkResend(filter));
    } catch (e) {
      notify('error', `Not started: ${(e as Error).message}`);
    } finally {
      setStarting(false);
    }
  };

  return (
    <button type="button" className="lf-btn" disabled={starting} onClick={() => void start()} data-testid="leads-bulk-resend">
      {starting ? 'Starting…' : `Resend the ${count.data?.more ? `more than ${leadsWord(leads)}` : leadsWord(leads)} of this filter`}
    </button>
  );
}
