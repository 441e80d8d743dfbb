/**
 * Integrations as the management API sees them: checked on write, secrets write-only. An answer
 * carries each secret's name with `"set": true`, never its value, and the integration's readiness
 * (every gap that keeps it from working, core/readiness.ts); a write may set a secret, keep it
 * (leave it out) or remove it (`null`), and is refused while it switches on an integration with a gap.
 */
import { randomBytes } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import type { ConfigStore } from '../store/types.ts';
import { FLOW_EVENTS, type FlowEvent, type Integration, type Offer } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { DescriptorLookup } from '../../core/flow/validate.ts';
import { integrationReadiness, isSet, type Readiness, type ReadinessSources } from '../../core/readiness.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { IntegrationView } from '../../core/api.ts';
import { secretHostGaps } from '../engine/http.ts';

const ajv = new Ajv({ allErrors: false, strict: false });
const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' };
const checkBody = ajv.compile({
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ID,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    enabled: { type: 'boolean' },
    settings: { type: 'object', additionalProperties: { type: 'string' } },
    secrets: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
    offers: { type: 'array', items: { type: 'string' } },
    flows: { type: 'object', propertyNames: { enum: FLOW_EVENTS }, additionalProperties: { type: ['string', 'null'] } },
    postbackToken: { type: 'string', minLength: 16 },
    rateLimit: { type: 'number', minimum: 0, maximum: 10000 },
    // where its secrets may be sent (engine/http.ts); empty: the host of base_url
    allowedHosts: {
      type: 'array',
      maxItems: 50,
      items: { type: 'string', pattern: '^(?:(?:\\*\\.)?[A-Za-z0-9_.-]+|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?$' },
    },
  },
});

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).join('.');
  if (error.keyword === 'additionalProperties') return [path, error.params.additionalProperty].filter(Boolean).join('.');
  if (error.keyword === 'propertyNames') return [path, error.params.propertyName].filter(Boolean).join('.');
  return path || '(integration)';
}

function checked(
  body: unknown,
): Partial<Omit<Integration, 'secrets' | 'flows'>> & { secrets?: Record<string, string | null>; flows?: Record<string, string | null> } {
  if (!checkBody(body)) {
    const error = (checkBody.errors as ErrorObject[])[0];
    const message =
      error.keyword === 'propertyNames'
        ? `is not an event (events: ${FLOW_EVENTS.join(', ')})`
        : error.keyword === 'additionalProperties'
          ? 'is not a field of an integration'
          : (error.message ?? 'is invalid');
    throw new DomainError('invalid_field', message, { field: fieldOf(error) });
  }
  return body as ReturnType<typeof checked>;
}

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
    /** Told after every write (the status-check schedules follow the configuration). */
    private readonly onChange: () => void = () => {},
  ) {}

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
    const secrets = Object.entries(integration.secrets)
      .filter(([, value]) => isSet(value))
      .map(([name]) => name);
    const readiness = integrationReadiness({ ...integration, secrets }, { flows, offers, descriptors: this.descriptors, template });
    // a flow that would send a secret to a host outside allowedHosts, where its URL says so
    const hostGaps = Object.entries(integration.flows).flatMap(([event, id]) =>
      id && flows[id] ? secretHostGaps(flows[id], event as FlowEvent, integration) : [],
    );
    return hostGaps.length ? { ready: false, gaps: [...readiness.gaps, ...hostGaps] } : readiness;
  }

  private present(integration: Integration, readiness: Readiness): IntegrationView {
    const { secrets, postbackToken, ...rest } = integration;
    return {
      ...rest,
      secrets: Object.fromEntries(Object.keys(secrets).map((name) => [name, { set: true as const }])),
      postbackUrl: `${this.publicUrl()}/postback/${encodeURIComponent(integration.id)}?token=${postbackToken}`,
      readiness,
    };
  }

  /** The stored integration, secrets and token included: for the runtime's own use, never an answer. */
  async get(id: string): Promise<Integration> {
    const integration = await this.config.getIntegration(id);
    if (!integration) throw new DomainError('not_found', `no integration "${id}"`, { field: 'id' });
    return integration;
  }

  async create(body: unknown): Promise<IntegrationView> {
    const input = checked(body);
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
      postbackToken: randomBytes(18).toString('base64url'),
    };
    return this.write(integration, input);
  }

  /** Changes the fields given; `settings` and `offers` are replaced whole, secrets and flows per key. */
  async update(id: string, body: unknown): Promise<IntegrationView> {
    const input = checked(body);
    if (input.id !== undefined && input.id !== id) throw new DomainError('invalid_field', 'cannot be changed', { field: 'id' });
    return this.write(await this.get(id), input);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.config.deleteIntegration(id))) throw new DomainError('not_found', `no integration "${id}"`, { field: 'id' });
    this.onChange();
  }

  private async write(current: Integration, input: ReturnType<typeof checked>): Promise<IntegrationView> {
    const next: Integration = {
      ...current,
      name: input.name ?? current.name,
      enabled: input.enabled ?? current.enabled,
      settings: input.settings ?? current.settings,
      offers: input.offers ?? current.offers,
      postbackToken: input.postbackToken ?? current.postbackToken,
      rateLimit: input.rateLimit ?? current.rateLimit,
      allowedHosts: input.allowedHosts ?? current.allowedHosts,
      secrets: { ...current.secrets },
      flows: { ...current.flows },
    };
    for (const [name, value] of Object.entries(input.secrets ?? {})) {
      if (value === null) delete next.secrets[name];
      else next.secrets[name] = value;
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
      next.flows[event as FlowEvent] = flowId;
    }
    for (const [i, offerId] of next.offers.entries()) {
      if (!(await this.config.getOffer(offerId)))
        throw new DomainError('invalid_field', `no offer "${offerId}"`, { field: `offers[${i}]` });
    }
    const readiness = await this.readiness(next);
    // switching on (or staying on) with a gap is refused; switching off never is
    if (next.enabled && !readiness.ready) throw notReady(readiness);
    await this.config.putIntegration(next);
    this.onChange();
    return this.present(next, readiness);
  }
}
