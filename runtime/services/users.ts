/**
 * People who log in: accounts in the configuration store, passwords hashed with scrypt (a salt of
 * its own per user, compared in constant time), roles from `core/domain/user.ts`. The first admin
 * of a fresh data folder is made by {@link UserService.ensureAdmin}.
 *
 * @example
 * const users = new UserService(config, sessions);
 * await users.create({ name: 'anna', password: 'long enough', role: 'integrator' });
 * const user = await users.verify('anna', 'long enough'); // the SessionUser, or undefined
 */
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import { randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { DomainError } from '../../core/domain/errors.ts';
import { ROLES, type Role, type SessionUser } from '../../core/domain/user.ts';
import type { UserView } from '../../core/api.ts';
import type { ConfigStore, StoredUser } from '../store/types.ts';

/** scrypt's cost: N=2^15, r=8, p=1 (about 32 MiB and a few tens of ms here), a 32-byte key. */
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const MIN_PASSWORD = 10;
const MAX_PASSWORD = 1024;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: 128 * options.N! * options.r! * 2 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, so the cost can rise later without breaking stored hashes. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A stored hash of no password, so an unknown name costs as much time as a wrong password. */
let decoy: Promise<string> | undefined;

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

function view(user: StoredUser): UserView {
  return { id: user.id, name: user.name, role: user.role, disabled: user.disabled, createdAt: user.createdAt };
}

function role(value: unknown): Role {
  if (typeof value !== 'string' || !(ROLES as readonly string[]).includes(value))
    throw new DomainError('invalid_field', `must be one of ${ROLES.join(', ')}`, { field: 'role' });
  return value as Role;
}

function password(value: unknown): string {
  if (typeof value !== 'string' || value.length < MIN_PASSWORD || value.length > MAX_PASSWORD)
    throw new DomainError('invalid_field', `must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`, { field: 'password' });
  return value;
}

function userName(value: unknown): string {
  if (typeof value !== 'string' || !/^[\p{L}\p{N}._@-]{1,64}$/u.test(value))
    throw new DomainError('invalid_field', 'must be 1 to 64 letters, digits or . _ @ -', { field: 'name' });
  return value;
}

/** What ends a user's sessions; the session service, passed in so the two need not know each other's store. */
export interface SessionEnder {
  endAllOf(userId: string): Promise<void>;
}

export class UserService {
  constructor(
    private readonly config: ConfigStore,
    private readonly sessions: SessionEnder,
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {}

  async list(): Promise<UserView[]> {
    return (await this.config.listUsers()).map(view);
  }

  /**
   * On a data folder with no user yet, creates the admin `admin` with the password given, or a
   * generated one. Answers the generated password (for the caller to print once), else undefined.
   */
  async ensureAdmin(given?: string): Promise<{ name: string; generated?: string } | undefined> {
    if ((await this.config.listUsers()).length > 0) return undefined;
    const generated = given ? undefined : generatePassword();
    await this.create({ name: 'admin', password: given ?? generated, role: 'admin' });
    return { name: 'admin', generated };
  }

  async create(body: unknown, actor?: SessionUser): Promise<UserView> {
    const input = (body ?? {}) as { name?: unknown; password?: unknown; role?: unknown };
    const name = userName(input.name);
    const secret = password(input.password);
    const chosen = role(input.role ?? 'viewer');
    if ((await this.config.listUsers()).some((u) => u.name.toLowerCase() === name.toLowerCase()))
      throw new DomainError('conflict', 'a user of that name exists', { field: 'name' });
    const user: StoredUser = {
      id: randomUUID(),
      name,
      role: chosen,
      passwordHash: await hashPassword(secret),
      disabled: false,
      createdAt: new Date().toISOString(),
    };
    await this.config.putUser(user);
    await this.audit.record({ action: 'user.create', resourceType: 'user', resourceId: user.id, after: user, actor });
    return view(user);
  }

  /**
   * Changes a user's role, password or `disabled`. A new password or disabling ends the user's
   * sessions. An admin cannot demote or disable themselves, so there is always an admin left.
   */
  async update(id: string, body: unknown, actor: SessionUser): Promise<UserView> {
    const user = await this.config.getUser(id);
    if (!user) throw new DomainError('not_found', `no user ${id}`);
    const patch = (body ?? {}) as { role?: unknown; password?: unknown; disabled?: unknown };
    const next = { ...user };
    if (patch.role !== undefined) next.role = role(patch.role);
    if (patch.disabled !== undefined) {
      if (typeof patch.disabled !== 'boolean') throw new DomainError('invalid_field', 'must be true or false', { field: 'disabled' });
      next.disabled = patch.disabled;
    }
    if (id === actor.id && (next.disabled || next.role !== 'admin'))
      throw new DomainError('conflict', 'you cannot disable yourself or take away your own admin role', {
        field: patch.disabled ? 'disabled' : 'role',
      });
    if (patch.password !== undefined) next.passwordHash = await hashPassword(password(patch.password));
    await this.config.putUser(next);
    if (next.disabled || patch.password !== undefined) await this.sessions.endAllOf(id);
    const action =
      patch.password !== undefined
        ? 'user.reset-password'
        : next.disabled !== user.disabled
          ? next.disabled
            ? 'user.disable'
            : 'user.enable'
          : 'user.role';
    await this.audit.record({ action, resourceType: 'user', resourceId: id, before: user, after: next, actor });
    return view(next);
  }

  /** The user a name and password log in as; undefined for a wrong pair or a disabled user. */
  async verify(name: unknown, secret: unknown): Promise<SessionUser | undefined> {
    if (typeof name !== 'string' || typeof secret !== 'string' || secret.length > MAX_PASSWORD) return undefined;
    const user = (await this.config.listUsers()).find((u) => u.name.toLowerCase() === name.toLowerCase());
    if (!user) {
      decoy ??= hashPassword(generatePassword());
      await checkPassword(secret, await decoy);
      return undefined;
    }
    const ok = await checkPassword(secret, user.passwordHash);
    return ok && !user.disabled ? { id: user.id, name: user.name, role: user.role } : undefined;
  }

  /** The user as they are now (role changes apply at once); undefined when gone or disabled. */
  async active(id: string): Promise<SessionUser | undefined> {
    const user = await this.config.getUser(id);
    return user && !user.disabled ? { id: user.id, name: user.name, role: user.role } : undefined;
  }
}
