/**
 * The PostgreSQL job queue worked by two real processes on one database, one killed outright
 * (`kill -9`) mid-burst: every job is done, no job is held by two workers at once, and the only
 * jobs run twice are those the killed worker had in flight — taken back by the other once their
 * lease ran out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordDatabase, type RecordDatabase } from '../support/pg-records.ts';
import { ROOT, waitFor } from '../support/harness.ts';

let db: RecordDatabase | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await db?.close();
  db = undefined;
});

interface Worker {
  child: ChildProcess;
  claimed: number[];
  done: number[];
  exited: Promise<void>;
}

function startWorker(url: string, worker: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/support/pg-claim-worker.ts')], {
    cwd: ROOT,
    env: { ...process.env, LEADFLOW_TEST_DATABASE_URL: url, WORKER: worker, LEASE_MS: '1000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const state: Worker = { child, claimed: [], done: [], exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const [what, id] = line.split(' ');
      if (what === 'claimed') state.claimed.push(Number(id));
      if (what === 'done') state.done.push(Number(id));
    }
  });
  return state;
}

describe('two queue processes on one database', () => {
  it('one killed mid-burst: every job done, and only its jobs in flight run again, by the other after their lease', async () => {
    db = await recordDatabase();
    const store = db.process();
    await store.enqueue(Array.from({ length: 200 }, (_, i) => ({ kind: 'lead.new' as const, payload: { i } })));
    const a = startWorker(db.url, 'worker-a');
    const b = startWorker(db.url, 'worker-b');

    await waitFor(() => a.claimed.length >= 20 && b.claimed.length > 0, 'both workers at work', 60_000);
    a.child.kill('SIGKILL');
    await a.exited;
    const inFlight = new Set(a.claimed.filter((id) => !a.done.includes(id)));

    await waitFor(
      async () => {
        const { queue } = await store.dashboardCounts({ fromHour: '2000-01-01T00', toHour: '2000-01-01T00' });
        return queue.queued === 0 && queue.running === 0;
      },
      'every job done',
      30_000,
    );
    const twice = b.claimed.filter((id) => a.claimed.includes(id));

    expect(new Set(b.claimed).size).toBe(b.claimed.length);
    expect(new Set(a.claimed).size).toBe(a.claimed.length);
    expect(twice.every((id) => inFlight.has(id))).toBe(true);
    // every job was finished by one of them (one of the killed worker's may have been done just
    // before the kill, before it said so)
    expect(new Set([...a.done, ...b.done, ...inFlight]).size).toBe(200);
  }, 120_000);
});
