/**
 * Sources and their intake keys: who may post leads, for which offers, as which webmaster.
 *
 * A key is generated here (`lfk_` and 32 random bytes in base64url), answered once, and stored as
 * its SHA-256 only. A fast unsalted hash is right for this, unlike for passwords: the key has 256
 * bits of entropy, so nobody can guess it or brute-force a hash back to it, salt or not; and an
 * unsalted hash can be looked up directly, so a request is checked with one hash and one lookup
 * instead of a slow hash per stored key. The lookup compares hashes of what the caller sent, so
 * timing tells nothing of a stored key; the found hash is compared again with `timingSafeEqual`.
 */
import { schemaRefusal } from './schema-refusal.ts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import type { Source, SourceKey } from '../../core/domain/config.ts';
import { SOURCE_KINDS } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { IssuedKey, KeyRotation, SourceCreate, SourcePatch, SourceView } from '../../core/api.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import type { ConfigStore } from '../store/types.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/** What every intake key starts with, so a leaked one is recognisable (secret scanners, logs). */
export const KEY_PREFIX = 'lfk_';

/** The shortest key {@link SourceService.importKey} takes: a fast hash is safe for high-entropy keys only. */
export const MIN_IMPORTED_KEY_LENGTH = 24;

/** The longest grace period a rotation may give the old keys: 30 days. */
const MAX_GRACE_SECONDS = 30 * 24 * 3600;

const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' };
const OFFERS = { anyOf: [{ const: '*' }, { type: 'array', maxItems: 1000, uniqueItems: true, items: ID }] };
const WEBMASTERS = { type: 'array', maxItems: 10000, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } };

const ajv = new Ajv({ allErrors: false, strict: false });
const checkCreate = ajv.compile<SourceCreate>({
  type: 'object',
  required: ['id', 'kind', 'offers'],
  additionalProperties: false,
  properties: {
    id: ID,
    name: { type: 'string', maxLength: 200 },
    kind: { enum: SOURCE_KINDS },
    webmaster: { type: 'string', minLength: 1, maxLength: 64 },
    webmasters: WEBMASTERS,
    offers: OFFERS,
  },
});
const checkPatch = ajv.compile<SourcePatch>({
  type: 'object',
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 200 }, webmasters: WEBMASTERS, offers: OFFERS },
});
const checkRotation = ajv.compile<KeyRotation>({
  type: 'object',
  additionalProperties: false,
  properties: { graceSeconds: { type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS } },
});

function invalid(errors: ErrorObject[] | null | undefined, what: string): DomainError {
  return schemaRefusal(errors, {
    whole: `(${what})`,
    thing: what,
    worded: (_error, field) =>
      field === 'offers' || field.startsWith('offers.') ? 'must be a list of offer ids or "*" for every offer' : undefined,
  });
}

/** SHA-256 of a key, hex: what the store keeps and looks keys up by. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new intake key: the prefix and 32 random bytes. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

function keyRecord(key: string, now: Date): SourceKey {
  return {
    id: randomBytes(6).toString('hex'),
    hash: hashKey(key),
    hint: key.slice(0, KEY_PREFIX.length + 4),
    created_at: now.toISOString(),
  };
}

const live = (key: SourceKey, now: Date) => !key.expires_at || Date.parse(key.expires_at) > now.getTime();

/** A source as answered: its keys without their hashes, and without the keys whose grace ended. */
export function sourceView(source: Source, now = new Date()): SourceView {
  return { ...source, keys: source.keys.filter((k) => live(k, now)).map(({ hash: _hash, ...view }) => view) };
}

/** Whether a source's keys may post leads for an offer. */
export function mayPostFor(source: Source, offer: string): boolean {
  return source.offers === '*' || source.offers.includes(offer);
}

