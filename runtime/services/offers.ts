/**
 * Offers (with their parameters, goals and products) and webmasters (with their postback URL),
 * checked on write. A postback URL whose literal host the outbound policy refuses (an internal IP,
 * `localhost`) is refused when saved; names are checked again, resolved, when a postback is sent.
 */
import { schemaRefusal } from './schema-refusal.ts';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigStore } from '../store/types.ts';
import type { Offer, Webmaster } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { DUPLICATE_ACTIONS, DUPLICATE_FIELD_PATTERN, MAX_DUPLICATE_DAYS } from '../../core/domain/duplicates.ts';
import { assertTargetAllowed, type OutboundPolicy } from '../engine/outbound-policy.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import { moveNewLeads, newLeadClash, ROUTABLE_STAGES, routingProblems } from '../../core/domain/routing.ts';
import { clashRefusal, recordMove } from './routing-moves.ts';
import type { SessionUser } from '../../core/domain/user.ts';

const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: true });
const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' };
const PARAMETERS = { type: 'object', additionalProperties: { type: 'string' }, default: {} };

const checkOffer = ajv.compile<Offer>({
  type: 'object',
  required: ['id', 'name'],
  additionalProperties: false,
  properties: {
    id: ID,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    parameters: PARAMETERS,
    goals: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: ID, name: { type: 'string' }, parameters: PARAMETERS },
      },
    },
    products: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: { id: ID, name: { type: 'string' }, price: { type: 'number', minimum: 0 }, parameters: PARAMETERS },
      },
    },
    duplicates: {
      type: 'object',
      required: ['fields', 'days', 'action'],
      additionalProperties: false,
      properties: {
        fields: {
          type: 'array',
          minItems: 1,
          maxItems: 10,
          uniqueItems: true,
          items: { type: 'string', pattern: DUPLICATE_FIELD_PATTERN },
        },
        days: { type: 'integer', minimum: 1, maximum: MAX_DUPLICATE_DAYS },
        action: { enum: DUPLICATE_ACTIONS },
      },
    },
    routes: {
      type: 'object',
      additionalProperties: false,
      properties: {
        new: { anyOf: [ID, { type: 'null' }] },
        stages: {
          type: 'array',
          maxItems: 20,
          items: {
            type: 'object',
            required: ['stage', 'integration'],
            additionalProperties: false,
            properties: { stage: { enum: ROUTABLE_STAGES }, integration: ID },
          },
        },
      },
    },
  },
});

const checkWebmaster = ajv.compile<Webmaster>({
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: ID,
    name: { type: 'string', maxLength: 200 },
    postbackUrl: { type: 'string', pattern: '^(https?://.+)?$' },
    streamPostbackUrls: { type: 'object', additionalProperties: { type: 'string', pattern: '^https?://.+$' } },
  },
});

function invalid(errors: ErrorObject[] | null | undefined, what: 'offer' | 'webmaster'): DomainError {
  return schemaRefusal(errors, {
    whole: `(${what})`,
    thing: what === 'offer' ? 'an offer' : 'a webmaster',
    worded: (error, field) => {
      if (error.keyword === 'pattern' && /postbackUrl|streamPostbackUrls/.test(field)) return 'must be an http(s) URL';
      if (error.keyword === 'pattern' && field.startsWith('duplicates.fields'))
        return 'must be phone, email, ip, a lead field or meta.NAME';
      if (error.keyword === 'enum' && field === 'duplicates.action') return 'must be refuse or trash';
      if (error.keyword === 'enum' && field.startsWith('routes.stages')) return `must be one of ${ROUTABLE_STAGES.join(', ')}`;
      if (error.keyword === 'anyOf' && field === 'routes.new') return 'must be an integration id, or null for none';
      return undefined;
    },
  });
}

/**
 * The body checked (defaults filled in, on a copy); the id comes from the URL when the body leaves
 * it out, and must match it when it does not.
 */
function checked<T extends { id: string }>(
  check: ValidateFunction<T>,
  body: unknown,
  id: string | undefined,
  what: 'offer' | 'webmaster',
): T {
  const value = structuredClone(body) as T;
  if (id !== undefined && value && typeof value === 'object' && value.id === undefined) value.id = id;
  if (!check(value)) throw invalid(check.errors, what);
  if (id !== undefined && value.id !== id) throw new DomainError('invalid_field', 'does not match the URL', { field: 'id' });
  return value;
}

/** The body without its `move` flag (not a field of the offer: what the write does with it). */
function withoutMove(body: unknown): { move: boolean; rest: unknown } {
  if (!body || typeof body !== 'object' || Array.isArray(body) || !Object.hasOwn(body, 'move')) return { move: false, rest: body };
  const { move, ...rest } = body as Record<string, unknown>;
  if (typeof move !== 'boolean') throw new DomainError('invalid_field', 'must be true or false', { field: 'move' });
  return { move, rest };
}

export class OfferService {
  constructor(
    private readonly config: ConfigStore,
    /** The runtime's outbound policy, which webmasters' postback URLs must keep to. */
    private readonly outbound: OutboundPolicy,
    private readonly audit: AuditRecorder = NO_AUDIT,
    /** Whether the offer has any lead (a deleted offer's leads would lose its parameters). */
    private readonly hasLeads: (offerId: string) => Promise<boolean> = async () => false,
    /** Called when integrations' offer lists changed (the runtime refreshes what reads them). */
    private readonly onRoutingChange: () => void = () => {},
  ) {}

  list(): Promise<Offer[]> {
    return this.config.listOffers();
  }

