/**
 * Failed logins, limited per account and per address with rate-limiter-flexible's in-memory
 * limiter: one process's memory is what one embedded runtime needs (several instances behind
 * PostgreSQL would move the counts there, e.g. to its `RateLimiterPostgres`).
 *
 * Only failures count: an account or address is refused once it has `perAccount` / `perAddress`
 * failures in the current window of `windowMs`, and while refused it counts no further. A success
 * forgets the account's failures (not the address's, so one good password cannot launder a
 * guessing run from that address). Each key expires with its window, so memory is bounded by the
 * failures of one window, and an address can add at most `perAddress` account keys to it.
 */
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  /** Failed logins of one account before it must wait (default 5 in 15 minutes). */
  perAccount: number;
  /** Failed logins from one address before it must wait (default 20 in 15 minutes). */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAccount: 5, perAddress: 20, windowMs: 15 * 60 * 1000 };

/** The two limiters a login consults: the account it names, the address it comes from. */
export class LoginLimiter {
  private readonly accounts: RateLimiterMemory;
  private readonly addresses: RateLimiterMemory;

  constructor(limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    const duration = limits.windowMs / 1000;
    this.accounts = new RateLimiterMemory({ keyPrefix: 'login-account', points: limits.perAccount, duration });
    this.addresses = new RateLimiterMemory({ keyPrefix: 'login-address', points: limits.perAddress, duration });
  }

  /** Milliseconds until this account, from this address, may try again; 0 when it may now. */
  async retryAfter(account: string, address: string): Promise<number> {
    const [byAccount, byAddress] = await Promise.all([this.accounts.get(account), this.addresses.get(address)]);
    return Math.max(waitOf(byAccount, this.accounts.points), waitOf(byAddress, this.addresses.points));
  }

  /** Counts a failed login against both keys. */
  async failed(account: string, address: string): Promise<void> {
    // consume rejects (with the limiter's answer) once a key goes over its points; the failure
    // is counted all the same, and whether the next attempt waits is retryAfter's question
    await Promise.all([this.accounts.consume(account).catch(overLimit), this.addresses.consume(address).catch(overLimit)]);
  }

  /** A success forgets the account's failures. */
  async succeeded(account: string): Promise<void> {
    await this.accounts.delete(account);
  }
}

function waitOf(res: RateLimiterRes | null, points: number): number {
  return res && res.consumedPoints >= points ? Math.max(res.msBeforeNext, 1) : 0;
}

/** A store error is thrown as an Error; going over the limit rejects with a RateLimiterRes. */
function overLimit(reason: unknown): void {
  if (reason instanceof Error) throw reason;
}
