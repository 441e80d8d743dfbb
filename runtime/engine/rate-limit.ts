/**
 * Per-integration request rate limits: a target that allows 5 requests a second gets at most 5
 * from all of its integration's flows together (deliveries and status checks alike).
 */
import pThrottle from 'p-throttle';

export class RateLimits {
  private readonly gates = new Map<string, { rate: number; gate: () => Promise<void> }>();

  /** Resolves when the integration may send its next request; at once when it has no limit. */
  async wait(integrationId: string, rate: number | undefined): Promise<void> {
    if (!rate || rate <= 0) return;
    let entry = this.gates.get(integrationId);
    if (!entry || entry.rate !== rate) {
      // whole requests per window: 0.5/s is 1 per 2 s, 20/s is 20 per second
      const limit = Math.max(1, Math.round(rate));
      entry = { rate, gate: pThrottle({ limit, interval: Math.round((1000 * limit) / rate), strict: true })(async () => {}) };
      this.gates.set(integrationId, entry);
    }
    await entry.gate();
  }
}
