/**
 * Long work (services/long-work.ts): `GET /api/work/:id` (its report), `GET /api/work/:id/stream`
 * (server-sent events: `progress` with the report on each change, at most every
 * {@link PROGRESS_EVERY_MS}, then `end` with the summary), `POST /api/work/:id/cancel`; and the
 * work that runs there: `POST /api/work/resend` (a bulk resend of a filter, answered 202 with the
 * work's report) and `POST /api/work/resend/count` (how many leads it would take, for the confirmation).
 */
import { Router } from 'express';
import type { WorkReport } from '../../core/domain/work.ts';
import type { BulkResend } from '../services/bulk-resend.ts';
import type { LongWork } from '../services/long-work.ts';
import { openEventStream } from './event-stream.ts';
import { actorOf } from './params.ts';

/** A stream sends at most one progress event per this long (the last change always goes). */
export const PROGRESS_EVERY_MS = 100;

export function workRoutes(work: LongWork, bulkResend: BulkResend): Router {
  const router = Router();

  router.post('/api/work/resend/count', async (req, res) => {
    res.json(await bulkResend.count(req.body));
  });

  router.post('/api/work/resend', (req, res) => {
    res.status(202).json(bulkResend.start(req.body, actorOf(res)));
  });

  router.get('/api/work/:id', (req, res) => {
    res.json(work.get(req.params.id));
  });

  router.post('/api/work/:id/cancel', (req, res) => {
    res.json(work.cancel(req.params.id));
  });

  router.get('/api/work/:id/stream', (req, res) => {
    const first = work.get(req.params.id);
    let stop = () => {};
    const stream = openEventStream(req, res, () => {
      stop();
      clearTimeout(timer);
    });
    let latest: WorkReport = first;
    let timer: NodeJS.Timeout | undefined;
    let lastSent = 0;
    const flush = () => {
      timer = undefined;
      lastSent = Date.now();
      stream.send('progress', latest);
    };
    const tell = (report: WorkReport) => {
      latest = report;
      if (report.state !== 'running') {
        clearTimeout(timer);
        stream.send('end', report);
        stream.end();
        return;
      }
      if (timer) return;
      timer = setTimeout(flush, Math.max(0, lastSent + PROGRESS_EVERY_MS - Date.now()));
    };
    if (first.state !== 'running') return tell(first);
    stop = work.listen(req.params.id, tell);
    flush();
  });

  return router;
}
