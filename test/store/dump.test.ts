/**
 * Moving a store up and back (`leadflow export` / `leadflow import`, runtime/store/dump.ts): a
 * store with 3,000 leads and their history, exported from the embedded backend and imported into
 * a fresh PostgreSQL database by the command line as child processes, then exported from
 * PostgreSQL and imported into a fresh data folder, answers everything the same through the store
 * interfaces each time. Refused: an import into a store that holds records, one under another key,
 * and a dump cut short (the target left empty).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStores, type Stores } from '../../runtime/store/index.ts';
import { readDumpFile, writeDumpFile } from '../../runtime/store/dump.ts';
import { openStoreDump } from '../../runtime/store/dump-open.ts';
import { secretKeyOf } from '../../runtime/store/secret-box.ts';
import { INTEGRATION, storeSnapshot, writeHistory } from '../support/dump-fixture.ts';
import { freshDatabase } from '../support/postgres.ts';

const exec = promisify(execFile);
const LEADS = 3000;
const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 9);

/** The command line as a real process, with only the environment given (and PATH for node). */
async function leadflow(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'runtime/cli.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, Math.round(performance.now() - started)];
}

describe('moving a store between the embedded backend and PostgreSQL', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'leadflow-dump-'));
  const embedded = path.join(root, 'embedded');
  const dumpFile = path.join(root, 'store.jsonl');
  const base64 = KEY.toString('base64');
  const databases: { drop(): Promise<void> }[] = [];
  let pgUrl = '';
  let sealed: Awaited<ReturnType<typeof writeHistory>>;
  let original: Awaited<ReturnType<typeof storeSnapshot>>;
  const figures: string[] = [];

  beforeAll(async () => {
    const stores = (await openStores(embedded, KEY)) as Stores;
    const [written, ms] = await timed(() => writeHistory(stores, LEADS));
    sealed = written;
    original = await storeSnapshot(stores, sealed);
    await stores.close();
    figures.push(`writing the embedded store: ${ms} ms`);
    const db = await freshDatabase();
    databases.push(db);
    pgUrl = db.url;
  }, 180_000);

  afterAll(async () => {
    console.log(`export/import of ${LEADS} leads:\n  ${figures.join('\n  ')}`);
    await Promise.all(databases.map((db) => db.drop()));
    rmSync(root, { recursive: true, force: true });
  });

  it('the store written holds what the comparison needs', () => {
    expect(original.leads).toHaveLength(LEADS);
    expect(original.approved.length).toBeGreaterThan(100);
    expect(original.history[1].length).toBeGreaterThan(0);
    expect(original.search.map((lead) => lead.id)).toEqual([1500]);
    expect(original.integrations[0].secrets).toEqual(INTEGRATION.secrets);
    expect(original.flows[0].versions).toHaveLength(2);
    expect(original.deliveries).not.toEqual({});
    expect(original.resumed).toEqual({ outputs: { login: { cookie: 'sess=1' } } });
    expect(original.linked.length).toBeGreaterThanOrEqual(2);
  });

  it('export writes every record to a file, the secrets sealed and none in clear', async () => {
    const [run, ms] = await timed(() => leadflow(['export', '--to', dumpFile], { LEADFLOW_DATA: embedded, LEADFLOW_SECRET_KEY: base64 }));
    figures.push(`export from the embedded store (CLI process): ${ms} ms`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^exported .*3,000 leads.* from the data folder .* in [\d.]+ s\n$/);
    const text = readFileSync(dumpFile, 'utf8');
    for (const secret of Object.values(INTEGRATION.secrets)) expect(text).not.toContain(secret);
    expect(text).not.toContain('sess=1');
    expect(text).toContain(`"api_key":"enc:v1:${secretKeyOf(KEY, 'k').id}:`);
    const lines = text.trimEnd().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ kind: 'header', format: 'leadflow-dump', keyId: secretKeyOf(KEY, 'k').id });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'end', counts: { leads: LEADS, integrations: 1 } });
  });

  it('import into an empty PostgreSQL database answers everything as the embedded store did', async () => {
    const [run, ms] = await timed(() =>
      leadflow(['import', dumpFile], {
        LEADFLOW_DATA: path.join(root, 'pg-node'),
        LEADFLOW_DATABASE_URL: pgUrl,
        LEADFLOW_SECRET_KEY: base64,
      }),
    );
    figures.push(`import into PostgreSQL (CLI process): ${ms} ms`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^imported .*3,000 leads.* into the PostgreSQL database at LEADFLOW_DATABASE_URL in [\d.]+ s\n$/);
    const stores = await openStores(path.join(root, 'pg-node'), KEY, { url: pgUrl });
    try {
      expect(await storeSnapshot(stores, sealed)).toEqual(original);
    } finally {
      await stores.close();
    }
  }, 120_000);

  it('an import into a store that holds records is refused, naming what it holds', async () => {
    const run = await leadflow(['import', dumpFile], {
      LEADFLOW_DATA: path.join(root, 'pg-node'),
      LEADFLOW_DATABASE_URL: pgUrl,
      LEADFLOW_SECRET_KEY: base64,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^the target store is not empty: it holds .*1 integrations.*3,000 leads/);
    const stores = await openStores(path.join(root, 'pg-node'), KEY, { url: pgUrl });
    try {
      expect((await stores.leads.listLeads({ limit: 500 })).length).toBe(500);
      expect(await stores.leads.getLead(LEADS + 1)).toBeUndefined();
    } finally {
      await stores.close();
    }
  });

  it('an import under another key, or with no key, is refused naming LEADFLOW_SECRET_KEY, and writes nothing', async () => {
    const target = path.join(root, 'wrong-key');
    const wrong = await leadflow(['import', dumpFile], { LEADFLOW_DATA: target, LEADFLOW_SECRET_KEY: OTHER_KEY.toString('base64') });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `sealed with key ${secretKeyOf(KEY, 'k').id}, but the target's key (LEADFLOW_SECRET_KEY) is ${secretKeyOf(OTHER_KEY, 'k').id}`,
    );
    expect(wrong.stderr).toContain('set LEADFLOW_SECRET_KEY to the key of the store it was exported from');
    expect(existsSync(path.join(target, 'config.json'))).toBe(false);
    expect(existsSync(path.join(target, 'leads.sqlite'))).toBe(false);
    const none = await leadflow(['import', dumpFile], { LEADFLOW_DATA: path.join(root, 'no-key') });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`the dump's secrets are sealed with key ${secretKeyOf(KEY, 'k').id}: set LEADFLOW_SECRET_KEY`);
    expect(existsSync(path.join(root, 'no-key', 'secret.key'))).toBe(false);
  });

  it('a dump cut short is refused at its end and leaves the target as empty as it was, on either backend', async () => {
    const lines = readFileSync(dumpFile, 'utf8').trimEnd().split('\n');
    const cut = path.join(root, 'cut.jsonl');
    writeFileSync(cut, lines.slice(0, -1).join('\n') + '\n');
    const key = secretKeyOf(KEY, 'LEADFLOW_SECRET_KEY');
    const db = await freshDatabase();
    databases.push(db);
    for (const url of [db.url, undefined]) {
      const target = await openStoreDump(path.join(root, 'cut-target'), key, { url });
      try {
        await expect(target.load(readDumpFile(cut))).rejects.toThrow('the dump is cut short: it has no end record');
        expect(await target.contents()).toEqual({});
      } finally {
        await target.close();
      }
    }
    expect(existsSync(path.join(root, 'cut-target', 'config.json'))).toBe(false);
  }, 60_000);

  it('exported from PostgreSQL and imported into a fresh data folder, the store answers everything the same again', async () => {
    const key = secretKeyOf(KEY, 'LEADFLOW_SECRET_KEY');
    const backFile = path.join(root, 'back.jsonl');
    const back = path.join(root, 'embedded-again');
    const from = await openStoreDump(path.join(root, 'pg-node'), key, { url: pgUrl });
    const [, exportMs] = await timed(() => writeDumpFile(from.dump(), backFile));
    await from.close();
    const into = await openStoreDump(back, key);
    const [report, importMs] = await timed(() => into.load(readDumpFile(backFile)));
    await into.close();
    figures.push(`export from PostgreSQL: ${exportMs} ms`, `import into the embedded store: ${importMs} ms`);
    expect(report.counts).toMatchObject({ leads: LEADS, integrations: 1, flows: 1, users: 1, sources: 1 });
    expect(readFileSync(backFile, 'utf8')).not.toContain(INTEGRATION.secrets.api_key);
    const stores = (await openStores(back, KEY)) as Stores;
    try {
      expect(await storeSnapshot(stores, sealed)).toEqual(original);
    } finally {
      await stores.close();
    }
  }, 120_000);

  it('in a moved store the next lead takes the next id, and a repeated intake key finds its original', async () => {
    for (const [dir, url] of [
      [path.join(root, 'pg-node'), pgUrl],
      [path.join(root, 'embedded-again'), undefined],
    ] as const) {
      const stores = await openStores(dir, KEY, { url });
      try {
        const next = await stores.leads.insertLead({ offer: 'slim-tea', phone: '+491510099' }, 'crm', [
          { kind: 'lead.new', integrationId: 'crm' },
        ]);
        expect(next.id).toBe(LEADS + 1);
        const repeat = await stores.leads.insertLeadOnce({ offer: 'slim-tea' }, 'crm', [], {
          source: 'net',
          bodyHash: 'b10',
          idempotencyKey: 'idem-10',
        });
        expect(repeat.repeat).toMatchObject({ lead: { id: 10 }, answer: { status: 201 } });
        const [job] = await stores.jobs.jobsOfLead(next.id);
        expect(job.id).toBeGreaterThan(Math.max(...original.jobs.flat().map((j) => j.id)));
        expect(await stores.executions.insertExecution({ ...original.executions[0], id: undefined } as never)).toBeGreaterThan(
          original.executions[0].id,
        );
      } finally {
        await stores.close();
      }
    }
  });
});
