/**
 * Every store contract against the embedded backends: SQLite (`leads.sqlite`: leads, jobs,
 * executions, checkpoints and the audit log, one object) and lowdb (`config.json`). Each test gets
 * a fresh temporary folder; `reopen` closes the store and opens the same file again, `twin`
 * opens a second store on the same file (a second process).
 *
 * Another backend runs the same suites with its own factories, a few lines each. PostgreSQL, once
 * its classes exist (names as the pg tasks give them):
 *
 * @example
 * // test/store/postgres.contract.test.ts
 * async function postgres() {
 *   const db = await freshDatabase();
 *   const pool = new Pool({ connectionString: db.url });
 *   await migrate(pool);
 *   const records = { leads: new PgLeadStore(pool), jobs: new PgJobQueue(pool), executions: new PgExecutionLog(pool) };
 *   const others: Pool[] = [];
 *   return {
 *     ...records,
 *     twin: async () => new PgJobQueue(others[others.push(new Pool({ connectionString: db.url })) - 1]),
 *     close: async () => { await Promise.all([pool, ...others].map((p) => p.end())); await db.drop(); },
 *   };
 * }
 * defineLeadStoreContract('PostgreSQL', async () => { const r = await postgres(); return { ...r, store: r.leads }; });
 * defineJobQueueContract('PostgreSQL', async () => { const r = await postgres(); return { ...r, store: r.jobs }; }, { overlappingTwins: true });
 * // and likewise the execution log, checkpoints, config and audit stores; `reopen` (a new pool on
 * // the same database) turns the restart tests on
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLowdbConfigStore } from '../../runtime/store/lowdb.ts';
import { secretKeyOf } from '../../runtime/store/secret-box.ts';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { defineAuditStoreContract } from './contracts/audit-store.contract.ts';
import { defineCheckpointStoreContract } from './contracts/checkpoint-store.contract.ts';
import { defineConfigStoreContract, type ConfigStoreSubject } from './contracts/config-store.contract.ts';
import { defineExecutionLogContract } from './contracts/execution-log.contract.ts';
import { defineJobQueueContract } from './contracts/job-queue.contract.ts';
import { defineLeadStoreContract } from './contracts/lead-store.contract.ts';

/** The SQLite store on a fresh file, as every record suite's subject at once. */
function sqlite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-contract-'));
  const file = path.join(dir, 'leads.sqlite');
  const open = (records: SqliteLeadStore) => {
    const twins: SqliteLeadStore[] = [];
    const subject = {
      store: records,
      leads: records,
      jobs: records,
      lifecycle: records,
      async twin() {
        const other = openSqliteLeadStore(file);
        twins.push(other);
        return other;
      },
      async reopen() {
        await Promise.all([records.close(), ...twins.map((t) => t.close())]);
        return open(openSqliteLeadStore(file));
      },
      async close() {
        await Promise.all([records.close(), ...twins.map((t) => t.close())]);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    return subject;
  };
  return open(openSqliteLeadStore(file));
}

async function lowdb(): Promise<ConfigStoreSubject> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-contract-config-'));
  const key = secretKeyOf(Buffer.alloc(32, 7), 'test');
  const open = async (): Promise<ConfigStoreSubject> => ({
    store: await openLowdbConfigStore(dir, key),
    reopen: open,
    async close() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
  return open();
}

defineLeadStoreContract('SQLite', async () => sqlite());
defineJobQueueContract('SQLite', async () => sqlite());
defineExecutionLogContract('SQLite', async () => sqlite());
defineCheckpointStoreContract('SQLite', async () => sqlite());
defineAuditStoreContract('SQLite', async () => sqlite());
defineConfigStoreContract('lowdb', lowdb);
