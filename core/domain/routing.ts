/**
 * Routing per event: which integration handles an offer's leads for each event. Pure functions
 * over the configuration, so the runtime (intake, stage changes, saving offers and integrations)
 * and the editor (the offer's and the integration's pages) apply one rule.
 *
 * Where it is kept: an offer's `routes` ({@link OfferRoutes}) names, per event, the integration
 * that takes it — `lead.new` (at most one, or none when the network processes the leads itself)
 * and "a lead reached stage S" (the stage delivery, run as that integration's `lead.approved`
 * flow), which may be another integration than the one that got the lead as new. An integration's
 * own `offers` list still routes `lead.new` (the way before routes), so an offer that says nothing
 * is routed as it always was; the two must agree (see {@link routingProblems}).
 */
import type { Integration, Offer } from './config.ts';
import type { Stage } from './lead.ts';

/** The stages a lead may be handed on at: every stage a lead can reach after `new`. */
export const ROUTABLE_STAGES: readonly Stage[] = ['wait', 'hold', 'approve', 'cancel', 'trash'];

/**
 * "When a lead of this offer reaches `stage`, integration `integration` gets it": queued once as
 * that integration's `lead.approved` delivery, from whatever moved the lead (a postback, a status
 * check, a change by hand). Reaching means moving into the stage: a lead that skips it is not sent.
 * @example { stage: 'approve', integration: 'fulfil' }
 */
export interface StageRoute {
  stage: Stage;
  integration: string;
}

/**
 * An offer's routes.
 * @example { new: null, stages: [{ stage: 'approve', integration: 'fulfil' }] } // own call centre, approved orders to a fulfilment CRM
 */
export interface OfferRoutes {
  /**
   * The integration that takes its new leads (`lead.new` or `lead.register`). Unset: the enabled
   * integration whose `offers` lists the offer. `null`: none — the network processes the leads
   * itself (its call centre); they are stored, nothing is sent, and staff move them by hand.
   */
  new?: string | null;
  /**
   * Who gets a lead when it reaches a stage. Unset: the lead's own integration on `approve`, when
   * it has a `lead.approved` flow (the rule before routes). Set (even empty): exactly these.
   */
  stages?: StageRoute[];
}

/** What routing reads of an integration (the API's view of one has it too). */
export type RoutedIntegration = Pick<Integration, 'id' | 'name' | 'enabled' | 'offers' | 'flows'>;

/** Where an offer's new leads go: to one integration, to none by choice (`network`), or nowhere yet (`unrouted`). */
export type NewLeadRoute<I extends RoutedIntegration = Integration> =
  { kind: 'integration'; integration: I } | { kind: 'network' } | { kind: 'unrouted'; reason: string };

/**
 * The integration that takes an offer's new leads, by {@link OfferRoutes.new}, or else the first
 * enabled integration whose `offers` lists it.
 */
export function newLeadRoute<I extends RoutedIntegration>(offer: Offer, integrations: readonly I[]): NewLeadRoute<I> {
  const named = offer.routes?.new;
  if (named === null) return { kind: 'network' };
  if (named !== undefined) {
    const integration = integrations.find((i) => i.id === named);
    if (!integration) return { kind: 'unrouted', reason: `offer "${offer.id}" routes new leads to "${named}", which does not exist` };
    if (!integration.enabled) return { kind: 'unrouted', reason: `integration "${named}" is switched off` };
    return { kind: 'integration', integration };
  }
  const listing = integrations.find((i) => i.enabled && i.offers.includes(offer.id));
  return listing
    ? { kind: 'integration', integration: listing }
    : { kind: 'unrouted', reason: `no enabled integration takes offer "${offer.id}"` };
}

/**
 * The integrations a lead is handed to when it moves into `stage`: the offer's stage routes, or,
 * when it sets none, its own integration on `approve` if that has a `lead.approved` flow. Only
 * integrations that exist and have a `lead.approved` flow are answered (an integration switched
 * off still gets the job: its deliveries wait until it is on again).
 */
export function stageIntegrations<I extends RoutedIntegration>(
  offer: Offer | undefined,
  lead: { integration: string },
  stage: Stage,
  integrations: readonly I[],
): I[] {
  const ids = offer?.routes?.stages
    ? offer.routes.stages.filter((route) => route.stage === stage).map((route) => route.integration)
    : stage === 'approve' && lead.integration
      ? [lead.integration]
      : [];
  const found: I[] = [];
  for (const id of new Set(ids)) {
    const integration = integrations.find((i) => i.id === id);
    if (integration?.flows['lead.approved']) found.push(integration);
  }
  return found;
}

