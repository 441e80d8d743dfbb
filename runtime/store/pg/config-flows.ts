/**
 * Flows with their versions and users' drafts of them, for the PostgreSQL configuration store
 * (config.ts): a `flows` row per flow (its name, event and current version) and a `flow_versions`
 * row per saved version, `(flow_id, version)` unique.
 *
 * Two runtimes saving one flow at once: the save's upsert of the flow row (`INSERT … ON CONFLICT
 * DO UPDATE SET current_version = current_version + 1`) locks that row until its transaction ends,
 * so the second save waits for the first to commit, then counts from the version it committed.
 * Neither loses: they get two consecutive numbers, as two saves in one process do. The unique key
 * stays as the guard behind that: were a number ever taken twice, the later save would fail with
 * its transaction rolled back (nothing of it stored), never overwrite a version.
 */
import type pg from 'pg';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { migrateFlow } from '../../../core/flow/format.ts';
import type { FlowDraft, FlowVersion, StoredFlow } from '../types.ts';
import { inTransaction, isoTime, notifyChange } from './config-sql.ts';

interface FlowRow {
  id: string;
  name: string;
  event: StoredFlow['event'];
  current_version: number;
}

interface VersionRow {
  flow_id: string;
  version: number;
  saved_at: Date | string;
  saved_by: string;
  message: string | null;
  doc: FlowDoc;
}

function versionOf(row: VersionRow): FlowVersion {
  return {
    version: row.version,
    savedAt: isoTime(row.saved_at),
    savedBy: row.saved_by,
    ...(row.message ? { message: row.message } : {}),
    flow: row.doc,
  };
}

type FlowWithVersionRow = FlowRow & { [K in keyof VersionRow]: VersionRow[K] | null };

/** One statement, so one snapshot: a flow's current version is always among the versions read with it. */
const FLOWS_WITH_VERSIONS = `
  SELECT f.id, f.name, f.event, f.current_version, v.flow_id, v.version, v.saved_at, v.saved_by, v.message, v.doc
  FROM flows f LEFT JOIN flow_versions v ON v.flow_id = f.id AND v.version <= f.current_version`;

function storedFlows(rows: FlowWithVersionRow[], migrate: boolean): StoredFlow[] {
  const flows = new Map<string, StoredFlow>();
  for (const row of rows) {
    let flow = flows.get(row.id);
    if (!flow) {
      flow = { id: row.id, name: row.name, event: row.event, currentVersion: row.current_version, versions: [] };
      flows.set(row.id, flow);
    }
    if (row.version === null) continue;
    const version = versionOf(row as VersionRow);
    flow.versions.push(migrate ? { ...version, flow: currentFormat(version.flow) } : version);
  }
  return [...flows.values()];
}

/** Flows with all their versions, oldest version first, in the order the flows were first saved. */
export async function listFlows(pool: pg.Pool): Promise<StoredFlow[]> {
  const { rows } = await pool.query<FlowWithVersionRow>(`${FLOWS_WITH_VERSIONS} ORDER BY f.position, v.version`);
  return storedFlows(rows, false);
}

/** The flow with its versions, each in the current flow format. */
export async function getFlow(pool: pg.Pool, id: string): Promise<StoredFlow | undefined> {
  const { rows } = await pool.query<FlowWithVersionRow>(`${FLOWS_WITH_VERSIONS} WHERE f.id = $1 ORDER BY v.version`, [id]);
  return storedFlows(rows, true)[0];
}

export async function getFlowVersion(pool: pg.Pool, id: string, version?: number): Promise<FlowDoc | undefined> {
  const { rows } =
    version === undefined
      ? await pool.query<{ doc: FlowDoc }>(
          'SELECT v.doc FROM flows f JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.current_version WHERE f.id = $1',
          [id],
        )
      : await pool.query<{ doc: FlowDoc }>('SELECT doc FROM flow_versions WHERE flow_id = $1 AND version = $2', [id, version]);
  return rows[0] && currentFormat(rows[0].doc);
}

