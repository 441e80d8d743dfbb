/**
 * The PostgreSQL schema's migration runner and pool against a real server: the record schema from
 * an empty database and from the version before the last (rows kept, counters rebuilt from them),
 * several processes migrating at once, and a database this runtime must not touch refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hourKey } from '../../core/domain/dashboard.ts';
import { migrate, type MigrationStep } from '../../runtime/store/pg/migrate.ts';
import { MIGRATIONS } from '../../runtime/store/pg/migrations.ts';
import { DEFAULT_POOL_SIZE, openPgPool, poolSizeFromEnv } from '../../runtime/store/pg/pool.ts';
import { RECORD_MIGRATIONS } from '../../runtime/store/pg/schema-records.ts';
import { recordDatabase, type RecordDatabase } from '../support/pg-records.ts';

let db: RecordDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

/** The whole schema's last version: every module's steps, as the runtime applies them. */
const latest = MIGRATIONS.at(-1)!.version;
const latestRecords = RECORD_MIGRATIONS.at(-1)!.version;

async function applied(database: RecordDatabase): Promise<number[]> {
  const { rows } = await database.pool().query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((row) => row.version);
}

describe('the migration runner', () => {
  it('takes an empty database to the latest version, and applies nothing a second time', async () => {
    db = await recordDatabase({ migrate: false });
    const pool = db.pool();

    expect(await migrate(pool, MIGRATIONS)).toBe(latest);
    const before = await pool.query('SELECT version, applied_at FROM schema_migrations ORDER BY version');
    expect(await migrate(pool, MIGRATIONS)).toBe(latest);

    expect((await pool.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows).toEqual(before.rows);
    expect(before.rows.map((row) => row.version)).toEqual(MIGRATIONS.map((step) => step.version));
    expect(RECORD_MIGRATIONS.every((step) => step.version >= 1 && step.version <= 9)).toBe(true);
  });

  it('run by three processes starting at once applies each step once', async () => {
    db = await recordDatabase({ migrate: false });
    const database = db;

    const versions = await Promise.all([1, 2, 3].map(() => migrate(database.pool(), MIGRATIONS)));

    expect(versions).toEqual([latest, latest, latest]);
    expect(await applied(database)).toEqual(MIGRATIONS.map((step) => step.version));
  });

  it('takes a database from the version before the dashboard counters to the last with its rows intact, counting its leads', async () => {
    db = await recordDatabase({ migrate: false });
    const pool = db.pool();
    const counters = RECORD_MIGRATIONS.find((step) => step.name === 'dashboard counters')!.version;
    expect(
      await migrate(
        pool,
        RECORD_MIGRATIONS.filter((step) => step.version < counters),
      ),
    ).toBe(counters - 1);
    const created = new Date(Date.now() - 60_000).toISOString();
    const moved = new Date().toISOString();
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO leads (integration_id, offer, stage, data, created_at, updated_at) VALUES
         ('crm', 'tea', 'cancel', '{"offer":"tea","name":"Ann"}', $1, $1), ('crm', 'tea', 'new', '{"offer":"tea"}', $1, $1) RETURNING id`,
      [created],
    );
    const [cancelled, waiting] = rows.map((row) => row.id);
    await pool.query(`INSERT INTO lead_history (lead_id, at, from_stage, stage, source) VALUES ($1, $2, 'new', 'cancel', 'delivery')`, [
      cancelled,
      moved,
    ]);
    await pool.query(
      `INSERT INTO jobs (kind, lead_id, integration_id, payload, state, run_at, created_at, updated_at) VALUES ('lead.new', $1, 'crm', '{}', 'queued', $2, $2, $2)`,
      [waiting, created],
    );

    expect(await migrate(pool, RECORD_MIGRATIONS)).toBe(latestRecords);
    const store = db.process();

    expect(await store.getLead(cancelled)).toMatchObject({ name: 'Ann', stage: 'cancel', created_at: created });
    expect(await store.history(cancelled)).toEqual([{ at: moved, from: 'new', stage: 'cancel', source: 'delivery' }]);
    expect(await store.jobsOfLead(waiting)).toMatchObject([{ kind: 'lead.new', state: 'queued' }]);
    const hour = hourKey(created);
    const counts = await store.dashboardCounts({ fromHour: hour, toHour: hourKey(moved) });
    expect(counts.hours.filter((h) => h.hour === hour).map((h) => [h.stage, h.count])).toEqual([
      ['cancel', 1],
      ['new', 1],
    ]);
    expect(counts.firstStatus).toEqual({ crm: [expect.closeTo(60, 0)] });
  });

  it('refuses a database a newer runtime migrated, a step applied under another name, and a version given twice', async () => {
    db = await recordDatabase({ migrate: false });
    const pool = db.pool();
    const newer: MigrationStep = { version: 9, name: 'from a newer runtime', sql: 'CREATE TABLE newer (id int)' };
    await migrate(pool, [...RECORD_MIGRATIONS, newer]);

    await expect(migrate(pool, RECORD_MIGRATIONS)).rejects.toThrow(/schema version 9 \("from a newer runtime"\).*newer runtime/);
    await expect(migrate(pool, [...RECORD_MIGRATIONS, { ...newer, name: 'renamed' }])).rejects.toThrow(/applied as "from a newer runtime"/);
    await expect(migrate(pool, [newer, newer])).rejects.toThrow(/version 9 is given twice/);
  });

  it('rolls a failing step back whole and names it; the steps before it stay applied', async () => {
    db = await recordDatabase({ migrate: false });
    const pool = db.pool();
    const broken: MigrationStep = { version: 8, name: 'half a step', sql: 'CREATE TABLE half (id int); SELECT no_such_column FROM half' };

    await expect(migrate(pool, [...RECORD_MIGRATIONS, broken])).rejects.toThrow(
      /schema migration 8 \("half a step"\) failed: .*no_such_column/,
    );

    expect(await applied(db)).toEqual(RECORD_MIGRATIONS.map((step) => step.version));
    expect((await pool.query(`SELECT to_regclass('half') AS t`)).rows[0].t).toBeNull();
  });
});

describe('the pool', () => {
  it('names its connections leadflow and reads int8 as a number', async () => {
    db = await recordDatabase({ migrate: false });
    const pool = openPgPool(db.url, { max: 2 });
    try {
      const { rows } = await pool.query(
        `SELECT 9007199254740991::bigint AS n, count(*) AS c, current_setting('application_name') AS app FROM pg_class`,
      );
      expect(rows[0]).toMatchObject({ n: 9007199254740991, c: expect.any(Number), app: 'leadflow' });
    } finally {
      await pool.end();
    }
  });

  it('is sized by LEADFLOW_DATABASE_POOL, 10 when unset, and a bad value is refused naming the variable', () => {
    expect(poolSizeFromEnv({})).toBe(DEFAULT_POOL_SIZE);
    expect(DEFAULT_POOL_SIZE).toBe(10);
    expect(poolSizeFromEnv({ LEADFLOW_DATABASE_POOL: '25' })).toBe(25);
    for (const bad of ['0', '-3', '2.5', 'ten'])
      expect(() => poolSizeFromEnv({ LEADFLOW_DATABASE_POOL: bad })).toThrow(/LEADFLOW_DATABASE_POOL/);
  });
});
