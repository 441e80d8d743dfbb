/**
 * `npx leadflow migrate`: the PostgreSQL database at LEADFLOW_DATABASE_URL brought to this version's
 * schema ahead of a start, by the real command line in a child process.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../runtime/store/pg/migrations.ts';
import { ROOT } from '../support/harness.ts';
import { freshDatabase } from '../support/postgres.ts';

const exec = promisify(execFile);
const BIN = path.join(ROOT, 'bin/leadflow.js');
let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;

afterEach(async () => {
  await db?.drop();
  db = undefined;
});

async function migrate(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, 'migrate'], { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('leadflow migrate', () => {
  it('applies every step to an empty database once, and nothing on a second run', async () => {
    db = await freshDatabase();
    const latest = MIGRATIONS.at(-1)!.version;
    const first = await migrate({ LEADFLOW_DATABASE_URL: db.url });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`schema version ${latest}`);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const read = async () => (await client.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows;
    const applied = await read();
    expect(applied.map((row) => row.version)).toEqual(MIGRATIONS.map((step) => step.version));

    const second = await migrate({ LEADFLOW_DATABASE_URL: db.url });
    expect(second.code, second.stderr).toBe(0);
    expect(await read()).toEqual(applied);
    await client.end();
  });

  it('without LEADFLOW_DATABASE_URL says what it needs, and a URL that is not PostgreSQL is refused without repeating it', async () => {
    const none = await migrate({ LEADFLOW_DATABASE_URL: '' });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('LEADFLOW_DATABASE_URL');
    const wrong = await migrate({ LEADFLOW_DATABASE_URL: 'mysql://root:hunter2@127.0.0.1/db' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('LEADFLOW_DATABASE_URL must be a postgres://');
    expect(wrong.stderr).not.toContain('hunter2');
  });
});
