/**
 * Integration templates: ready integrations for the kinds of target (`flows/templates/*.json`),
 * and "new integration from template", which saves the template's flows under the new
 * integration's name, creates the integration, and says what is still missing — the settings and
 * secrets not given, and per offer the offer parameters the template needs that the offer lacks.
 *
 * A template file (schema: `flows/template.schema.json`):
 *
 * @example
 * { "id": "classic-crm", "name": "Classic CRM", "kind": "classic-crm", "description": "…",
 *   "settings": [{ "name": "base_url", "label": "API address", "help": "…", "required": true }],
 *   "secrets": [{ "name": "api_key", "label": "API key", "help": "…" }],
 *   "offerParameters": [{ "name": "crm_product_id", "label": "…", "help": "…", "required": true }],
 *   "postbackTail": "&order={order_id}&status={status}",
 *   "flows": [{ "id": "send", "event": "lead.new", … }] }
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import type { ConfigStore } from '../store/types.ts';
import type { FlowEvent } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowService } from './flows.ts';
import type { IntegrationService } from './integrations.ts';
import type { FromTemplateResult, IntegrationTemplate, Missing, TemplateSummary } from '../../core/api.ts';

const TEMPLATES_DIR = fileURLToPath(new URL('../../flows/templates/', import.meta.url));
const SCHEMA_FILE = fileURLToPath(new URL('../../flows/template.schema.json', import.meta.url));
const FLOW_SCHEMA_FILE = fileURLToPath(new URL('../../flows/flow.schema.json', import.meta.url));

const ajv = new Ajv({ allErrors: false, strict: false });
const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$' };
const checkRequest = ajv.compile({
  type: 'object',
  required: ['template', 'id', 'name'],
  additionalProperties: false,
  properties: {
    template: { type: 'string' },
    id: ID,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    enabled: { type: 'boolean' },
    settings: { type: 'object', additionalProperties: { type: 'string' } },
    secrets: { type: 'object', additionalProperties: { type: 'string' } },
    offers: { type: 'array', items: { type: 'string' } },
  },
});

interface FromTemplateRequest {
  template: string;
  id: string;
  name: string;
  enabled?: boolean;
  settings?: Record<string, string>;
  secrets?: Record<string, string>;
  offers?: string[];
}

function invalid(error: ErrorObject): DomainError {
  const path = error.instancePath.split('/').slice(1).join('.');
  const extra =
    error.keyword === 'required'
      ? error.params.missingProperty
      : error.keyword === 'additionalProperties'
        ? error.params.additionalProperty
        : undefined;
  const field = [path, extra].filter(Boolean).join('.') || '(body)';
  const message =
    error.keyword === 'required'
      ? 'is required'
      : error.keyword === 'additionalProperties'
        ? 'is not a field of a from-template request'
        : (error.message ?? 'is invalid');
  return new DomainError('invalid_field', message, { field });
}

/** Whether an offer has a parameter: by its name, or geo-specific (`name-de`). */
function hasParameter(parameters: Record<string, string>, name: string): boolean {
  return Object.entries(parameters).some(([key, value]) => (key === name || key.startsWith(`${name}-`)) && value.trim() !== '');
}

export class TemplateService {
  private templates: Map<string, IntegrationTemplate> | undefined;

  constructor(
    private readonly config: ConfigStore,
    private readonly flows: FlowService,
    private readonly integrations: IntegrationService,
    private readonly dir = TEMPLATES_DIR,
  ) {}

  /** The template files, read once and checked against the template schema. */
  load(): Map<string, IntegrationTemplate> {
    if (this.templates) return this.templates;
    const schemas = new Ajv({ allErrors: false, strict: false });
    schemas.addSchema(JSON.parse(readFileSync(FLOW_SCHEMA_FILE, 'utf8')) as object);
    const check = schemas.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
    const templates = new Map<string, IntegrationTemplate>();
    for (const file of readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const template = JSON.parse(readFileSync(this.dir + file, 'utf8')) as IntegrationTemplate;
      if (!check(template)) {
        const error = (check.errors as ErrorObject[])[0];
        throw new Error(`template ${file}: ${error.instancePath || '(file)'} ${error.message ?? 'is invalid'}`);
      }
      templates.set(template.id, template);
    }
    this.templates = templates;
    return templates;
  }

