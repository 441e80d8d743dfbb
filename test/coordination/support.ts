/**
 * What the coordination tests share: a fresh database with the coordination tables, one pool per
 * "process", and a target on 127.0.0.1 that records when each request arrived and how many were in
 * flight at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { COORDINATION_MIGRATIONS } from '../../runtime/store/pg/schema-coordination.ts';
import { freshDatabase, testPool } from '../support/postgres.ts';

/** The migration runner's job, in small: each step in version order, in one transaction. */
export async function applyCoordinationMigrations(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const step of [...COORDINATION_MIGRATIONS].sort((a, b) => a.version - b.version)) await client.query(step.sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

export interface SharedDatabase {
  url: string;
  /** One pool per runtime process the test plays. */
  pools: pg.Pool[];
  /** A pool of its own for reading the tables as an operator would. */
  admin: pg.Pool;
  close(): Promise<void>;
}

/** A fresh database with the coordination tables and `processes` pools on it. */
export async function sharedDatabase(processes: number): Promise<SharedDatabase> {
  const database = await freshDatabase();
  const admin = testPool({ connectionString: database.url, max: 2 });
  await applyCoordinationMigrations(admin);
  const pools = Array.from({ length: processes }, () => testPool({ connectionString: database.url, max: 8 }));
  // an idle client the server drops (the database dropped at the end) is an event, not a crash
  for (const pool of [...pools, admin]) pool.on('error', () => {});
  return {
    url: database.url,
    pools,
    admin,
    async close() {
      await Promise.all([...pools, admin].map((pool) => pool.end().catch(() => undefined)));
      await database.drop();
    },
  };
}

/** A request as the target saw it. */
export interface Arrival {
  at: number;
  path: string;
  authorization?: string;
}

export interface CountingTarget {
  url: string;
  arrivals: Arrival[];
  /** The most requests it was answering at one moment. */
  mostAtOnce: number;
  stop(): Promise<void>;
}

/**
 * A target that answers after `delayMs` (per path, `answer` may say what), recording each arrival
 * and the most requests in flight at once.
 */
export async function startCountingTarget(
  delayMs: number,
  answer: (request: IncomingMessage) => { status?: number; body: unknown } = () => ({ body: { ok: true } }),
): Promise<CountingTarget> {
  let inFlight = 0;
  const target: CountingTarget = { url: '', arrivals: [], mostAtOnce: 0, stop: async () => {} };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    target.arrivals.push({ at: performance.now(), path: request.url ?? '', authorization: request.headers.authorization });
    inFlight++;
    target.mostAtOnce = Math.max(target.mostAtOnce, inFlight);
    request.resume();
    request.on('end', () => {
      setTimeout(() => {
        const { status = 200, body } = answer(request);
        inFlight--;
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  target.stop = () => new Promise((resolve) => server.close(() => resolve()));
  return target;
}

/** The most arrivals within any window of `windowMs`. */
export function mostWithin(arrivals: Arrival[], windowMs: number): number {
  const times = arrivals.map((a) => a.at).sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last] - times[first] >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
