/**
 * Moving an offer's new leads from the integration that holds them to another, for the two writes
 * that route them (an integration ticking the offer, the offer naming one in `routes.new`): the
 * 409 a request without `move: true` gets, and the audit entry of a confirmed move. The rule
 * itself is the kernel's (`newLeadClash`, `moveNewLeads` in core/domain/routing.ts).
 */
import type { Integration, Offer } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import {
  holderInWords,
  moveNewLeads,
  newLeadClash,
  routingProblems,
  type NewLeadHolder,
  type RoutedIntegration,
} from '../../core/domain/routing.ts';
import type { ConfigStore } from '../store/types.ts';
import type { AuditRecorder } from './audit.ts';
import type { NewLeadClashDetails } from '../../core/api.ts';
import type { SessionUser } from '../../core/domain/user.ts';

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
  actor?: SessionUser,
): Promise<void> {
  const from = holder.kind === 'network' ? null : holder.integration.id;
  return audit.record({
    action: 'offer.move-new-leads',
    resourceType: 'offer',
    resourceId: offer.id,
    before: { newLeads: from },
    after: { newLeads: to },
    note: `new leads moved from ${from ?? 'our own call centre'} to ${to ?? 'our own call centre'}`,
    actor,
  });
}

/** What an integration's write moves: each offer with its holder before, and the lists other integrations get. */
export interface ListedOfferMoves {
  moves: { offer: Offer; holder: NewLeadHolder<Integration> }[];
  unlisted: Record<string, string[]>;
}

/**
 * The offers an integration's write (`next`, stored as `current`) lists, checked against who holds
 * their new leads: while it takes them (switched on), or is given them with `move`, an offer
 * another holds is refused (409 on `offers[i]`) or, with `move`, moved — the offer's routes and
 * the lists of the integrations it leaves, for the caller to write at once with `next`.
 * @throws DomainError `invalid_field` on `offers[i]` for an offer that does not exist or still clashes.
 */
export async function listedOfferMoves(
  config: Pick<ConfigStore, 'getOffer' | 'listIntegrations'>,
  current: Integration,
  next: Integration,
  options: { creating: boolean; move: boolean },
): Promise<ListedOfferMoves> {
  let others = (await config.listIntegrations()).filter((i) => i.id !== next.id);
  const result: ListedOfferMoves = { moves: [], unlisted: {} };
  for (const [i, offerId] of next.offers.entries()) {
    let offer = await config.getOffer(offerId);
    if (!offer) throw new DomainError('invalid_field', `no offer "${offerId}"`, { field: `offers[${i}]` });
    const added = options.creating || !current.offers.includes(offerId);
    const holder = next.enabled || (options.move && added) ? newLeadClash(offer, next.id, [...others, next]) : undefined;
    if (holder && !options.move) throw clashRefusal(offer, holder, next.id, `offers[${i}]`);
    if (holder) {
      const move = moveNewLeads(offer, next.id, others);
      Object.assign(result.unlisted, move.unlisted);
      others = others.map((o) => (move.unlisted[o.id] ? { ...o, offers: move.unlisted[o.id] } : o));
      offer = { ...offer, routes: move.routes };
      result.moves.push({ offer, holder });
    }
    const clash = routingProblems(offer, [...others, next]).find((problem) => problem.field === 'routes.new');
    if (clash) throw new DomainError('invalid_field', `offer "${offerId}": ${clash.message}`, { field: `offers[${i}]` });
  }
  return result;
}
