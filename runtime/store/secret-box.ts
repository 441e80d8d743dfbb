/**
 * Integration secrets at rest: each value sealed with AES-256-GCM (a random 12-byte IV per value,
 * the auth tag kept) under the runtime's secret key, bound to its integration and name, so
 * `config.json` and anything copied from it never hold a secret in clear.
 *
 * A sealed value reads `enc:v1:<key id>:<base64url of iv | tag | ciphertext>`. The key id (the first
 * 8 hex digits of the key's SHA-256) says which key sealed it: a runtime started with another key
 * refuses to open the store, naming both ids, instead of sending garbage as credentials.
 *
 * The key comes from `LEADFLOW_SECRET_KEY` (32 bytes, base64 or hex) or, when that is unset, from
 * `secret.key` in the data folder, generated on first start with mode 0600. What this protects: a
 * leaked `config.json`, a backup of it or an export reveals no secret. What it does not: whoever can
 * read the data folder (a stolen disk, a shell as the runtime's user) reads the key file too, unless
 * the key is given by the environment instead.
 *
 * @example
 * const key = await loadSecretKey('data', undefined); // generates data/secret.key on first use
 * const sealed = sealSecret(key, 'k-123', 'crm', 'api_key'); // 'enc:v1:3f2a9c1d:…'
 * openSecret(key, sealed, 'crm', 'api_key'); // 'k-123'
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { Integration } from '../../core/domain/config.ts';

/** The key file's name inside the data folder. */
export const KEY_FILE = 'secret.key';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key the store seals with, and where it came from (for error messages, never the key itself). */
export interface SecretKey {
  /** The first 8 hex digits of the key's SHA-256: names the key in sealed values and errors. */
  id: string;
  key: Buffer;
  /** `LEADFLOW_SECRET_KEY`, a key file's path, or a caller's own words. */
  source: string;
}

/** A sealed value the key in use cannot open: the wrong key, or a value changed on disk. */
export class SecretKeyMismatch extends Error {}

/**
 * The 32 bytes written as hex (64 digits) or base64 / base64url (43 or 44 characters).
 * Throws, naming `source`, for anything else, so a mistyped key stops the start-up.
 */
export function parseSecretKey(text: string, source: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new Error(
    `${source} must be 32 bytes written as base64 (44 characters) or hex (64 digits); make one with \`openssl rand -base64 32\``,
  );
}

/** The key with its id. */
export function secretKeyOf(key: Buffer, source: string): SecretKey {
  if (key.length !== 32) throw new Error(`${source} must be 32 bytes, not ${key.length}`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key, source };
}

/** A fresh random key, as a key file or `LEADFLOW_SECRET_KEY` holds it (base64). */
export function generateSecretKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The key to seal with: `fromEnv` when given (`LEADFLOW_SECRET_KEY`, parsed by runtime/config.ts),
 * otherwise the data folder's key file, created (mode 0600) when missing.
 */
