/**
 * The PostgreSQL schema's migration runner. Each backend module exports its DDL as ordered steps
 * in its own range of versions (pg/migrations.ts lists them all); {@link migrate} applies those a
 * database has not had yet, each in its own transaction with its row in `schema_migrations`.
 */
import type pg from 'pg';

/**
 * One step of the schema: `sql` (one or more statements, no parameters) takes the database to
 * `version`. A step once released is never edited: a change is a new step.
 * @example { version: 1, name: 'leads and their history', sql: 'CREATE TABLE leads (…); …' }
 */
export interface MigrationStep {
  version: number;
  name: string;
  sql: string;
}

/**
 * The session advisory lock the runner holds while it migrates (a `bigint` key of its own), so
 * several processes starting at once apply each step once: the others wait, then find it applied.
 */
export const MIGRATION_LOCK = 7_190_523_044_180_113_001n;

/**
 * Applies, in version order, every step of `steps` the database has not recorded in
 * `schema_migrations` (created when missing), and answers the highest version applied. Steps are
 * applied by version, not after the highest applied one: a step added later to a lower range (one
 * module's 6 after another's 20) is still applied. Holds {@link MIGRATION_LOCK} throughout.
 *
 * Refuses (throws, applying nothing) when `steps` repeat a version, when the database records a
 * version `steps` do not have (a newer runtime migrated it), or one under another name (two
 * modules numbered a step the same).
 */
export async function migrate(pool: pg.Pool, steps: readonly MigrationStep[]): Promise<number> {
  const ordered = [...steps].sort((a, b) => a.version - b.version);
  for (const [index, step] of ordered.entries()) {
    if (!Number.isInteger(step.version) || step.version < 1)
      throw new Error(`migration version must be a whole number of at least 1, not ${step.version}`);
    if (index > 0 && ordered[index - 1].version === step.version) throw new Error(`migration version ${step.version} is given twice`);
  }
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const { rows } = await client.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      const known = new Map(ordered.map((step) => [step.version, step]));
      for (const row of rows) {
        const step = known.get(row.version);
        if (!step)
          throw new Error(
            `the database has schema version ${row.version} ("${row.name}"), which this runtime does not know: a newer runtime migrated it`,
          );
        if (step.name !== row.name)
          throw new Error(`schema version ${row.version} was applied as "${row.name}", but this runtime's is "${step.name}"`);
      }
      const applied = new Set(rows.map((row) => row.version));
      for (const step of ordered) {
        if (applied.has(step.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(step.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [step.version, step.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`schema migration ${step.version} ("${step.name}") failed: ${(error as Error).message}`, { cause: error });
        }
        applied.add(step.version);
      }
      return Math.max(0, ...applied);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // after a failure the connection is closed rather than given back: it may be the one that broke
    client.release(failed);
  }
}
