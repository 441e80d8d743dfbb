/**
 * The PostgreSQL {@link TargetLimits} and {@link SharedTokens} on one pool, in the shape
 * `createRuntime` takes them, for a runtime started with `LEADFLOW_DATABASE_URL`.
 *
 * @example
 * const runtime = await createRuntime({ dataDir, ...pgCoordination(pool, secretKey, (err) => log.error({ err }, 'coordination')) });
 */
import type pg from 'pg';
import type { SharedTokens, TargetLimits } from '../coordination.ts';
import { tokenSeal, type SecretKey } from '../secret-box.ts';
import { PgSharedTokens } from './shared-tokens.ts';
import { PgTargetLimits } from './target-limits.ts';

export function pgCoordination(
  pool: pg.Pool,
  /** The integration secrets' key: the tokens are sealed with it. */
  key: SecretKey,
  /** Where a failed slot renewal is told. */
  onError?: (error: unknown) => void,
): { targetLimits: TargetLimits; sharedTokens: SharedTokens } {
  return { targetLimits: new PgTargetLimits(pool, { onError }), sharedTokens: new PgSharedTokens(pool, tokenSeal(key)) };
}