export async function loadSecretKey(dataDir: string, fromEnv: Buffer | undefined): Promise<SecretKey> {
  if (fromEnv) return secretKeyOf(fromEnv, 'LEADFLOW_SECRET_KEY');
  const file = path.join(dataDir, KEY_FILE);
  try {
    await fs.writeFile(file, generateSecretKey() + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  await fs.chmod(file, 0o600);
  return secretKeyOf(parseSecretKey(await fs.readFile(file, 'utf8'), `the key file ${file}`), file);
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

function aad(integrationId: string, name: string): Buffer {
  return Buffer.from(`${integrationId}\u0000${name}`, 'utf8');
}

/** `text` sealed under `key`, bound to `bound` (what it belongs to): it opens only for the same. */
function sealBound(key: SecretKey, text: string, bound: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(bound);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return `${PREFIX}${key.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** The clear text of a sealed value; `where` names it in errors. */
function openBound(key: SecretKey, value: string, bound: Buffer, where: string): string {
  const [keyId, packed = ''] = value.slice(PREFIX.length).split(':');
  if (keyId !== key.id) {
    throw new SecretKeyMismatch(
      `${where} was sealed with key ${keyId}, but the key in use (${key.source}) is ${key.id}: start with the key it was sealed with, or rotate with \`leadflow rotate-secret-key\``,
    );
  }
  const bytes = Buffer.from(packed, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(bound);
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new SecretKeyMismatch(`${where} does not open with key ${key.id} (${key.source}): the value was changed or the key is wrong`, {
      cause: error,
    });
  }
}

/** The value sealed for this integration's secret `name`: a copy moved to another field does not open. */
export function sealSecret(key: SecretKey, value: string, integrationId: string, name: string): string {
  return sealBound(key, value, aad(integrationId, name));
}

/** The clear value; a value not sealed (a file written before sealing) is returned as it is. */
export function openSecret(key: SecretKey, value: string, integrationId: string, name: string): string {
  if (!isSealed(value)) return value;
  return openBound(key, value, aad(integrationId, name), `the secret "${name}" of integration "${integrationId}"`);
}

/**
 * What a delivery keeps of its run in its job (its checkpoint, runtime/engine/checkpoint.ts), sealed
 * under the integration secrets' key and bound to the job: the outputs it holds are the target's
 * answers as they were — a session cookie, a token — which the job row must not hold in clear.
 * Only the delivery opens it, to continue the run; nothing shown (an API answer, a record) does.
 */
export interface CheckpointSeal {
  seal(checkpoint: unknown, jobId: number): string;
  /** The checkpoint `seal` made for this job. @throws SecretKeyMismatch for another key, job or a changed value. */
  open(sealed: string, jobId: number): unknown;
}

/**
 * What a shared token store (store/pg/shared-tokens.ts) keeps of a node's values — session tokens
 * the target issued — sealed under the integration secrets' key and bound to their integration and
 * key, so the database never holds a token in clear. The key itself (Auth Token's holds a hash of
 * the login request, credentials and all) is stored only as an HMAC under the same key ({@link TokenSeal.name}).
 */
export interface TokenSeal {
  /** What names the value in the store: an HMAC of the integration and key, hex. */
  name(integrationId: string, key: string): string;
  seal(value: unknown, integrationId: string, key: string): string;
  /** The value `seal` made. @throws SecretKeyMismatch for another key, binding or a changed value. */
  open(sealed: string, integrationId: string, key: string): unknown;
}

/** The {@link TokenSeal} of a key. */
export function tokenSeal(key: SecretKey): TokenSeal {
  // a leading \u0002 keeps it apart from an integration secret's binding and a checkpoint's
  const bound = (integrationId: string, name: string) => Buffer.from(`\u0002token\u0000${integrationId}\u0000${name}`, 'utf8');
  return {
    name: (integrationId, name) => createHmac('sha256', key.key).update(bound(integrationId, name)).digest('hex'),
    seal: (value, integrationId, name) => sealBound(key, JSON.stringify(value), bound(integrationId, name)),
    open: (sealed, integrationId, name) =>
      JSON.parse(openBound(key, sealed, bound(integrationId, name), `a token kept for integration "${integrationId}"`)) as unknown,
  };
}

/** The {@link CheckpointSeal} of a key. */
export function checkpointSeal(key: SecretKey): CheckpointSeal {
  // a leading \u0001 keeps it apart from any integration secret's binding (an id, then a name)
  const bound = (jobId: number) => Buffer.from(`\u0001checkpoint\u0000${jobId}`, 'utf8');
  return {
    seal: (checkpoint, jobId) => sealBound(key, JSON.stringify(checkpoint), bound(jobId)),
    open: (sealed, jobId) => JSON.parse(openBound(key, sealed, bound(jobId), `the checkpoint of job ${jobId}`)) as unknown,
  };
}

/** The integration with every secret sealed (a copy). */
export function sealIntegration(key: SecretKey, integration: Integration): Integration {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(integration.secrets ?? {})) secrets[name] = sealSecret(key, value, integration.id, name);
  return { ...integration, secrets };
}

