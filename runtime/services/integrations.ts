/**
 * Integrations as the management API sees them: checked on write, secrets write-only. An answer
 * carries each secret's name with `"set": true`, never its value, and the integration's readiness
 * (every gap that keeps it from working, core/readiness.ts); a write may set a secret, keep it
 * (leave it out) or remove it (`null`), and is refused while it switches on an integration with a gap.
 * The postback token is the runtime's: made at creation, changed only by a rotation, shown only in
 * the integration's own answers (inside `postbackUrl`); a write that sends it is refused.
 * Where the runtime will send is checked against its outbound policy when saved (see
 * `assertOutboundAllowed` in integration-input.ts); the policy is enforced again, on resolved addresses, at connect time.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigStore, DeliveryCounts } from '../store/types.ts';
import type { FlowEvent, Integration, Offer } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { DescriptorLookup } from '../../core/flow/validate.ts';
import { integrationRoutes, offersRoutedTo } from '../../core/domain/routing.ts';
import { listedOfferMoves, recordMove } from './routing-moves.ts';
import { integrationReadiness, isSet, type Readiness, type ReadinessSources } from '../../core/readiness.ts';
import { isFlowFor, type FlowDoc } from '../../core/domain/flow.ts';
import type { BreakerView, IntegrationView, PostbackTokenRotation } from '../../core/api.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import { secretHostGaps } from '../engine/http.ts';
import type { OutboundPolicy } from '../engine/outbound-policy.ts';
import type { SessionUser } from '../../core/domain/user.ts';
import { assertOutboundAllowed, checkedIntegrationInput, checkedRotation, type IntegrationInput } from './integration-input.ts';

/** A fresh postback token: 144 random bits. */
const newToken = () => randomBytes(18).toString('base64url');

/** The refusal to switch on an integration with gaps: the first gap's field, every gap in `details`. */
export function notReady(readiness: Readiness): DomainError {
  const [first] = readiness.gaps;
  const more = readiness.gaps.length > 1 ? ` (and ${readiness.gaps.length - 1} more)` : '';
  return new DomainError('invalid_field', `cannot switch the integration on: ${first.message}${more}`, {
    field: first.field,
    details: readiness.gaps,
  });
}

export class IntegrationService {
  constructor(
    private readonly config: ConfigStore,
    /** How targets reach the runtime; known once it listens. */
    private readonly publicUrl: () => string,
    /** The node types, for validating the flows an integration names. */
    private readonly descriptors: DescriptorLookup,
    /** What the runtime may send to: URL settings and allowed hosts that break it are refused when saved. */
    private readonly outbound: OutboundPolicy,
    /** Told after every write (the status-check schedules follow the configuration). */
    private readonly onChange: () => void = () => {},
    private readonly audit: AuditRecorder = NO_AUDIT,
    /** Its failed deliveries and retries waiting (the lead store's indexed count). */
    private readonly deliveryCounts: (id: string) => Promise<DeliveryCounts> = async () => ({ failed: 0, retrying: 0 }),
    /** Its circuit breaker's state, shown in its answers (none when the runtime has no breakers). */
    private readonly breakerOf: (id: string) => BreakerView | undefined = () => undefined,
  ) {}

  /** `GET /api/integrations/:id/breaker`'s answer. */
  async breaker(id: string): Promise<BreakerView | undefined> {
    await this.get(id);
    return this.breakerOf(id);
  }

  /** `GET /api/integrations/:id`'s answer: the integration with its readiness. */
  async show(id: string): Promise<IntegrationView> {
    const integration = await this.get(id);
    return this.present(integration, await this.readiness(integration));
  }

  async list(): Promise<IntegrationView[]> {
    const all = await this.config.listIntegrations();
    return Promise.all(all.map(async (i) => this.present(i, await this.readiness(i))));
  }

  /**
   * Every gap that keeps the integration from working, computed by the one readiness function over
   * the current versions of its flows and its routed offers as stored now. `template` adds the
   * required fields of the template it is being made from.
   */
  async readiness(integration: Integration, template?: ReadinessSources['template']): Promise<Readiness> {
    const flows: Record<string, FlowDoc | undefined> = {};
    for (const flowId of Object.values(integration.flows)) if (flowId) flows[flowId] = await this.config.getFlowVersion(flowId);
    const offers: Record<string, Offer | undefined> = {};
    for (const offerId of integration.offers) offers[offerId] = await this.config.getOffer(offerId);
    // the offers whose leads it gets at a stage need the parameters its flows name as well
    const routed = integrationRoutes(integration, await this.config.listOffers()).stages.flatMap((route) => route.offers);
    const staged = [...new Set(routed)].filter((offerId) => !integration.offers.includes(offerId));
    for (const offerId of staged) offers[offerId] = await this.config.getOffer(offerId);
    const secrets = Object.entries(integration.secrets)
      .filter(([, value]) => isSet(value))
      .map(([name]) => name);
    const readiness = integrationReadiness(
      { ...integration, offers: [...integration.offers, ...staged], secrets },
      { flows, offers, descriptors: this.descriptors, template },
    );
    // a flow that would send a secret to a host outside allowedHosts, where its URL says so
    const hostGaps = Object.entries(integration.flows).flatMap(([event, id]) =>
      id && flows[id] ? secretHostGaps(flows[id], event as FlowEvent, integration) : [],
    );
    return hostGaps.length ? { ready: false, gaps: [...readiness.gaps, ...hostGaps] } : readiness;
  }

