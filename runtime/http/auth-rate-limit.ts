/**
 * A small, bounded, in-memory limiter of failed logins, per account and per address. Written here
 * because no rate-limiting library is installed (rate-limiter-flexible is not) and the project
 * adds no dependencies; it lives in one process's memory, which is what one embedded runtime
 * needs (several instances behind PostgreSQL would keep the counts there).
 *
 * A key (an account name, an address) is refused once it has `limit` failures inside `windowMs`;
 * the map holds at most `maxKeys` keys, dropping the oldest first, so a flood of names cannot grow it.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until the key may try again; 0 when it may now. */
  retryAfter(key: string, now = Date.now()): number {
    const times = this.recent(key, now);
    return times.length < this.limit ? 0 : times[0] + this.windowMs - now;
  }

  fail(key: string, now = Date.now()): void {
    const times = this.recent(key, now);
    times.push(now);
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** A success forgets the key's failures. */
  clear(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const times = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length === 0) this.failures.delete(key);
    return times;
  }
}
