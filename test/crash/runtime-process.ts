/**
 * The runtime as the crash test runs it in a child process: `npm start`'s configuration (from the
 * environment, see runtime/config.ts) and its signal handling, with short leases, so that after a
 * `kill -9` the restarted process takes the dead one's deliveries back within seconds instead of
 * the default half minute, and a short poll.
 */
import { pino } from 'pino';
import { readConfig } from '../../runtime/config.ts';
import { createRuntime } from '../../runtime/runtime.ts';
import { closeOnSignals } from '../../runtime/shutdown.ts';

/** A dead process's running jobs come back after this. */
const LEASE_MS = 2_000;

const settings = readConfig();
const log = pino({ level: settings.logLevel });
const runtime = await createRuntime({
  dataDir: settings.dataDir,
  databaseUrl: settings.databaseUrl,
  databasePool: settings.databasePool,
  workers: settings.workers,
  logger: log,
  allowPrivateTargets: settings.allowPrivateTargets,
  adminPassword: settings.adminPassword,
  shutdownGraceMs: settings.shutdownGraceMs,
  leaseMs: LEASE_MS,
  pollMs: 100,
  retry: { baseMs: 200, maxMs: 2_000 },
});
const url = await runtime.listen(settings.port, settings.host);
// on stdout whatever the log level: the test waits for this line
process.stdout.write(`leadflow on ${url} — data in ${settings.dataDir}\n`);
closeOnSignals(runtime, { graceMs: settings.shutdownGraceMs, log });
