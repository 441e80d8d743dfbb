import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { freshDatabase } from '../support/postgres.ts';

describe('the test PostgreSQL server', () => {
  it('gives each test its own empty database, on loopback', async () => {
    const db = await freshDatabase();
    try {
      expect(new URL(db.url).hostname).toBe('127.0.0.1');
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const tables = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
      const version = await client.query('SHOW server_version_num');
      await client.end();
      expect(tables.rows[0].n).toBe(0);
      expect(Number(version.rows[0].server_version_num)).toBeGreaterThanOrEqual(180000);
    } finally {
      await db.drop();
    }
  });
});