  private async present(integration: Integration, readiness: Readiness): Promise<IntegrationView> {
    const { secrets, postbackToken: _token, previousToken: _previous, ...rest } = integration;
    const deliveries = await this.deliveryCounts(integration.id);
    return {
      ...rest,
      secrets: Object.fromEntries(Object.keys(secrets).map((name) => [name, { set: true as const }])),
      postbackUrl: this.postbackUrl(integration),
      readiness,
      deliveries,
      breaker: this.breakerOf(integration.id),
      routes: integrationRoutes(integration, await this.config.listOffers()),
    };
  }

  private postbackUrl(integration: Integration): string {
    return `${this.publicUrl()}/postback/${encodeURIComponent(integration.id)}?token=${integration.postbackToken}`;
  }

  /**
   * A new postback token; the old one keeps working for `graceMinutes` (none by default), so the
   * target can be given the new URL without losing postbacks meanwhile.
   */
  async rotatePostbackToken(id: string, body: unknown, actor?: SessionUser): Promise<PostbackTokenRotation> {
    const current = await this.get(id);
    const graceMinutes = checkedRotation(body).graceMinutes ?? 0;
    const next: Integration = { ...current, postbackToken: newToken() };
    delete next.previousToken;
    delete next.previousTokenUntil;
    if (graceMinutes > 0 && current.postbackToken) {
      next.previousToken = current.postbackToken;
      next.previousTokenUntil = new Date(Date.now() + graceMinutes * 60_000).toISOString();
    }
    // the secrets as stored at the write: a refresh token renewed meanwhile is kept
    await this.config.putIntegration(next, {});
    this.onChange();
    // a credential changed: audited like a source's key, the tokens themselves replaced in the entry
    await this.audit.record({
      action: 'integration.rotate-postback-token',
      resourceType: 'integration',
      resourceId: id,
      before: current,
      after: next,
      note: graceMinutes > 0 ? `the old token works until ${next.previousTokenUntil}` : 'the old token stopped at once',
      actor,
    });
    return { postbackUrl: this.postbackUrl(next), previousTokenUntil: next.previousTokenUntil };
  }

  /** The stored integration, secrets and token included: for the runtime's own use, never an answer. */
  async get(id: string): Promise<Integration> {
    const integration = await this.config.getIntegration(id);
    if (!integration) throw new DomainError('not_found', `no integration "${id}"`, { field: 'id' });
    return integration;
  }

  async create(body: unknown, actor?: SessionUser): Promise<IntegrationView> {
    const input = checkedIntegrationInput(body);
    if (!input.id) throw new DomainError('invalid_field', 'is required', { field: 'id' });
    if (!input.name) throw new DomainError('invalid_field', 'is required', { field: 'name' });
    if (await this.config.getIntegration(input.id)) throw new DomainError('conflict', `integration "${input.id}" exists`, { field: 'id' });
    const integration: Integration = {
      id: input.id,
      name: input.name,
      enabled: false,
      settings: {},
      secrets: {},
      offers: [],
      flows: {},
      postbackToken: newToken(),
    };
    return this.write(integration, input, actor, true);
  }

  /** Changes the fields given; `settings` and `offers` are replaced whole, secrets and flows per key. */
  async update(id: string, body: unknown, actor?: SessionUser): Promise<IntegrationView> {
    const input = checkedIntegrationInput(body);
    if (input.id !== undefined && input.id !== id) throw new DomainError('invalid_field', 'cannot be changed', { field: 'id' });
    return this.write(await this.get(id), input, actor);
  }

