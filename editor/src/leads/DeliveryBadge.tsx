/**
 * A lead's delivery state (core/domain/delivery.ts) as a coloured badge: red failed (given up, the
 * lead stays new until resent), amber retrying, grey queued, green delivered.
 */
import type { DeliveryState } from '../../../core/domain/delivery.ts';

export const DELIVERY_HELP: Record<DeliveryState, string> = {
  queued: 'waiting for its first attempt (or held while the integration is off or paused)',
  retrying: 'an attempt failed for a temporary reason; another one is due',
  failed: 'given up: out of attempts or time, or a failure no retry can change; the lead stays new until it is resent',
  delivered: 'the target gave its answer',
};

const TONE: Record<DeliveryState, string> = { queued: 'off', retrying: 'warn', failed: 'error', delivered: 'ok' };

export function DeliveryBadge({ state, title }: { state: DeliveryState; title?: string }) {
  return (
    <span className={`lf-pill lf-pill--${TONE[state]}`} title={title ?? DELIVERY_HELP[state]} data-delivery={state}>
      {state === 'failed' ? 'delivery failed' : state}
    </span>
  );
}
