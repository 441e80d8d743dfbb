/**
 * Long work as the operator follows it (a bulk resend, a status check run by hand): the report the
 * runtime's long-work service keeps and sends, the editor's progress bar reads.
 */

/**
 * A long work's report, as `GET /api/work/:id` answers it and each event of
 * `GET /api/work/:id/stream` carries (`progress` while it runs, `end` once). `skipped` counts by
 * reason, in plain words.
 * @example { id: '…', kind: 'lead.resend-bulk', title: 'Resend failed leads', state: 'running', total: 120, done: 40, failed: 1, skipped: { 'no longer new': 2 }, … }
 */
export interface WorkReport {
  id: string;
  kind: string;
  title: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  /** How many items the work covers, when known up front. */
  total?: number;
  done: number;
  /** What the done items came to, by outcome (a status check: `{ moved: 3, unchanged: 8 }`). */
  outcomes?: Record<string, number>;
  failed: number;
  skipped: Record<string, number>;
  /** Why the work itself stopped (`failed`), or the last item failure's reason. */
  error?: string;
  startedAt: string;
  endedAt?: string;
  /** Who started it. */
  by?: string;
}
