/**
 * May this integration be switched on? One answer for the runtime (which refuses `enabled: true`
 * while there is a gap), the template service (what "new from template" still lacks) and the
 * editor's checklist (which shows the gaps the server computed).
 *
 * The types below are the contract; {@link integrationReadiness} is the one function that computes them.
 * It is pure and browser-safe: the caller loads the flows and offers and hands them in.
 */
import { FLOW_EVENTS, type FlowEvent, type Offer, type Parameters } from './domain/config.ts';
import type { FlowDoc } from './domain/flow.ts';
import { flowNeeds } from './flow/needs.ts';
import { migrateFlow } from './flow/format.ts';
import { validateFlow, type DescriptorLookup } from './flow/validate.ts';
import type { Missing, TemplateField } from './api.ts';

/**
 * What kind of thing is missing or wrong: a setting or secret, an offer parameter, a routed offer
 * that no longer exists (`offer`), the integration's choice of flows (`flow`: a flow named for an
 * event that does not exist or handles another event, or no flow at all), or a problem inside a
 * flow (`flow-problem`).
 */
export type ReadinessGapKind = 'setting' | 'secret' | 'offer-parameter' | 'offer' | 'flow' | 'flow-problem';

/**
 * One thing that keeps an integration from working. `field` says where to fix it:
 * `settings.base_url`, `secrets.api_key`, `offers.tea.parameters.crm_offer_id`, `offers[0]`,
 * `flows.lead.new`, `flows` (no flow at all), or, for a problem inside a flow, the flow and the
 * node's field (`flows.lead.new` with `nodeId` and `nodeField: params.url`).
 */
export interface ReadinessGap {
  kind: ReadinessGapKind;
  field: string;
  /** The setting, secret or offer parameter's name. */
  name?: string;
  /** For an offer parameter or a missing offer: the offer's id. */
  offer?: string;
  /** The event of the flow that needs it, or whose flow is missing or has the problem. */
  event?: FlowEvent;
  flowId?: string;
  /** For a flow problem: the node (absent when the problem is the flow's own, such as its edges)… */
  nodeId?: string;
  /** …and the field inside the node (`params.url`) or the flow (`edges[2].target`). */
  nodeField?: string;
  /** A sentence for an integrator, naming what to do. */
  message: string;
}

/** Every gap of an integration; `ready` when there is none. */
export interface Readiness {
  ready: boolean;
  gaps: ReadinessGap[];
}

/** The integration as readiness sees it: what is set, never a secret's value. */
export interface ReadinessSubject {
  settings: Record<string, string>;
  /** The names of the secrets that hold a value; the caller leaves out blank ones (it alone knows the values). */
  secrets: readonly string[];
  /** The ids of the offers routed to it, in order. */
  offers: readonly string[];
  /** Event → flow id. */
  flows: Partial<Record<FlowEvent, string>>;
}

/** What readiness reads besides the integration, loaded by the caller. */
export interface ReadinessSources {
  /** The current version of each flow the integration names, by flow id; undefined when the flow does not exist. */
  flows: Record<string, FlowDoc | undefined>;
  /** Each routed offer by id; undefined when the offer does not exist. */
  offers: Record<string, Pick<Offer, 'name' | 'parameters'> | undefined>;
  /** The node types, for validating the flows. */
  descriptors: DescriptorLookup;
  /** When the integration is being made from a template: the fields it declares, whose required ones count too. */
  template?: { settings: TemplateField[]; secrets: TemplateField[]; offerParameters: TemplateField[] };
}

/** A value counts as set only when it holds more than blanks, everywhere. */
export function isSet(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}

/**
 * Whether an offer has a parameter: under its own name, or geo-specific (`name-de`), with a value
 * that is not blank. A geo-specific value alone counts: the offer is set up for leads of that
 * country (see {@link offerParameters} in core/domain/config.ts), and readiness cannot know which
 * countries an offer's leads come from. A lead from a country without a value reads an empty one.
 */
export function hasOfferParameter(parameters: Parameters | undefined, name: string): boolean {
  return Object.entries(parameters ?? {}).some(([key, value]) => (key === name || key.startsWith(`${name}-`)) && isSet(value));
}

/** The events in their fixed order, each with the flow the integration names for it. */
function namedFlows(flows: Partial<Record<FlowEvent, string>>): [FlowEvent, string][] {
  return FLOW_EVENTS.filter((event) => flows[event]).map((event) => [event, flows[event] as string]);
}

/**
 * Every gap of an integration, in a stable order: settings, secrets, routed offers and their
 * parameters, the flows per event, then each problem inside each flow. Names within a kind are
 * sorted; offers keep their routing order; events follow {@link FLOW_EVENTS}.
 *
 * - A setting, secret or offer parameter counts when a flow names it (`{{integration.settings.x}}`,
 *   `{{secrets.x}}`, `{{offer.params.x}}`, see {@link flowNeeds}) or the template marks it required.
 *   An empty or blank value is not set. A name a flow uses counts even when the template calls it
 *   optional: the integration does not remember its template, and the switch must answer the same
 *   on its page as after "new from template".
 * - An offer parameter is asked of every routed offer; geo-specific values count (see {@link hasOfferParameter}).
 * - An integration is useful with a flow for any event (a postback-only target is one too); with
 *   none at all it has a single `flow` gap, "No flow handles any event yet."
 * - A flow's validation problems (see {@link validateFlow}) are gaps with the node and its field.
 */
