/**
 * Integrations as the management API sees them: checked on write, secrets write-only. An answer
 * carries each secret's name with `"set": true`, never its value; a write may set a secret, keep
 * it (leave it out) or remove it (`null`).
 */
import { randomBytes } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import type { ConfigStore } from '../store/types.ts';
import { FLOW_EVENTS, type FlowEvent, type Integration } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { flowNeeds } from '../../core/flow/needs.ts';
import type { IntegrationView } from '../../core/api.ts';

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

export class IntegrationService {
  constructor(
    private readonly config: ConfigStore,
    /** How targets reach the runtime; known once it listens. */
    private readonly publicUrl: () => string,
    /** Told after every write (the status-check schedules follow the configuration). */
    private readonly onChange: () => void = () => {},
  ) {}

  view(integration: Integration): IntegrationView {
    const { secrets, postbackToken, ...rest } = integration;
    return {
      ...rest,
      secrets: Object.fromEntries(Object.keys(secrets).map((name) => [name, { set: true as const }])),
      postbackUrl: `${this.publicUrl()}/postback/${encodeURIComponent(integration.id)}?token=${postbackToken}`,
    };
  }

  async list(): Promise<IntegrationView[]> {
    return (await this.config.listIntegrations()).map((i) => this.view(i));
  }

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

  /** An integration is switched on only when every flow it runs finds the settings and secrets it names. */
  private async checkReady(integration: Integration): Promise<void> {
    for (const [event, flowId] of Object.entries(integration.flows)) {
      const flow = flowId ? await this.config.getFlowVersion(flowId) : undefined;
      if (!flow) continue;
      const needs = flowNeeds(flow);
      const setting = needs.settings.find((name) => !Object.hasOwn(integration.settings, name));
      if (setting)
        throw new DomainError(
          'invalid_field',
          `is not set, and the ${event} flow "${flowId}" uses it; set it before switching the integration on`,
          { field: `settings.${setting}` },
        );
      const secret = needs.secrets.find((name) => !Object.hasOwn(integration.secrets, name));
      if (secret)
        throw new DomainError(
          'invalid_field',
          `is not set, and the ${event} flow "${flowId}" uses it; set it before switching the integration on`,
          { field: `secrets.${secret}` },
        );
    }
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
    if (next.enabled) await this.checkReady(next);
    await this.config.putIntegration(next);
    this.onChange();
    return this.view(next);
  }
}