  list(): TemplateSummary[] {
    return [...this.load().values()].map(({ flows, ...rest }) => ({ ...rest, events: flows.map((f) => f.event) }));
  }

  get(id: string): IntegrationTemplate {
    const template = this.load().get(id);
    if (!template)
      throw new DomainError('not_found', `no template "${id}" (templates: ${[...this.load().keys()].join(', ')})`, { field: 'template' });
    return template;
  }

  /**
   * Creates an integration from a template: its flows saved as `<integration>-<flow>`, the
   * settings, secrets and offers given. It is enabled when nothing required is missing, unless
   * `enabled` says otherwise. Nothing is left behind when a step fails.
   */
  async instantiate(body: unknown, author: string): Promise<FromTemplateResult> {
    if (!checkRequest(body)) throw invalid((checkRequest.errors as ErrorObject[])[0]);
    const request = body as FromTemplateRequest;
    const template = this.get(request.template);
    if (await this.config.getIntegration(request.id))
      throw new DomainError('conflict', `integration "${request.id}" exists`, { field: 'id' });
    const flowIds = template.flows.map((flow) => `${request.id}-${flow.id}`);
    for (const flowId of flowIds) {
      if (await this.config.getFlow(flowId))
        throw new DomainError('conflict', `flow "${flowId}" exists; choose another integration id`, { field: 'id' });
    }
    for (const [i, offerId] of (request.offers ?? []).entries()) {
      if (!(await this.config.getOffer(offerId)))
        throw new DomainError('invalid_field', `no offer "${offerId}"`, { field: `offers[${i}]` });
    }

    const settings = { ...request.settings };
    const secrets = { ...request.secrets };
    // kept with the integration, so the URL to paste into the target can be shown again later
    if (template.postbackTail && settings.postback_tail === undefined) settings.postback_tail = template.postbackTail;
    const missing = await this.missing(template, settings, secrets, request.offers ?? []);
    const complete = missing.settings.length === 0 && missing.secrets.length === 0 && Object.keys(missing.offerParameters).length === 0;

    const saved: string[] = [];
    try {
      const events: Partial<Record<FlowEvent, string>> = {};
      for (const [i, flow] of template.flows.entries()) {
        const doc: FlowDoc = { ...structuredClone(flow), id: flowIds[i], name: `${request.name}: ${flow.name}`, version: 1 };
        await this.flows.save(doc, author);
        saved.push(doc.id);
        events[flow.event] = doc.id;
      }
      const view = await this.integrations.create({
        id: request.id,
        name: request.name,
        enabled: request.enabled ?? complete,
        settings,
        secrets,
        offers: request.offers ?? [],
        flows: events,
      });
      return {
        ...view,
        template: template.id,
        missing,
        postbackUrlWithTail: template.postbackTail ? view.postbackUrl + template.postbackTail : undefined,
      };
    } catch (error) {
      for (const id of saved) await this.flows.remove(id).catch(() => undefined);
      throw error;
    }
  }

  /** What an integration made from `template` still lacks. */
  async missing(
    template: IntegrationTemplate,
    settings: Record<string, string>,
    secrets: Record<string, string>,
    offers: string[],
  ): Promise<Missing> {
    const given = (values: Record<string, string>, name: string) => (values[name] ?? '').trim() !== '';
    const offerParameters: Record<string, string[]> = {};
    for (const offerId of offers) {
      const offer = await this.config.getOffer(offerId);
      const lacking = template.offerParameters
        .filter((p) => p.required && !hasParameter(offer?.parameters ?? {}, p.name))
        .map((p) => p.name);
      if (lacking.length) offerParameters[offerId] = lacking;
    }
    return {
      settings: template.settings.filter((s) => s.required && !given(settings, s.name)).map((s) => s.name),
      secrets: template.secrets.filter((s) => s.required !== false && !given(secrets, s.name)).map((s) => s.name),
      offerParameters,
    };
  }
}