export class SourceService {
  constructor(
    private readonly config: ConfigStore,
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {}

  async list(): Promise<SourceView[]> {
    return (await this.config.listSources()).map((s) => sourceView(s));
  }

  async get(id: string): Promise<SourceView> {
    return sourceView(await this.mustGet(id));
  }

  /** Creates a source with one key, answered here and never again. */
  async create(body: unknown, actor?: SessionUser): Promise<IssuedKey> {
    const value = structuredClone(body);
    if (!checkCreate(value)) throw invalid(checkCreate.errors, 'a source');
    if (await this.config.getSource(value.id)) throw new DomainError('conflict', `a source "${value.id}" exists already`, { field: 'id' });
    if (value.kind === 'webmaster' && !value.webmaster)
      throw new DomainError('invalid_field', 'is required for a webmaster source', { field: 'webmaster' });
    if (value.kind === 'network' && value.webmaster) {
      throw new DomainError('invalid_field', 'is for webmaster sources; a network source lists `webmasters`', { field: 'webmaster' });
    }
    if (value.kind === 'webmaster' && value.webmasters) {
      throw new DomainError('invalid_field', 'is for network sources; a webmaster source posts as its `webmaster`', {
        field: 'webmasters',
      });
    }
    const now = new Date();
    const key = generateKey();
    const record = keyRecord(key, now);
    const source: Source = { ...value, keys: [record], created_at: now.toISOString(), updated_at: now.toISOString() };
    await this.config.putSource(source);
    await this.audit.record({ action: 'source.create', resourceType: 'source', resourceId: source.id, after: source, actor });
    return { source: sourceView(source, now), key, keyId: record.id };
  }

  /** Changes a source's name, offers or (network) webmasters; its kind and keys stay. */
  async update(id: string, body: unknown, actor?: SessionUser): Promise<SourceView> {
    const patch = structuredClone(body);
    if (!checkPatch(patch)) throw invalid(checkPatch.errors, 'a source change');
    const source = await this.mustGet(id);
    if (patch.webmasters && source.kind === 'webmaster') {
      throw new DomainError('invalid_field', 'is for network sources; a webmaster source posts as its `webmaster`', {
        field: 'webmasters',
      });
    }
    const next: Source = { ...source, ...patch, updated_at: new Date().toISOString() };
    await this.config.putSource(next);
    await this.audit.record({ action: 'source.update', resourceType: 'source', resourceId: id, before: source, after: next, actor });
    return sourceView(next);
  }

  /**
   * Issues a new key. The source's other keys stop working at once, or after `graceSeconds`
   * (so the poster can switch without losing leads); a key already in a shorter grace keeps it.
   */
  async rotate(id: string, body: unknown = {}, actor?: SessionUser): Promise<IssuedKey> {
    const rotation = structuredClone(body ?? {});
    if (!checkRotation(rotation)) throw invalid(checkRotation.errors, 'a rotation');
    const source = await this.mustGet(id);
    const now = new Date();
    const grace = rotation.graceSeconds ?? 0;
    const until = new Date(now.getTime() + grace * 1000).toISOString();
    const kept =
      grace === 0
        ? []
        : source.keys
            .filter((k) => live(k, now))
            .map((k) => ({ ...k, expires_at: k.expires_at && k.expires_at < until ? k.expires_at : until }));
    const key = generateKey();
    const record = keyRecord(key, now);
    const next: Source = { ...source, keys: [...kept, record], updated_at: now.toISOString() };
    await this.config.putSource(next);
    await this.audit.record({ action: 'key.rotate', resourceType: 'source', resourceId: id, before: source, after: next, actor });
    return { source: sourceView(next, now), key, keyId: record.id };
  }

  /** Revokes one key at once (grace or not). */
  async revoke(id: string, keyId: string, actor?: SessionUser): Promise<SourceView> {
    const source = await this.mustGet(id);
    if (!source.keys.some((k) => k.id === keyId))
      throw new DomainError('not_found', `source "${id}" has no key "${keyId}"`, { field: 'key' });
    const next: Source = { ...source, keys: source.keys.filter((k) => k.id !== keyId), updated_at: new Date().toISOString() };
    await this.config.putSource(next);
    await this.audit.record({ action: 'key.revoke', resourceType: 'source', resourceId: id, before: source, after: next, actor });
    return sourceView(next);
  }

  async remove(id: string, actor?: SessionUser): Promise<void> {
    const before = await this.config.getSource(id);
    if (!(await this.config.deleteSource(id))) throw new DomainError('not_found', `no source "${id}"`, { field: 'id' });
    await this.audit.record({ action: 'source.delete', resourceType: 'source', resourceId: id, before, actor });
  }

  /**
   * Makes `key` a key of the source, replacing its others, unless it is one already: for the demo
   * source, whose key comes from `LEADFLOW_DEMO_INTAKE_KEY`. Not on the HTTP API: keys people use
   * are generated, never chosen.
   * @throws Error when the key is shorter than {@link MIN_IMPORTED_KEY_LENGTH}.
   */
  async importKey(id: string, key: string): Promise<void> {
    if (key.length < MIN_IMPORTED_KEY_LENGTH) throw new Error(`an intake key must have at least ${MIN_IMPORTED_KEY_LENGTH} characters`);
    const source = await this.mustGet(id);
    const hash = hashKey(key);
    if (source.keys.some((k) => k.hash === hash && live(k, new Date()))) return;
    const now = new Date();
    await this.config.putSource({ ...source, keys: [keyRecord(key, now)], updated_at: now.toISOString() });
  }

  /**
   * The source a key belongs to.
   * @throws DomainError `unauthorized` when the key is missing, unknown, revoked or past its grace.
   */
  async authenticate(key: string | undefined): Promise<Source> {
    if (!key) throw new DomainError('unauthorized', 'an intake key is required (X-Api-Key header or api_key query parameter)');
    const hash = hashKey(key);
    const source = await this.config.findSourceByKeyHash(hash);
    const record = source?.keys.find((k) => timingSafeEqual(Buffer.from(k.hash, 'hex'), Buffer.from(hash, 'hex')));
    if (!source || !record || !live(record, new Date())) throw new DomainError('unauthorized', 'the intake key is not valid');
    return source;
  }

  private async mustGet(id: string): Promise<Source> {
    const source = await this.config.getSource(id);
    if (!source) throw new DomainError('not_found', `no source "${id}"`, { field: 'id' });
    return source;
  }
}