/**
 * The key of a stage delivery: one per lead, integration and stage, so a repeated status (a
 * postback sent twice, a status check and a postback saying the same) never queues it twice.
 */
export function stageJobKey(leadId: number, integrationId: string, stage: Stage): string {
  return `stage:${leadId}:${integrationId}:${stage}`;
}

/** One thing wrong with the routes, naming the field of the offer (or integration) it concerns. */
export interface RoutingProblem {
  field: string;
  message: string;
}

/**
 * What is wrong with an offer's routes against the integrations: a route naming an integration
 * that does not exist, a stage route whose integration has no `lead.approved` flow, a stage named
 * twice for one integration, and more than one integration taking the offer's new leads (its
 * `routes.new` and an integration's `offers` naming another, or `new: null` while one lists it).
 * An offer that sets no `routes.new` keeps the rule before routes: several integrations may list
 * it and the first enabled one takes its leads (set `routes.new` to make the choice explicit).
 * Only enabled integrations count as taking new leads. `integrations` are every integration, with
 * the one being saved as it will be.
 */
export function routingProblems(offer: Offer, integrations: readonly RoutedIntegration[]): RoutingProblem[] {
  const problems: RoutingProblem[] = [];
  const named = offer.routes?.new;
  // an integration switched off takes nothing: it is checked again when it is switched on
  const listing = integrations.filter((i) => i.enabled && i.offers.includes(offer.id));
  if (typeof named === 'string' && !integrations.some((i) => i.id === named))
    problems.push({ field: 'routes.new', message: `no integration "${named}"` });
  if (named === null && listing.length)
    problems.push({
      field: 'routes.new',
      message: `none is chosen, but integration "${listing[0].id}" takes the offer's new leads (its offers list it)`,
    });
  // unnamed, the offer's new leads go to the one enabled integration listing it: two would leave the
  // second one's integrator believing it gets leads that go to the first
  if (named === undefined && listing.length > 1)
    problems.push({
      field: 'routes.new',
      message: `integrations ${listing.map((i) => `"${i.id}"`).join(' and ')} both take the offer's new leads (their offers list it): untick it in one, or name one in the offer's routes`,
    });
  if (typeof named === 'string') {
    const other = listing.find((i) => i.id !== named);
    if (other)
      problems.push({
        field: 'routes.new',
        message: `"${named}" is chosen, but integration "${other.id}" also takes the offer's new leads (its offers list it)`,
      });
  }
  const seen = new Set<string>();
  for (const [i, route] of (offer.routes?.stages ?? []).entries()) {
    const integration = integrations.find((candidate) => candidate.id === route.integration);
    const field = `routes.stages[${i}].integration`;
    if (!integration) problems.push({ field, message: `no integration "${route.integration}"` });
    else if (!integration.flows['lead.approved'])
      problems.push({ field, message: `integration "${route.integration}" has no lead.approved flow to send the lead with` });
    const pair = `${route.stage}\u0000${route.integration}`;
    if (seen.has(pair)) problems.push({ field, message: `"${route.integration}" is named twice for stage ${route.stage}` });
    seen.add(pair);
  }
  return problems;
}

/** What an integration takes, seen from its side: the offers whose new leads it gets, and per stage the offers whose leads it gets then. */
export interface IntegrationRoutes {
  new: string[];
  stages: { stage: Stage; offers: string[] }[];
}

/** An integration's routes, read from every offer's (the integration's page shows them). */
export function integrationRoutes(integration: RoutedIntegration, offers: readonly Offer[]): IntegrationRoutes {
  const takesNew = offers
    .filter((offer) => (offer.routes?.new === undefined ? integration.offers.includes(offer.id) : offer.routes.new === integration.id))
    .map((offer) => offer.id);
  const byStage = new Map<Stage, string[]>();
  for (const offer of offers) {
    const stages = offer.routes?.stages
      ? offer.routes.stages.filter((route) => route.integration === integration.id).map((route) => route.stage)
      : integration.offers.includes(offer.id) && integration.flows['lead.approved']
        ? (['approve'] as Stage[])
        : [];
    for (const stage of new Set(stages)) byStage.set(stage, [...(byStage.get(stage) ?? []), offer.id]);
  }
  return { new: takesNew, stages: ROUTABLE_STAGES.filter((s) => byStage.has(s)).map((stage) => ({ stage, offers: byStage.get(stage)! })) };
}