  /** @throws DomainError `conflict` naming `routes` while an offer's routes name it. */
  async remove(id: string, actor?: SessionUser): Promise<void> {
    const stored = await this.config.getIntegration(id);
    const routed = offersRoutedTo(await this.config.listOffers(), id);
    if (stored && routed.length > 0) {
      throw new DomainError(
        'conflict',
        `offer${routed.length > 1 ? 's' : ''} ${routed.map((o) => `"${o}"`).join(', ')} route${routed.length > 1 ? '' : 's'} leads to integration "${id}": change their routes first`,
        { field: 'routes' },
      );
    }
    if (!(await this.config.deleteIntegration(id))) throw new DomainError('not_found', `no integration "${id}"`, { field: 'id' });
    this.onChange();
    await this.audit.record({ action: 'integration.delete', resourceType: 'integration', resourceId: id, before: stored, actor });
  }

  private async write(
    current: Integration,
    input: IntegrationInput,
    actor: SessionUser | undefined,
    creating = false,
  ): Promise<IntegrationView> {
    assertOutboundAllowed(input, this.outbound);
    const next: Integration = {
      ...current,
      name: input.name ?? current.name,
      enabled: input.enabled ?? current.enabled,
      paused: input.paused ?? current.paused,
      settings: input.settings ?? current.settings,
      offers: input.offers ?? current.offers,
      rateLimit: input.rateLimit ?? current.rateLimit,
      concurrency: input.concurrency ?? current.concurrency,
      allowedHosts: input.allowedHosts ?? current.allowedHosts,
      maxAttempts: input.maxAttempts === null ? undefined : (input.maxAttempts ?? current.maxAttempts),
      maxAgeHours: input.maxAgeHours === null ? undefined : (input.maxAgeHours ?? current.maxAgeHours),
      secrets: { ...current.secrets },
      flows: { ...current.flows },
    };
    for (const [name, value] of Object.entries(input.secrets ?? {})) {
      if (value === null) delete next.secrets[name];
      else next.secrets[name] = value;
    }
    if (input.postbackAllowedIps === null || input.postbackAllowedIps?.length === 0) delete next.postbackAllowedIps;
    else if (input.postbackAllowedIps) next.postbackAllowedIps = input.postbackAllowedIps;
    if (input.postbackSignature === null) delete next.postbackSignature;
    else if (input.postbackSignature) next.postbackSignature = input.postbackSignature;
    // a signature under a secret the integration lacks could never be checked: every postback would be refused
    if (next.postbackSignature && !isSet(next.secrets[next.postbackSignature.secret])) {
      throw new DomainError('invalid_field', `names no secret of this integration ("${next.postbackSignature.secret}")`, {
        field: 'postbackSignature.secret',
      });
    }
    for (const [event, flowId] of Object.entries(input.flows ?? {})) {
      if (flowId === null) {
        delete next.flows[event as FlowEvent];
        continue;
      }
      const flow = await this.config.getFlow(flowId);
      if (!flow) throw new DomainError('invalid_field', `no flow "${flowId}"`, { field: `flows.${event}` });
      if (flow.event !== event)
        throw new DomainError('invalid_field', `flow "${flowId}" handles ${flow.event}, not ${event}`, { field: `flows.${event}` });
      const doc = await this.config.getFlowVersion(flowId);
      if (doc && !isFlowFor(doc, next.id))
        throw new DomainError('invalid_field', `flow "${flowId}" is meant for integration "${doc.integration}"`, {
          field: `flows.${event}`,
        });
      next.flows[event as FlowEvent] = flowId;
    }
    // at most one integration takes an offer's new leads: refused naming who has them, or moved (routing-moves.ts)
    const { moves, unlisted } = await listedOfferMoves(this.config, current, next, { creating, move: input.move === true });
    const readiness = await this.readiness(next);
    // switching on (or staying on) with a gap is refused; switching off never is
    if (next.enabled && !readiness.ready) throw notReady(readiness);
    // the secrets as stored at the write with this one's changes: a refresh token Auth Token
    // renewed since `current` was read is kept (runtime/services/kept-secrets.ts)
    const secretChanges = creating ? undefined : (input.secrets ?? {});
    if (moves.length) {
      // the move in one write: this integration, the offers it takes, the lists they leave
      await this.config.putRouting({
        integration: { record: next, secretChanges },
        offers: moves.map((m) => m.offer),
        integrationOffers: unlisted,
      });
      for (const { offer, holder } of moves) await recordMove(this.audit, offer, holder, next.id, actor);
    } else await this.config.putIntegration(next, secretChanges);
    this.onChange();
    // the stored records go to the log, which replaces the secrets and the token itself
    const switched = !creating && next.enabled !== current.enabled;
    await this.audit.record({
      action: creating
        ? 'integration.create'
        : switched
          ? next.enabled
            ? 'integration.enable'
            : 'integration.disable'
          : 'integration.update',
      resourceType: 'integration',
      resourceId: next.id,
      before: creating ? undefined : current,
      after: next,
      actor,
    });
    return this.present(next, readiness);
  }
}
