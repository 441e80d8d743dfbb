/**
 * The operator's data tool: `GET /api/leads/export.csv` (the lead list's filters, every page) and
 * `GET /api/leads/:id/story` (a lead's whole story as a JSON download). Behind the login like every
 * management route; mounted before the lead routes so `export.csv` is not read as a lead's id.
 */
import { once } from 'node:events';
import { Router, type Response } from 'express';
import type { LeadExport } from '../services/lead-export.ts';
import { leadQueryOf } from './leads.ts';
import { actorOf, wholeOrNone } from './params.ts';

/**
 * Writes each chunk as the consumer takes it: when the socket's buffer is full, the next page is
 * not read until it drains, so a slow download holds one page in memory, not the whole file.
 * Stops reading when the client goes away.
 */
async function streamTo(res: Response, chunks: AsyncGenerator<string>): Promise<void> {
  let gone = false;
  res.on('close', () => {
    gone = true;
  });
  try {
    for await (const chunk of chunks) {
      if (gone) break;
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  } catch (error) {
    // the header is sent: the client can only learn of the failure by a cut download
    res.destroy(error instanceof Error ? error : new Error(String(error)));
    return;
  } finally {
    if (gone) await chunks.return(undefined);
  }
  res.end();
}

export function leadExportRoutes(exports: LeadExport): Router {
  const router = Router();

  router.get('/api/leads/export.csv', async (req, res) => {
    // the filters are checked before the first byte, so a bad one is still a 400 naming it
    const query = leadQueryOf(req.query);
    const chunks = exports.csv(query, actorOf(res));
    const first = await chunks.next();
    const day = new Date().toISOString().slice(0, 10);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="leads-${day}.csv"`,
      'Cache-Control': 'no-store',
    });
    if (!first.done) res.write(first.value);
    await streamTo(res, chunks);
  });

  router.get('/api/leads/:id/story', async (req, res) => {
    const id = wholeOrNone(req.params.id, 'id') as number;
    const story = await exports.story(id, actorOf(res));
    res.set({ 'Content-Disposition': `attachment; filename="lead-${id}.json"`, 'Cache-Control': 'no-store' });
    res.type('application/json').send(JSON.stringify(story, null, 2));
  });

  return router;
}