/**
 * An integration a lead was handed to at a stage, other than its own (the one that got it as new),
 * and the lead's external id there once that integration gave one. The first target's id stays
 * the lead's `eid`; a lead has at most one handoff per integration.
 * @example { integration: 'fulfil', eid: 'FO-1001', at: '2026-12-01T12:00:00.000Z' }
 */
export interface LeadHandoff {
  integration: string;
  eid?: string;
  at: string;
}

/**
 * The offers whose routes name the integration (for its new leads or at a stage): it may not be
 * deleted while any does, or the leads routed to it would silently go nowhere.
 * @example offersRoutedTo([{ id: 'tea', routes: { stages: [{ stage: 'approve', integration: 'fulfil' }] } }], 'fulfil') // ['tea']
 */
export function offersRoutedTo(offers: readonly Pick<Offer, 'id' | 'routes'>[], integrationId: string): string[] {
  return offers
    .filter(({ routes }) => routes?.new === integrationId || (routes?.stages ?? []).some((route) => route.integration === integrationId))
    .map(({ id }) => id);
}

/**
 * Who holds an offer's new leads against a newcomer: our own call centre, or an integration.
 * A request routing them elsewhere names it in its 409 (see {@link newLeadClash}).
 */
export type NewLeadHolder<I extends RoutedIntegration = Integration> = { kind: 'integration'; integration: I } | { kind: 'network' };

/**
 * The move rule: an offer's new leads go to at most one integration, so routing them to `to` (an
 * integration ticking the offer, or the offer naming it in `routes.new`) while someone else holds
 * them is a clash the request must confirm (`move: true`) instead of a silent second route
 * (`to` null: to our own call centre, the offer's `routes.new: null`). The
 * holder is our own call centre when `routes.new` is `null`, the integration `routes.new` names
 * (switched on or off: the choice is explicit), or an enabled integration listing the offer (one
 * switched off takes nothing). Undefined: nobody else holds them, `to` may take them.
 * @example newLeadClash(tea, 'beta', [acme, beta]) // { kind: 'integration', integration: acme } while acme lists tea
 */
export function newLeadClash<I extends RoutedIntegration>(
  offer: Pick<Offer, 'id' | 'routes'>,
  to: string | null,
  integrations: readonly I[],
): NewLeadHolder<I> | undefined {
  const named = offer.routes?.new;
  if (named === null && to !== null) return { kind: 'network' };
  if (typeof named === 'string' && named !== to) {
    const integration = integrations.find((i) => i.id === named);
    if (integration) return { kind: 'integration', integration };
  }
  const listing = integrations.find((i) => i.id !== to && i.enabled && i.offers.includes(offer.id));
  return listing ? { kind: 'integration', integration: listing } : undefined;
}

/** What a confirmed move writes, at once: the offer (its `routes.new`), and the integrations whose `offers` lists change. */
export interface NewLeadMove {
  /** The offer's routes after the move; the same object when they do not change. */
  routes: OfferRoutes | undefined;
  /** Integration id → its `offers` without the moved offer, for each other integration that listed it. */
  unlisted: Record<string, string[]>;
}

/**
 * Moves an offer's new leads to integration `to` (null: our own call centre): every other integration listing the offer stops
 * (switched off or on, so it does not take them back when switched on), and an offer that names
 * its integration (or our call centre) names `to`. An offer naming none keeps naming none: `to`'s
 * own list routes it.
 * @example moveNewLeads(tea, 'beta', [acme, beta]) // { routes: undefined, unlisted: { acme: [] } }
 */
export function moveNewLeads(
  offer: Pick<Offer, 'id' | 'routes'>,
  to: string | null,
  integrations: readonly RoutedIntegration[],
): NewLeadMove {
  const unlisted: Record<string, string[]> = {};
  for (const integration of integrations)
    if (integration.id !== to && integration.offers.includes(offer.id))
      unlisted[integration.id] = integration.offers.filter((id) => id !== offer.id);
  const routes = offer.routes?.new === undefined || offer.routes.new === to ? offer.routes : { ...offer.routes, new: to };
  return { routes, unlisted };
}

/** The holder in words, for a 409's message: `integration "acme" (Acme CRM)` or `our own call centre`. */
export function holderInWords(holder: NewLeadHolder<RoutedIntegration>): string {
  return holder.kind === 'network' ? 'our own call centre' : `integration "${holder.integration.id}" (${holder.integration.name})`;
}