/** Appends the document as the flow's next version and makes it current; see the module's note on concurrent saves. */
export function saveFlowVersion(
  pool: pg.Pool,
  flow: FlowDoc,
  savedBy: string,
  options: { message?: string; dropDraftOf?: string } = {},
): Promise<FlowDoc> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ current_version: number }>(
      `INSERT INTO flows (id, name, event, current_version) VALUES ($1, $2, $3, 1)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, event = excluded.event, current_version = flows.current_version + 1
       RETURNING current_version`,
      [flow.id, flow.name, flow.event],
    );
    const version = rows[0].current_version;
    const doc: FlowDoc = { ...structuredClone(flow), version };
    await client.query('INSERT INTO flow_versions (flow_id, version, saved_at, saved_by, message, doc) VALUES ($1, $2, $3, $4, $5, $6)', [
      flow.id,
      version,
      new Date().toISOString(),
      savedBy,
      options.message || null,
      JSON.stringify(doc),
    ]);
    if (options.dropDraftOf !== undefined) {
      const dropped = await client.query('DELETE FROM flow_drafts WHERE flow_id = $1 AND user_id = $2', [flow.id, options.dropDraftOf]);
      if (dropped.rowCount) await notifyChange(client, { kind: 'draft', id: flow.id });
    }
    await notifyChange(client, { kind: 'flow', id: flow.id });
    return doc;
  });
}

/** Removes the flow (its versions go with it) and every user's draft of it. */
export function deleteFlow(pool: pg.Pool, id: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const deleted = await client.query('DELETE FROM flows WHERE id = $1', [id]);
    if (!deleted.rowCount) return false;
    const drafts = await client.query('DELETE FROM flow_drafts WHERE flow_id = $1', [id]);
    if (drafts.rowCount) await notifyChange(client, { kind: 'draft', id });
    await notifyChange(client, { kind: 'flow', id });
    return true;
  });
}

export async function getFlowDraft(pool: pg.Pool, flowId: string, userId: string): Promise<FlowDraft | undefined> {
  const { rows } = await pool.query<{ doc: FlowDraft }>('SELECT doc FROM flow_drafts WHERE flow_id = $1 AND user_id = $2', [
    flowId,
    userId,
  ]);
  return rows[0]?.doc;
}

export async function listFlowDrafts(pool: pg.Pool, match: { userId?: string; flowId?: string }): Promise<FlowDraft[]> {
  const { rows } = await pool.query<{ doc: FlowDraft }>(
    'SELECT doc FROM flow_drafts WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR flow_id = $2) ORDER BY position',
    [match.userId ?? null, match.flowId ?? null],
  );
  return rows.map((row) => row.doc);
}

/** Replaces that user's draft of the flow in place (its place in lists kept), or adds it. */
export function putFlowDraft(pool: pg.Pool, draft: FlowDraft): Promise<void> {
  return inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO flow_drafts (flow_id, user_id, doc) VALUES ($1, $2, $3)
       ON CONFLICT (flow_id, user_id) DO UPDATE SET doc = excluded.doc`,
      [draft.flowId, draft.userId, JSON.stringify(draft)],
    );
    await notifyChange(client, { kind: 'draft', id: draft.flowId });
  });
}

export function deleteFlowDraft(pool: pg.Pool, flowId: string, userId?: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const deleted = await client.query('DELETE FROM flow_drafts WHERE flow_id = $1 AND ($2::text IS NULL OR user_id = $2)', [
      flowId,
      userId ?? null,
    ]);
    if (!deleted.rowCount) return false;
    await notifyChange(client, { kind: 'draft', id: flowId });
    return true;
  });
}

/**
 * A saved document read in the current flow format, as the embedded store reads it (lowdb.ts):
 * node params are brought up to date by the flow service, which knows the node types.
 */
function currentFormat(doc: FlowDoc): FlowDoc {
  const migrated = migrateFlow(doc, { get: () => undefined });
  return migrated.ok ? (migrated.doc as FlowDoc) : doc;
}
