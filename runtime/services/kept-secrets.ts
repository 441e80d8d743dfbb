/**
 * The runtime's side of {@link SecretKeeper}: what Auth Token renews at the target (a rotated
 * refresh token) is stored in the integration's encrypted secrets, one renewal at a time.
 *
 * Why this order keeps every rotation (a single-use refresh token R1 the target swaps for R2):
 * 1. one renewal per integration and secret: within the process the renewals queue behind each
 *    other (a single flight); across processes on one data folder a lease file (store/file-lease.ts)
 *    admits one — so R1 is never sent twice, which a single-use server would refuse;
 * 2. inside, the stored value is read again (the run's `{{secrets.x}}` may predate the last
 *    renewal) and handed to the renewal, which spends it;
 * 3. R2 is written (sealed, synced to disk) before the renewal's result — the access token — is
 *    given back, so nothing goes on with R2 unsaved. Between the target's answer and the write a
 *    crash can still lose R2 (no client can close that window alone); once `renew` resolved, no crash can;
 * 4. a write that fails keeps R2 in memory as the current value: the next renewal in this process
 *    writes it before anything else and renews with it, and this one fails retryably
 *    ({@link SecretNotStored}), so the lead is delivered later, not lost with the token.
 *
 * Each stored renewal is audited as a system change (`integration.secret-renew`) naming the secret,
 * never its value.
 *
 * With a PostgreSQL backend the lease is a session advisory lock on the integration and secret
 * (`pg_advisory_lock(hashtext(key))`, freed when the holder's connection drops, so a dead process
 * frees it at once) and `setIntegrationSecret` one `UPDATE … SET secrets = jsonb_set(…)` committed
 * before `renew` resolves; the other processes read the stored value inside their own turn, so the
 * in-memory cache of one process never hands out another's spent token.
 */
import { SecretNotStored, type SecretKeeper } from '../../core/node/contract.ts';
import type { ConfigStore } from '../store/types.ts';
import type { Leases } from '../store/file-lease.ts';
import type { AuditRecorder } from './audit.ts';

/**
 * How long a live process may hold the renewal lease before another takes it: above Auth Token's
 * longest login timeout (120 s). A holder that died frees it at once (store/file-lease.ts).
 */
const LEASE_MS = 150_000;

export class KeptSecrets {
  /** The tail of each integration's and secret's renewals, so they run one after another. */
  private readonly flights = new Map<string, Promise<unknown>>();
  /** Values renewed but not stored yet (the write failed), by integration and secret. */
  private readonly unsaved = new Map<string, string>();

  constructor(
    private readonly config: Pick<ConfigStore, 'getIntegration' | 'setIntegrationSecret'>,
    private readonly leases: Leases,
    private readonly audit: AuditRecorder,
  ) {}

  /** The keeper a run of integration `integrationId` gets as `context.secrets`. */
  forIntegration(integrationId: string): SecretKeeper {
    return { renew: (name, renewal) => this.renew(integrationId, name, renewal) };
  }

  private renew<T>(
    integrationId: string,
    name: string,
    renewal: (current: string | undefined) => Promise<{ keep?: string; result: T }>,
  ): Promise<T> {
    const key = `${integrationId}\u0000${name}`;
    const previous = this.flights.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.renewAlone(integrationId, name, key, renewal));
    const tail = run.catch(() => undefined);
    this.flights.set(key, tail);
    void tail.then(() => {
      if (this.flights.get(key) === tail) this.flights.delete(key);
    });
    return run;
  }

  private async renewAlone<T>(
    integrationId: string,
    name: string,
    key: string,
    renewal: (current: string | undefined) => Promise<{ keep?: string; result: T }>,
  ): Promise<T> {
    const release = await this.leases.acquire(`secret:${key}`, LEASE_MS);
    try {
      const pending = this.unsaved.get(key);
      if (pending !== undefined) await this.store(integrationId, name, key, pending);
      const current = pending ?? (await this.config.getIntegration(integrationId))?.secrets[name];
      const { keep, result } = await renewal(current);
      if (keep !== undefined && keep !== current) await this.store(integrationId, name, key, keep);
      return result;
    } finally {
      await release();
    }
  }

  private async store(integrationId: string, name: string, key: string, value: string): Promise<void> {
    try {
      const stored = await this.config.setIntegrationSecret(integrationId, name, value);
      if (!stored) throw new Error(`integration "${integrationId}" is gone`);
    } catch (error) {
      this.unsaved.set(key, value);
      throw new SecretNotStored(
        `the renewed secret "${name}" could not be stored (${(error as Error).message}); kept in memory until it is`,
      );
    }
    this.unsaved.delete(key);
    await this.audit.record({
      action: 'integration.secret-renew',
      resourceType: 'integration',
      resourceId: integrationId,
      // the runtime's own change (the target renewed it): no actor, whoever's request ran the flow
      note: `secret "${name}" renewed by the target and stored`,
    });
  }
}
