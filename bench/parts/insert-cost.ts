/**
 * The store's cost of taking a lead in, in this process: `insertLeadOnce` (the lead's row, its
 * search keys, the dashboard counter, its `lead.new` job and intake key) on the SQLite store in a
 * fresh folder, 90 leads per turn of the event loop as the flat-out intake groups them, timed inside
 * the write and with the group commit. `--drop NAME,…` drops indexes first: what each one costs a
 * lead (the indexes the store keeps are listed at the end).
 *
 *   npx tsx bench/parts/insert-cost.ts [--leads 40000] [--drop leads_wm_created,…]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LeadInput } from '../../core/domain/lead.ts';
import { openSqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { SEND_LEAD } from '../scenarios/send-integration.ts';
import { medianAndLeast, ROUNDS } from './rounds.ts';

const { values } = parseArgs({ options: { leads: { type: 'string', default: '40000' }, drop: { type: 'string', default: '' } } });
const LEADS = Number(values.leads);
const PER_TURN = 90;
const dropped = values.drop.split(',').filter(Boolean);

const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-insert-cost-'));
const store = openSqliteLeadStore(path.join(dir, 'leads.db'));
// the bench's own handle on the store's database, as bench/runtime-child.ts takes it
const db = (store as unknown as { db: import('better-sqlite3').Database }).db;
for (const index of dropped) db.exec(`DROP INDEX ${index}`);
const input: LeadInput = { ...SEND_LEAD, phoneE164: '+4915123456789' };

const inWrite: number[] = [];
const withCommit: number[] = [];
for (let round = 0, n = 0; round < ROUNDS; round++) {
  let writing = 0;
  const started = performance.now();
  for (let i = 0; i < LEADS; i += PER_TURN) {
    const turn: Promise<unknown>[] = [];
    const w = performance.now();
    for (let j = 0; j < PER_TURN; j++, n++) {
      const keys = { source: 'bench', bodyHash: `h${n}` };
      turn.push(store.insertLeadOnce({ ...input, name: `lead ${n}` }, 'crm', [{ kind: 'lead.new' }], keys, undefined));
    }
    writing += performance.now() - w;
    await Promise.all(turn);
  }
  inWrite.push((writing / LEADS) * 1000);
  withCommit.push(((performance.now() - started) / LEADS) * 1000);
}
console.log(`lead insert${dropped.length ? ` without ${dropped.join(', ')}` : ''}: in the write ${medianAndLeast(inWrite)} µs`);
console.log(`  with the group commit ${medianAndLeast(withCommit)} µs per lead`);
const indexes = db
  .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('leads', 'jobs') ORDER BY name`)
  .pluck()
  .all();
console.log(`  indexes on leads and jobs: ${indexes.join(' ')}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
