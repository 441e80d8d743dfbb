/**
 * A queue worker in a process of its own, for the multi-process queue test: claims jobs from the
 * PostgreSQL record store with a lease, renews it while it runs them (30 ms each), sweeps expired
 * leases, wakes on `NOTIFY`, and prints `claimed <id>` / `done <id>` lines. Environment:
 * `LEADFLOW_TEST_DATABASE_URL` (the database), `WORKER` (its id), `LEASE_MS`.
 */
import { openPgPool } from '../../runtime/store/pg/pool.ts';
import { PgRecordStore } from '../../runtime/store/pg/record-store.ts';

const url = process.env.LEADFLOW_TEST_DATABASE_URL!;
const worker = process.env.WORKER!;
const leaseMs = Number(process.env.LEASE_MS ?? 1000);

const pool = openPgPool(url, { max: 4 });
const store = new PgRecordStore(pool);
const running = new Set<number>();
let wake: () => void = () => {};

store.onJobsQueued(() => wake());
setInterval(() => void store.renewLeases(worker, [...running], new Date(Date.now() + leaseMs)).catch(() => undefined), leaseMs / 4);
setInterval(() => void store.requeueExpired(new Date()).catch(() => undefined), 100);

async function run(id: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 30));
  await store.completeJob(id);
  running.delete(id);
  process.stdout.write(`done ${id}\n`);
  wake();
}

await store.listening();
process.stdout.write('ready\n');
for (;;) {
  const room = 4 - running.size;
  const jobs = room > 0 ? await store.claimJobs(['lead.new'], room, new Date(), [], { worker, leaseMs }) : [];
  for (const job of jobs) {
    running.add(job.id);
    process.stdout.write(`claimed ${job.id}\n`);
    void run(job.id);
  }
  if (jobs.length === 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