  async get(id: string): Promise<Offer> {
    const offer = await this.config.getOffer(id);
    if (!offer) throw new DomainError('not_found', `no offer "${id}"`, { field: 'id' });
    return offer;
  }

  /** Creates an offer; one of that id must not exist yet. */
  async create(body: unknown, actor?: SessionUser): Promise<Offer> {
    const id = (body as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && (await this.config.getOffer(id)))
      throw new DomainError('conflict', `offer "${id}" exists`, { field: 'id' });
    return this.put(body, undefined, actor);
  }

  /**
   * Creates or replaces an offer. Naming another holder of its new leads in `routes.new` than the
   * one holding them now is refused 409 naming that one (`details.current`), unless the body says
   * `"move": true`: then the integrations listing it stop, in the same write (core/domain/routing.ts).
   */
  async put(body: unknown, id?: string, actor?: SessionUser): Promise<Offer> {
    const { move, rest } = withoutMove(body);
    const offer = checked(checkOffer, rest, id, 'offer');
    let integrations = await this.config.listIntegrations();
    const before = await this.config.getOffer(offer.id);
    const to = offer.routes?.new;
    const holder =
      to !== undefined && to !== before?.routes?.new ? newLeadClash({ id: offer.id, routes: before?.routes }, to, integrations) : undefined;
    if (holder && !move) throw clashRefusal(offer, holder, to!, 'routes.new');
    const unlisted = holder ? moveNewLeads(offer, to!, integrations).unlisted : {};
    integrations = integrations.map((i) => (unlisted[i.id] ? { ...i, offers: unlisted[i.id] } : i));
    const [problem] = routingProblems(offer, integrations);
    if (problem) throw new DomainError('invalid_field', problem.message, { field: problem.field });
    if (holder) {
      await this.config.putRouting({ offers: [offer], integrationOffers: unlisted });
      await recordMove(this.audit, offer, holder, to!, actor);
    } else await this.config.putOffer(offer);
    if (holder) this.onRoutingChange();
    await this.audit.record({
      action: before ? 'offer.update' : 'offer.create',
      resourceType: 'offer',
      resourceId: offer.id,
      before,
      after: offer,
      actor,
    });
    return offer;
  }

  /**
   * Deletes an offer. One with leads stays (409 on `id`): their status checks, postbacks and stage
   * deliveries read its parameters. The integrations listing it stop, in the same write; another
   * offer's routes never name an offer, so nothing else points at it.
   */
  async remove(id: string, actor?: SessionUser): Promise<void> {
    const before = await this.config.getOffer(id);
    if (!before) throw new DomainError('not_found', `no offer "${id}"`, { field: 'id' });
    if (await this.hasLeads(id))
      throw new DomainError('conflict', `offer "${id}" has leads: their status checks and postbacks read it, so it cannot be deleted`, {
        field: 'id',
      });
    const unlisted: Record<string, string[]> = {};
    for (const integration of await this.config.listIntegrations())
      if (integration.offers.includes(id)) unlisted[integration.id] = integration.offers.filter((o) => o !== id);
    await this.config.putRouting({ deleteOffer: id, integrationOffers: unlisted });
    if (Object.keys(unlisted).length) this.onRoutingChange();
    await this.audit.record({
      action: 'offer.delete',
      resourceType: 'offer',
      resourceId: id,
      before,
      note: Object.keys(unlisted).length ? `no longer listed by integration ${Object.keys(unlisted).join(', ')}` : undefined,
      actor,
    });
  }

  listWebmasters(): Promise<Webmaster[]> {
    return this.config.listWebmasters();
  }

  async getWebmaster(id: string): Promise<Webmaster> {
    const webmaster = await this.config.getWebmaster(id);
    if (!webmaster) throw new DomainError('not_found', `no webmaster "${id}"`, { field: 'id' });
    return webmaster;
  }

  /** Creates a webmaster (`id` in the body); one that exists is a conflict, as for offers. */
  async createWebmaster(body: unknown, actor?: SessionUser): Promise<Webmaster> {
    const id = (body as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && (await this.config.getWebmaster(id)))
      throw new DomainError('conflict', `webmaster "${id}" exists`, { field: 'id' });
    return this.putWebmaster(body, undefined, actor);
  }

  async putWebmaster(body: unknown, id?: string, actor?: SessionUser): Promise<Webmaster> {
    const webmaster = checked(checkWebmaster, body, id, 'webmaster');
    if (webmaster.postbackUrl) assertTargetAllowed(webmaster.postbackUrl, 'postbackUrl', this.outbound);
    for (const [stream, url] of Object.entries(webmaster.streamPostbackUrls ?? {})) {
      assertTargetAllowed(url, `streamPostbackUrls.${stream}`, this.outbound);
    }
    const before = await this.config.getWebmaster(webmaster.id);
    await this.config.putWebmaster(webmaster);
    await this.audit.record({
      action: before ? 'webmaster.update' : 'webmaster.create',
      resourceType: 'webmaster',
      resourceId: webmaster.id,
      before,
      after: webmaster,
      actor,
    });
    return webmaster;
  }

  async removeWebmaster(id: string, actor?: SessionUser): Promise<void> {
    const before = await this.config.getWebmaster(id);
    if (!(await this.config.deleteWebmaster(id))) throw new DomainError('not_found', `no webmaster "${id}"`, { field: 'id' });
    await this.audit.record({ action: 'webmaster.delete', resourceType: 'webmaster', resourceId: id, before, actor });
  }
}