/** The integration with every secret opened (a copy); `plain` is told when a value was not sealed. */
export function openIntegration(key: SecretKey, integration: Integration, plain?: () => void): Integration {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(integration.secrets ?? {})) {
    if (!isSealed(value)) plain?.();
    secrets[name] = openSecret(key, value, integration.id, name);
  }
  return { ...integration, secrets };
}

/**
 * Re-seals every integration secret of a parsed `config.json` under `next`: opened with `current`,
 * sealed with `next`. The caller writes the result and only then replaces the key.
 */
export function resealConfig<T extends { integrations?: Integration[] }>(data: T, current: SecretKey, next: SecretKey): T {
  return { ...data, integrations: (data.integrations ?? []).map((i) => sealIntegration(next, openIntegration(current, i))) };
}

/** Writes `text` to `file` with mode 0600, atomically: a temporary file beside it renamed over it. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  // synced before the rename and the folder after it: a renewed secret (a rotated refresh token,
  // kept-secrets.ts) must be on disk when the write resolves, or a power loss could take it back
  const handle = await fs.open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
  const folder = await fs.open(path.dirname(file), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/**
 * Re-seals under `next` the checkpoints that deliveries not done yet keep in their jobs
 * (`payload.resume` in `leads.sqlite`), in one transaction, so that a retry waiting across a key
 * rotation still continues where it stopped. One that does not open with `current` is left as it
 * is (that delivery starts over). Answers how many were re-sealed.
 */
export function resealCheckpoints(file: string, current: SecretKey, next: SecretKey): number {
  const db = new Database(file);
  try {
    const from = checkpointSeal(current);
    const to = checkpointSeal(next);
    const rows = db.prepare(`SELECT id, payload FROM jobs WHERE state <> 'done' AND payload LIKE '%"resume":"${PREFIX}%'`).all() as {
      id: number;
      payload: string;
    }[];
    const update = db.prepare('UPDATE jobs SET payload = ? WHERE id = ?');
    let resealed = 0;
    db.transaction(() => {
      for (const row of rows) {
        const payload = JSON.parse(row.payload) as { resume?: unknown };
        if (typeof payload.resume !== 'string') continue;
        let checkpoint: unknown;
        try {
          checkpoint = from.open(payload.resume, row.id);
        } catch {
          continue;
        }
        update.run(JSON.stringify({ ...payload, resume: to.seal(checkpoint, row.id) }), row.id);
        resealed++;
      }
    })();
    return resealed;
  } finally {
    db.close();
  }
}

/**
 * Rotates the key of the data folder's `config.json` (the runtime stopped: one process owns the
 * file). Every secret is opened with `current` and sealed with `next`, and so is every delivery's
 * checkpoint in `leads.sqlite` ({@link resealCheckpoints}); the files are written first, then,
 * when the key lives in the key file, the key file is replaced. Answers the new key's id.
 */
export async function rotateSecretKey(
  dataDir: string,
  current: SecretKey,
  next: SecretKey,
  options: { writeKeyFile: boolean },
): Promise<string> {
  const file = path.join(dataDir, 'config.json');
  const data = JSON.parse(await fs.readFile(file, 'utf8')) as { integrations?: Integration[] };
  const resealed = resealConfig(data, current, next);
  if (options.writeKeyFile) await writePrivateFile(path.join(dataDir, `${KEY_FILE}.next`), next.key.toString('base64') + '\n');
  const leads = path.join(dataDir, 'leads.sqlite');
  if (existsSync(leads) && statSync(leads).size > 0) resealCheckpoints(leads, current, next);
  await writePrivateFile(file, JSON.stringify(resealed, null, 2));
  if (options.writeKeyFile) await fs.rename(path.join(dataDir, `${KEY_FILE}.next`), path.join(dataDir, KEY_FILE));
  return next.id;
}
