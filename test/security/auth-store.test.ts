/**
 * The configuration store's users and sessions: copies in and out, sessions by the hash of their
 * id, ended one at a time, by user or by expiry, and kept across a reopen of the file.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLowdbConfigStore } from '../../runtime/store/lowdb.ts';
import type { StoredSession, StoredUser } from '../../runtime/store/types.ts';
import { checkPassword, hashPassword } from '../../runtime/services/users.ts';

const dirs: string[] = [];
const fresh = () => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'leadflow-auth-store-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const user = (id: string): StoredUser => ({
  id,
  name: `user-${id}`,
  role: 'viewer',
  passwordHash: 'scrypt$…',
  disabled: false,
  createdAt: '2026-12-01T00:00:00.000Z',
});
const session = (idHash: string, userId: string, expiresAt: string): StoredSession => ({
  idHash,
  userId,
  createdAt: '2026-12-01T00:00:00.000Z',
  expiresAt,
});

describe('users and sessions in the configuration store', () => {
  it('keeps users, replacing one by id, and answers copies', async () => {
    const store = await openLowdbConfigStore(fresh());
    await store.putUser(user('u1'));
    await store.putUser({ ...user('u1'), role: 'admin' });
    const got = await store.getUser('u1');
    expect(got?.role).toBe('admin');
    got!.role = 'viewer';
    expect((await store.getUser('u1'))?.role).toBe('admin');
    expect(await store.listUsers()).toHaveLength(1);
  });

  it('ends sessions one by one, by user, and the expired ones, and keeps them across a reopen', async () => {
    const dir = fresh();
    const store = await openLowdbConfigStore(dir);
    await store.putSession(session('a', 'u1', '2030-01-01T00:00:00.000Z'));
    await store.putSession(session('b', 'u1', '2030-01-01T00:00:00.000Z'));
    await store.putSession(session('c', 'u2', '2020-01-01T00:00:00.000Z'));
    await store.putSession(session('d', 'u2', '2030-01-01T00:00:00.000Z'));
    expect(await store.deleteSession('a')).toBe(true);
    expect(await store.deleteSession('a')).toBe(false);
    expect(await store.deleteSessions({ expiredBefore: '2026-01-01T00:00:00.000Z' })).toBe(1);
    expect(await store.deleteSessions({ userId: 'u1' })).toBe(1);
    const reopened = await openLowdbConfigStore(dir);
    expect(await reopened.getSession('d')).toMatchObject({ userId: 'u2' });
    expect(await reopened.getSession('b')).toBeUndefined();
  });
});

describe('password hashes', () => {
  it('are salted scrypt: the same password hashes differently, and only it checks', async () => {
    const one = await hashPassword('correct horse battery');
    const two = await hashPassword('correct horse battery');
    expect(one).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(one).not.toBe(two);
    expect(await checkPassword('correct horse battery', one)).toBe(true);
    expect(await checkPassword('correct horse batterY', one)).toBe(false);
    expect(await checkPassword('anything', 'not-a-hash')).toBe(false);
  });
});
