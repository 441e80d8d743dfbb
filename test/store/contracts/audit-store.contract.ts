/**
 * The contract every {@link AuditStore} keeps: append-only, entries read back as appended (an
 * absent actor or note absent, not null), newest first, filtered by actor (`system` for none),
 * resource and id, paged with `before`, 50 by default and at most 500.
 *
 * @example
 * defineAuditStoreContract('SQLite', async () => {
 *   const records = openSqliteLeadStore(file);
 *   return { store: records, close: () => records.close() };
 * });
 */
import { describe, expect, it } from 'vitest';
import type { AuditStore, NewAuditEntry } from '../../../runtime/store/types.ts';
import { subjects, type Factory } from './subject.ts';

export interface AuditStoreSubject {
  store: AuditStore;
  /** Closes this subject and opens the same data again (a restart). */
  reopen(): Promise<AuditStoreSubject>;
  close(): Promise<void>;
}

const anna = { id: 'u-1', name: 'anna', role: 'admin' as const };
const entry = (more: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  at: new Date().toISOString(),
  actor: anna,
  action: 'flow.save',
  resourceType: 'flow',
  resourceId: 'crm-send',
  ...more,
});

export function defineAuditStoreContract(name: string, factory: Factory<AuditStoreSubject>): void {
  const opened = subjects(factory);

  describe(`${name}: the audit store contract`, () => {
    it('an entry reads back as appended, with its id; what it lacks is absent', async () => {
      const { store } = await opened.open();
      const full = entry({ before: { version: 1, nodes: [] }, after: { version: 2, nodes: [{ id: 'a' }] }, note: 'rolled back to 1' });
      const id = await store.appendAudit(full);
      const bare = { at: new Date().toISOString(), action: 'integration.enable', resourceType: 'integration' as const, resourceId: 'crm' };
      const bareId = await store.appendAudit(bare);
      expect(bareId).toBeGreaterThan(id);
      const [second, first] = await store.listAudit({});
      expect(first).toEqual({ ...full, id });
      expect(second).toEqual({ ...bare, id: bareId });
      for (const key of ['actor', 'before', 'after', 'note']) expect(key in second, key).toBe(false);
    });

    it('lists newest first, filtered by actor, resource type and id, paged with before', async () => {
      const { store } = await opened.open();
      const a = await store.appendAudit(entry());
      const b = await store.appendAudit(entry({ actor: undefined, action: 'lead.stage', resourceType: 'lead', resourceId: '7' }));
      const c = await store.appendAudit(entry({ actor: { id: 'u-2', name: 'boris', role: 'integrator' }, resourceId: 'other' }));
      const ids = async (query: Parameters<AuditStore['listAudit']>[0]) => (await store.listAudit(query)).map((e) => e.id);
      expect(await ids({})).toEqual([c, b, a]);
      expect(await ids({ actor: 'u-1' })).toEqual([a]);
      expect(await ids({ actor: 'system' })).toEqual([b]);
      expect(await ids({ resourceType: 'flow' })).toEqual([c, a]);
      expect(await ids({ resourceType: 'flow', resourceId: 'crm-send' })).toEqual([a]);
      expect(await ids({ before: c, limit: 1 })).toEqual([b]);
    });

    it('gives 50 entries by default and never more than 500', async () => {
      const { store } = await opened.open();
      await Promise.all(Array.from({ length: 510 }, (_, n) => store.appendAudit(entry({ resourceId: `f-${n}` }))));
      expect(await store.listAudit({})).toHaveLength(50);
      expect(await store.listAudit({ limit: 10_000 })).toHaveLength(500);
    });

    it('keeps the log across a restart', async () => {
      const first = await opened.open();
      const id = await first.store.appendAudit(entry());
      const again = await opened.reopen(first);
      expect((await again.store.listAudit({})).map((e) => e.id)).toEqual([id]);
    });
  });
}
