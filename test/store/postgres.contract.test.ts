/**
 * Every store contract against PostgreSQL, opened exactly as the runtime opens it with
 * `LEADFLOW_DATABASE_URL` set (`openPgStores`: one pool, the whole schema migrated, one object per
 * interface). Each test gets a fresh database on the test server (test/support/postgres.ts);
 * `reopen` closes the stores and opens the same database again (a restart), `twin` opens a second
 * set of stores on it (a second runtime process), whose claims may overlap the first's in time.
 */
import { freshDatabase } from '../support/postgres.ts';
import { openPgStores, type PgStores } from '../../runtime/store/pg/open.ts';
import { secretKeyOf } from '../../runtime/store/secret-box.ts';
import { defineAuditStoreContract } from './contracts/audit-store.contract.ts';
import { defineCheckpointStoreContract } from './contracts/checkpoint-store.contract.ts';
import { defineConfigStoreContract } from './contracts/config-store.contract.ts';
import { defineExecutionLogContract } from './contracts/execution-log.contract.ts';
import { defineJobQueueContract } from './contracts/job-queue.contract.ts';
import { defineLeadStoreContract } from './contracts/lead-store.contract.ts';

const key = secretKeyOf(Buffer.alloc(32, 7), 'test');

async function postgres() {
  const db = await freshDatabase();
  const open = async (stores: PgStores) => {
    const twins: PgStores[] = [];
    return {
      stores,
      leads: stores.leads,
      jobs: stores.jobs,
      lifecycle: stores,
      async twin() {
        const other = await openPgStores(db.url, key, { poolSize: 4 });
        twins.push(other);
        return other.jobs;
      },
      async reopen() {
        await Promise.all([stores.close(), ...twins.map((t) => t.close())]);
        return open(await openPgStores(db.url, key, { poolSize: 4 }));
      },
      async close() {
        await Promise.all([stores.close(), ...twins.map((t) => t.close())]);
        await db.drop();
      },
    };
  };
  return open(await openPgStores(db.url, key, { poolSize: 4 }));
}

type Opened = Awaited<ReturnType<typeof postgres>>;
type As<T> = Omit<Opened, 'reopen'> & { store: T; reopen(): Promise<As<T>> };

/** The same subject with `store` (and `reopen`'s answer) set to one interface of the stores. */
function as<T>(pick: (stores: PgStores) => T): () => Promise<As<T>> {
  const wrap = (subject: Opened): As<T> => ({
    ...subject,
    store: pick(subject.stores),
    reopen: async () => wrap(await subject.reopen()),
  });
  return async () => wrap(await postgres());
}

defineLeadStoreContract(
  'PostgreSQL',
  as((s) => s.leads),
);
defineJobQueueContract(
  'PostgreSQL',
  as((s) => s.jobs),
  { overlappingTwins: true },
);
defineExecutionLogContract(
  'PostgreSQL',
  as((s) => s.executions),
);
defineCheckpointStoreContract(
  'PostgreSQL',
  as((s) => s.checkpoints),
);
defineAuditStoreContract(
  'PostgreSQL',
  as((s) => s.audit),
);
defineConfigStoreContract(
  'PostgreSQL',
  as((s) => s.config),
);
