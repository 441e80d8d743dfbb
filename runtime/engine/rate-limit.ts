/**
 * Per-integration request rate limits: a target that allows 5 requests a second gets at most 5
 * from all of its integration's flows together (deliveries and status checks alike). In this
 * process only: target-limits.ts puts it behind `TargetLimits` (store/coordination.ts), whose PostgreSQL
 * implementation holds across processes.
 */
import pThrottle from 'p-throttle';
import { rateWindow } from '../store/coordination.ts';

export class RateLimits {
  private readonly gates = new Map<string, { rate: number; gate: () => Promise<void> }>();

  /** Resolves when the integration may send its next request; at once when it has no limit. */
  async wait(integrationId: string, rate: number | undefined): Promise<void> {
    if (!rate || rate <= 0) return;
    let entry = this.gates.get(integrationId);
    if (!entry || entry.rate !== rate) {
      const { limit, intervalMs } = rateWindow(rate);
      entry = { rate, gate: pThrottle({ limit, interval: intervalMs, strict: true })(async () => {}) };
      this.gates.set(integrationId, entry);
    }
    await entry.gate();
  }
}
