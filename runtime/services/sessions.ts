/**
 * Logged-in sessions, kept server-side in the configuration store so they survive a restart. The
 * cookie carries only a random 256-bit id; the store keeps its SHA-256 and an expiry, so the file
 * does not hold anything a browser could present.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SessionUser } from '../../core/domain/user.ts';
import type { ConfigStore } from '../store/types.ts';
import type { SessionEnder, UserService } from './users.ts';

/** How long a session lasts from login. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');

export class SessionService implements SessionEnder {
  private users: UserService | undefined;

  constructor(
    private readonly config: ConfigStore,
    private readonly ttlMs = SESSION_TTL_MS,
  ) {}

  /** The user service sessions resolve users with (the two need each other). */
  bind(users: UserService): void {
    this.users = users;
  }

  /** Starts a session: answers the id for the cookie and when it ends. */
  async start(user: SessionUser): Promise<{ id: string; expiresAt: string }> {
    const id = randomBytes(32).toString('base64url');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    // expired sessions go whenever a new one starts, so the list stays bounded by live ones
    await this.config.deleteSessions({ expiredBefore: now.toISOString() });
    await this.config.putSession({ idHash: hashOf(id), userId: user.id, createdAt: now.toISOString(), expiresAt });
    return { id, expiresAt };
  }

  /** The user of a live session, as they are now; undefined for an unknown, expired or disabled one. */
  async resolve(id: string | undefined): Promise<{ user: SessionUser; expiresAt: string } | undefined> {
    if (!id || id.length > 100) return undefined;
    const session = await this.config.getSession(hashOf(id));
    if (!session || session.expiresAt <= new Date().toISOString()) return undefined;
    const user = await this.users?.active(session.userId);
    return user && { user, expiresAt: session.expiresAt };
  }

  async end(id: string | undefined): Promise<void> {
    if (id) await this.config.deleteSession(hashOf(id));
  }

  async endAllOf(userId: string): Promise<void> {
    await this.config.deleteSessions({ userId });
  }
}
