/**
 * Integration templates: ready integrations for the kinds of target (`flows/templates/*.json`),
 * and "new integration from template", which saves the template's flows under the new
 * integration's name, creates the integration, and says what is still missing — its readiness
 * (core/readiness.ts: the settings, secrets and offer parameters its flows name or the template
 * requires, and any problem of its flows), and `missing`, the same gaps by name.
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
import { Ajv, type ErrorObject } from 'ajv';
import type { ConfigStore } from '../store/types.ts';
import type { FlowEvent, Integration } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowService } from './flows.ts';
import { notReady, type IntegrationService } from './integrations.ts';
import { missingOf } from '../../core/readiness.ts';
import type { FromTemplateResult, IntegrationTemplate, TemplateSummary } from '../../core/api.ts';
import { projectPath } from '../project-root.ts';
import type { SessionUser } from '../../core/domain/user.ts';

const TEMPLATES_DIR = projectPath('flows/templates/');
const SCHEMA_FILE = projectPath('flows/template.schema.json');
const FLOW_SCHEMA_FILE = projectPath('flows/flow.schema.json');

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

let checkTemplate: ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * What is wrong with a template document against `flows/template.schema.json` (its flows against
 * the flow schema), as `"/flows/0/event must be …"`; undefined when nothing is. The CLI's
 * `validate` and the template loader both ask it.
 */
export function templateSchemaProblem(value: unknown): string | undefined {
  if (!checkTemplate) {
    const schemas = new Ajv({ allErrors: false, strict: false });
    schemas.addSchema(JSON.parse(readFileSync(FLOW_SCHEMA_FILE, 'utf8')) as object);
    checkTemplate = schemas.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }
  if (checkTemplate(value)) return undefined;
  const error = (checkTemplate.errors as ErrorObject[])[0];
  return `${error.instancePath || '(file)'} ${error.message ?? 'is invalid'}`;
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
    const templates = new Map<string, IntegrationTemplate>();
    for (const file of readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const template = JSON.parse(readFileSync(this.dir + file, 'utf8')) as IntegrationTemplate;
      const problem = templateSchemaProblem(template);
      if (problem) throw new Error(`template ${file}: ${problem}`);
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
   * settings, secrets and offers given. It is enabled when its readiness has no gap, unless
   * `enabled` says otherwise (`enabled: true` with a gap is refused as the switch refuses it).
   * Nothing is left behind when a step fails.
   */
  async instantiate(body: unknown, author: string, actor?: SessionUser): Promise<FromTemplateResult> {
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

    const saved: string[] = [];
    try {
      const events: Partial<Record<FlowEvent, string>> = {};
      for (const [i, flow] of template.flows.entries()) {
        // meant for this integration: its page offers it, and no other integration's does
        const doc: FlowDoc = {
          ...structuredClone(flow),
          id: flowIds[i],
          name: `${request.name}: ${flow.name}`,
          integration: request.id,
          version: 1,
        };
        await this.flows.save(doc, author, { actor });
        saved.push(doc.id);
        events[flow.event] = doc.id;
      }
      const draft: Integration = {
        id: request.id,
        name: request.name,
        enabled: false,
        settings,
        secrets,
        offers: request.offers ?? [],
        flows: events,
        postbackToken: '',
      };
      // the same rule as the switch on the integration's page, with the template's required fields added
      const readiness = await this.integrations.readiness(draft, template);
      if (request.enabled === true && !readiness.ready) throw notReady(readiness);
      const view = await this.integrations.create(
        {
          id: request.id,
          name: request.name,
          enabled: request.enabled ?? readiness.ready,
          settings,
          secrets,
          offers: request.offers ?? [],
          flows: events,
        },
        actor,
      );
      return {
        ...view,
        readiness,
        template: template.id,
        missing: missingOf(readiness),
        postbackUrlWithTail: template.postbackTail ? view.postbackUrl + template.postbackTail : undefined,
      };
    } catch (error) {
      for (const id of saved) await this.flows.remove(id, undefined, actor).catch(() => undefined);
      throw error;
    }
  }
}
