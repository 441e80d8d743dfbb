/**
 * Routing an offer's new leads from the editor, the one way both screens do it (the offer's page and
 * an integration's offer list): an offer's new leads go to at most one integration, so routing them
 * elsewhere first says where they go now and moves them only when confirmed ("Slimming tea's new
 * leads go to Acme CRM now. Move them to Beta CRM?"). The clash is the kernel's (`newLeadClash`,
 * core/domain/routing.ts) on the integrations as loaded; a 409 the runtime answers anyway (the page
 * was stale, another user moved it) asks the same question from its `details`.
 */
import { useQueryClient } from '@tanstack/react-query';
import type { Offer } from '../../../core/domain/config.ts';
import { newLeadClash, type NewLeadHolder } from '../../../core/domain/routing.ts';
import { ApiError, type IntegrationView, type NewLeadClashDetails } from '../api/client.ts';
import { keys, useIntegrations } from '../api/queries.ts';
import { useSaveOffer, useUpdateIntegration } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';

/** Our own call centre, in words: where an offer's new leads stay when no integration takes them. */
export const CALL_CENTRE = 'our own call centre';

/** The name of who holds an offer's new leads. */
function holderName(holder: NewLeadHolder<IntegrationView> | NewLeadClashDetails['current']): string {
  if (holder.kind === 'network') return CALL_CENTRE;
  return 'integration' in holder ? holder.integration.name : holder.name;
}

/** The question asked before a move. */
export function moveQuestion(offerName: string, holder: string, to: string): string {
  return `${offerName}'s new leads go to ${holder} now. Move them to ${to}?`;
}

/** The clash a refusal names, when it is one. */
export function clashOf(error: unknown): NewLeadClashDetails | undefined {
  if (!(error instanceof ApiError) || error.status !== 409) return undefined;
  const details = error.details as Partial<NewLeadClashDetails> | undefined;
  return details?.current && details.offer ? (details as NewLeadClashDetails) : undefined;
}

/** Where to route an offer's new leads: an integration's id, our call centre (`null`), or nobody (`''`: no integration lists it). */
export type NewLeadTarget = string | null | '';

export function useNewLeadRouting() {
  const integrations = useIntegrations().data ?? [];
  const update = useUpdateIntegration();
  const saveOffer = useSaveOffer();
  const client = useQueryClient();

  /** Runs `write`, asking first when a clash is known; answers whether it was written. */
  const confirmed = async (
    write: (move: boolean) => Promise<unknown>,
    offer: Offer,
    to: string,
    known?: NewLeadHolder<IntegrationView>,
  ) => {
    if (known && !window.confirm(moveQuestion(offer.name, holderName(known), to))) return false;
    try {
      await write(!!known);
      return true;
    } catch (error) {
      const clash = clashOf(error);
      let failure = error;
      if (clash && !known) {
        if (!window.confirm(moveQuestion(offer.name, holderName(clash.current), to))) return false;
        try {
          await write(true);
          return true;
        } catch (again) {
          failure = again;
        }
      }
      notify('error', `Not saved: ${(failure as Error).message}`);
      return false;
    } finally {
      // a move changes the offer (its routes) and the integration it leaves
      void client.invalidateQueries({ queryKey: keys.offers });
      void client.invalidateQueries({ queryKey: keys.integrations });
    }
  };

  /** Ticks (or unticks) the offer in an integration's offers: its new leads go there. */
  const list = async (offer: Offer, integration: IntegrationView, on: boolean): Promise<boolean> => {
    const offers = on ? [...new Set([...integration.offers, offer.id])] : integration.offers.filter((o) => o !== offer.id);
    const holder = on ? newLeadClash(offer, integration.id, integrations) : undefined;
    const done = await confirmed(
      (move) => update.mutateAsync({ id: integration.id, patch: move ? { offers, move } : { offers } }),
      offer,
      integration.name,
      holder,
    );
    if (done)
      notify(
        'success',
        on
          ? `${offer.name}'s new leads go to ${integration.name}${holder ? `, no longer to ${holderName(holder)}` : ''}`
          : `${offer.name}: ${integration.name} gets no new leads of it`,
      );
    return done;
  };

  /** Routes the offer's new leads to an integration, our call centre, or nobody. */
  const routeTo = async (offer: Offer, to: NewLeadTarget): Promise<boolean> => {
    if (typeof to === 'string' && to !== '') {
      const integration = integrations.find((i) => i.id === to);
      return integration ? list(offer, integration, true) : false;
    }
    if (to === null) {
      const holder = newLeadClash(offer, null, integrations);
      const done = await confirmed(
        (move) => saveOffer.mutateAsync({ ...offer, routes: { ...offer.routes, new: null }, ...(move ? { move } : {}) }),
        offer,
        CALL_CENTRE,
        holder,
      );
      if (done) notify('success', `${offer.name}'s new leads stay with ${CALL_CENTRE}: they are sent nowhere`);
      return done;
    }
    // nobody: every integration listing it stops, and the offer names none
    try {
      for (const integration of integrations.filter((i) => i.offers.includes(offer.id)))
        await update.mutateAsync({ id: integration.id, patch: { offers: integration.offers.filter((o) => o !== offer.id) } });
      if (offer.routes?.new !== undefined) {
        const { new: _named, ...rest } = offer.routes;
        await saveOffer.mutateAsync({ ...offer, routes: rest });
      }
      notify('success', `${offer.name}'s new leads go to no integration`);
      return true;
    } catch (error) {
      notify('error', `Not saved: ${(error as Error).message}`);
      return false;
    } finally {
      void client.invalidateQueries({ queryKey: keys.offers });
    }
  };

  return { integrations, list, routeTo, pending: update.isPending || saveOffer.isPending };
}
