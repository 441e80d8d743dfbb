/**
 * Moving an offer's new leads from the integration that holds them to another, for the two writes
 * that route them (an integration ticking the offer, the offer naming one in `routes.new`): the
 * 409 a request without `move: true` gets, and the audit entry of a confirmed move. The rule
 * itself is the kernel's (`newLeadClash`, `moveNewLeads` in core/domain/routing.ts).
 */
import type { Offer } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { holderInWords, type NewLeadHolder, type RoutedIntegration } from '../../core/domain/routing.ts';
import type { AuditRecorder } from './audit.ts';
import type { NewLeadClashDetails } from '../../core/api.ts';

/** 409 `conflict` on `field` with {@link NewLeadClashDetails}: the offer's new leads go to `holder` now; `move: true` moves them. */
export function clashRefusal(
  offer: Pick<Offer, 'id' | 'name'>,
  holder: NewLeadHolder<RoutedIntegration>,
  to: string | null,
  field: string,
) {
  const details: NewLeadClashDetails = {
    offer: { id: offer.id, name: offer.name },
    current:
      holder.kind === 'network' ? { kind: 'network' } : { kind: 'integration', id: holder.integration.id, name: holder.integration.name },
    to,
  };
  return new DomainError(
    'conflict',
    `offer "${offer.id}" (${offer.name}): its new leads go to ${holderInWords(holder)} now; send "move": true to move them ${to === null ? 'to our own call centre' : `to "${to}"`}`,
    { field, details },
  );
}

/** The audit entry of a confirmed move: the offer, from whom to whom. */
export function recordMove(
  audit: AuditRecorder,
  offer: Pick<Offer, 'id'>,
  holder: NewLeadHolder<RoutedIntegration>,
  to: string | null,
): Promise<void> {
  const from = holder.kind === 'network' ? null : holder.integration.id;
  return audit.record({
    action: 'offer.move-new-leads',
    resourceType: 'offer',
    resourceId: offer.id,
    before: { newLeads: from },
    after: { newLeads: to },
    note: `new leads moved from ${from ?? 'our own call centre'} to ${to ?? 'our own call centre'}`,
  });
}
