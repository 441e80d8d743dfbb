/**
 * Integrations for the PostgreSQL configuration store (config.ts), with their secrets sealed in
 * the row exactly as the embedded store seals them in `config.json` (secret-box.ts: AES-256-GCM,
 * each value bound to its integration and name): callers see clear values, the table never holds
 * one. A write that changes secrets reads the stored row `FOR UPDATE` in its transaction, so a
 * secret the runtime renewed meanwhile (another process's included) is never taken back.
 */
import type pg from 'pg';
import type { Integration } from '../../../core/domain/config.ts';
import type { RoutingWrite } from '../types.ts';
import { openIntegration, sealIntegration, type SecretKey } from '../secret-box.ts';
import { inTransaction, notifyChange, type Queryable } from './config-sql.ts';

type SecretChanges = Record<string, string | null>;

export async function listIntegrations(pool: pg.Pool, key: SecretKey): Promise<Integration[]> {
  const { rows } = await pool.query<{ doc: Integration }>('SELECT doc FROM integrations ORDER BY position');
  return rows.map((row) => openIntegration(key, row.doc));
}

export async function getIntegration(pool: pg.Pool, key: SecretKey, id: string): Promise<Integration | undefined> {
  const { rows } = await pool.query<{ doc: Integration }>('SELECT doc FROM integrations WHERE id = $1', [id]);
  return rows[0] && openIntegration(key, rows[0].doc);
}

/** The first enabled integration, in the order they were first stored, whose `offers` lists the offer. */
export async function findIntegrationForOffer(pool: pg.Pool, key: SecretKey, offerId: string): Promise<Integration | undefined> {
  const { rows } = await pool.query<{ doc: Integration }>(
    `SELECT doc FROM integrations
     WHERE (doc ->> 'enabled')::boolean IS TRUE AND (doc -> 'offers')::jsonb ? $1
     ORDER BY position LIMIT 1`,
    [offerId],
  );
  return rows[0] && openIntegration(key, rows[0].doc);
}

export function putIntegration(pool: pg.Pool, key: SecretKey, integration: Integration, secretChanges?: SecretChanges): Promise<void> {
  return inTransaction(pool, (client) => putIntegrationIn(client, key, integration, secretChanges));
}

/**
 * Stores the integration whole inside the caller's transaction. With `secretChanges`, its secrets
 * are the stored row's (locked until the transaction ends) with the changes applied.
 */
async function putIntegrationIn(client: Queryable, key: SecretKey, integration: Integration, secretChanges?: SecretChanges): Promise<void> {
  let secrets = integration.secrets;
  if (secretChanges) {
    const { rows } = await client.query<{ doc: Integration }>('SELECT doc FROM integrations WHERE id = $1 FOR UPDATE', [integration.id]);
    secrets = { ...(rows[0] ? openIntegration(key, rows[0].doc).secrets : integration.secrets) };
    for (const [name, value] of Object.entries(secretChanges)) {
      if (value === null) delete secrets[name];
      else secrets[name] = value;
    }
  }
  await client.query('INSERT INTO integrations (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc', [
    integration.id,
    JSON.stringify(sealIntegration(key, { ...integration, secrets })),
  ]);
  await notifyChange(client, { kind: 'integration', id: integration.id });
}

/** Sets one secret of a stored integration in one transaction that reads the row `FOR UPDATE`; false when there is none. */
export function setIntegrationSecret(pool: pg.Pool, key: SecretKey, id: string, name: string, value: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ doc: Integration }>('SELECT doc FROM integrations WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) return false;
    const current = openIntegration(key, rows[0].doc);
    const next = sealIntegration(key, { ...current, secrets: { ...current.secrets, [name]: value } });
    await client.query('UPDATE integrations SET doc = $2 WHERE id = $1', [id, JSON.stringify(next)]);
    await notifyChange(client, { kind: 'integration', id });
    return true;
  });
}

export function deleteIntegration(pool: pg.Pool, id: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const deleted = await client.query('DELETE FROM integrations WHERE id = $1', [id]);
    if (!deleted.rowCount) return false;
    await notifyChange(client, { kind: 'integration', id });
    return true;
  });
}

/**
 * A routing change in one transaction, in the embedded store's order: the offer deleted, offers
 * stored, other integrations' `offers` lists replaced, then the one integration stored whole.
 * The integrations it touches are locked first, in id order, so two routing changes at once
 * wait for each other instead of deadlocking.
 */
export function putRouting(pool: pg.Pool, key: SecretKey, write: RoutingWrite): Promise<void> {
  return inTransaction(pool, async (client) => {
    if (write.deleteOffer !== undefined) {
      const deleted = await client.query('DELETE FROM offers WHERE id = $1', [write.deleteOffer]);
      if (deleted.rowCount) await notifyChange(client, { kind: 'offer', id: write.deleteOffer });
    }
    for (const offer of write.offers ?? []) {
      await client.query('INSERT INTO offers (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc', [
        offer.id,
        JSON.stringify(offer),
      ]);
      await notifyChange(client, { kind: 'offer', id: offer.id });
    }
    const lists = write.integrationOffers ?? {};
    const touched = [...new Set([...Object.keys(lists), ...(write.integration ? [write.integration.record.id] : [])])].sort();
    const { rows } = await client.query<{ id: string; doc: Integration }>(
      'SELECT id, doc FROM integrations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
      [touched],
    );
    for (const row of rows) {
      if (!Object.hasOwn(lists, row.id)) continue;
      // the sealed secrets are carried over as they are: only the list changes
      await client.query('UPDATE integrations SET doc = $2 WHERE id = $1', [
        row.id,
        JSON.stringify({ ...row.doc, offers: [...lists[row.id]] }),
      ]);
      await notifyChange(client, { kind: 'integration', id: row.id });
    }
    if (write.integration) {
      const { record, secretChanges } = write.integration;
      await putIntegrationIn(client, key, record, secretChanges);
    }
  });
}