export function integrationReadiness(integration: ReadinessSubject, sources: ReadinessSources): Readiness {
  const flows = namedFlows(integration.flows).map(([event, flowId]) => ({ event, flowId, doc: sources.flows[flowId] }));
  const present = flows.filter((f): f is typeof f & { doc: FlowDoc } => f.doc !== undefined && f.doc.event === f.event);
  // what a flow names is read off its current node versions, as it will run
  const current = (doc: FlowDoc): FlowDoc => {
    const migrated = migrateFlow(doc, sources.descriptors);
    return migrated.ok ? (migrated.doc as FlowDoc) : doc;
  };
  const needs = present.map((f) => ({ ...f, needs: flowNeeds(current(f.doc)) }));
  const flowWords = (f: { event: FlowEvent; doc: FlowDoc }) => `the ${f.event} flow “${f.doc.name}”`;
  const gaps: ReadinessGap[] = [];

  // settings and secrets: who names each one, flows first, then the template
  const named = (kind: 'settings' | 'secrets' | 'offerParameters', declared: TemplateField[], required: (f: TemplateField) => boolean) => {
    const users = new Map<string, (typeof needs)[number] | undefined>();
    for (const f of needs) for (const name of f.needs[kind]) if (!users.has(name)) users.set(name, f);
    for (const field of declared) if (required(field) && !users.has(field.name)) users.set(field.name, undefined);
    return [...users].sort(([a], [b]) => a.localeCompare(b));
  };
  const secrets = new Set(integration.secrets);
  for (const [name, user] of named('settings', sources.template?.settings ?? [], (f) => f.required === true)) {
    const value = integration.settings[name];
    if (isSet(value)) continue;
    const who = user ? `${capital(flowWords(user))} uses` : 'The template asks for';
    gaps.push({
      kind: 'setting',
      field: `settings.${name}`,
      name,
      ...(user && { event: user.event, flowId: user.flowId }),
      message: `${who} the setting “${name}”, which is ${value === undefined ? 'not set' : 'empty'} here. Fill it in under Settings.`,
    });
  }
  for (const [name, user] of named('secrets', sources.template?.secrets ?? [], (f) => f.required !== false)) {
    if (secrets.has(name)) continue;
    const who = user ? `${capital(flowWords(user))} uses` : 'The template asks for';
    gaps.push({
      kind: 'secret',
      field: `secrets.${name}`,
      name,
      ...(user && { event: user.event, flowId: user.flowId }),
      message: `${who} the secret “${name}”, which is not set here. Add it under Secrets.`,
    });
  }

  // offers and the parameters the flows (or the template) ask of each
  const parameters = named('offerParameters', sources.template?.offerParameters ?? [], (f) => f.required === true);
  integration.offers.forEach((offerId, i) => {
    const offer = sources.offers[offerId];
    if (!offer) {
      gaps.push({
        kind: 'offer',
        field: `offers[${i}]`,
        offer: offerId,
        message: `The offer “${offerId}” is routed here but does not exist any more. Untick it under Offers.`,
      });
      return;
    }
    for (const [name, user] of parameters) {
      if (hasOfferParameter(offer.parameters, name)) continue;
      const why = user ? `, which ${flowWords(user)} uses` : ', which the template asks for';
      gaps.push({
        kind: 'offer-parameter',
        field: `offers.${offerId}.parameters.${name}`,
        name,
        offer: offerId,
        ...(user && { event: user.event, flowId: user.flowId }),
        message: `The offer “${offer.name}” lacks the parameter “${name}”${why}. Add it to the offer (“${name}-de” sets it for leads from one country).`,
      });
    }
  });

  // the choice of flows
  if (flows.length === 0)
    gaps.push({ kind: 'flow', field: 'flows', message: 'No flow handles any event yet. Choose a flow for an event under Flows.' });
  for (const { event, flowId, doc } of flows) {
    if (!doc)
      gaps.push({
        kind: 'flow',
        field: `flows.${event}`,
        event,
        flowId,
        message: `The ${event} flow “${flowId}” does not exist any more. Choose another flow for ${event} under Flows.`,
      });
    else if (doc.event !== event)
      gaps.push({
        kind: 'flow',
        field: `flows.${event}`,
        event,
        flowId,
        message: `The flow “${doc.name}” handles ${doc.event}, not ${event}. Choose a ${event} flow under Flows.`,
      });
  }

  // what is wrong inside each flow
  for (const f of present) {
    const checked = validateFlow(f.doc, sources.descriptors);
    if (checked.ok) continue;
    for (const issue of checked.issues) {
      const where = issue.nodeId ? `node “${issue.nodeId}”, ${issue.field}` : issue.field;
      gaps.push({
        kind: 'flow-problem',
        field: `flows.${f.event}`,
        event: f.event,
        flowId: f.flowId,
        ...(issue.nodeId !== undefined && { nodeId: issue.nodeId }),
        nodeField: issue.field,
        message: `${capital(flowWords(f))} has a problem at ${where}: ${issue.message}. Open the flow and fix it.`,
      });
    }
  }
  return { ready: gaps.length === 0, gaps };
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * The settings, secrets and offer parameters among the gaps, as "new from template" has always
 * answered them (`missing`): derived from the gaps, never counted by a rule of its own.
 */
export function missingOf(readiness: Readiness): Missing {
  const missing: Missing = { settings: [], secrets: [], offerParameters: {} };
  for (const gap of readiness.gaps) {
    if (gap.kind === 'setting' && gap.name) missing.settings.push(gap.name);
    if (gap.kind === 'secret' && gap.name) missing.secrets.push(gap.name);
    if (gap.kind === 'offer-parameter' && gap.offer && gap.name) (missing.offerParameters[gap.offer] ??= []).push(gap.name);
  }
  return missing;
}
