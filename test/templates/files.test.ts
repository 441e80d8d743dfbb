import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { isTemplate, templatePaths } from '../../core/template/template.ts';
import type { IntegrationTemplate } from '../../core/api.ts';
import { ROOT } from '../support/harness.ts';

const dir = `${ROOT}/flows/templates/`;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const templates = files.map((file) => [file, JSON.parse(readFileSync(dir + file, 'utf8')) as IntegrationTemplate] as const);

/** Every `{{root.name}}` the flows of a template name, for `root` in integration settings, secrets, offer params. */
function named(template: IntegrationTemplate): { settings: Set<string>; secrets: Set<string>; offer: Set<string> } {
  const found = { settings: new Set<string>(), secrets: new Set<string>(), offer: new Set<string>() };
  const visit = (value: unknown): void => {
    if (typeof value === 'string' && isTemplate(value)) {
      for (const path of templatePaths(value)) {
        if (path[0] === 'secrets') found.secrets.add(String(path[1]));
        if (path[0] === 'integration' && path[1] === 'settings') found.settings.add(String(path[2]));
        if (path[0] === 'offer' && path[1] === 'params') found.offer.add(String(path[2]));
      }
    } else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(template.flows);
  return found;
}

describe('the template files', () => {
  it('say nothing about sandboxes where the integrator reads: the sandbox is a field of its own', () => {
    for (const [file, template] of templates) {
      const read = [
        template.description,
        ...[...template.settings, ...template.secrets, ...template.offerParameters].map((f) => f.help ?? ''),
      ];
      for (const text of read) expect(text, file).not.toMatch(/sandbox|LEADFLOW_|127\.0\.0\.1/i);
      expect(template.sandbox, file).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
  });

  it('there is one per kind of target', () => {
    expect(templates.map(([, t]) => t.kind).sort()).toEqual([
      'affiliate-network',
      'altercpa',
      'classic-crm',
      'financial-crm',
      'financial-network',
      'fulfilment-crm',
    ]);
  });

  it.each(templates)('%s matches the template schema and its id is its file name', (file, template) => {
    const ajv = new Ajv({ strict: false });
    ajv.addSchema(JSON.parse(readFileSync(`${ROOT}/flows/flow.schema.json`, 'utf8')));
    const check = ajv.compile(JSON.parse(readFileSync(`${ROOT}/flows/template.schema.json`, 'utf8')));
    expect(check(template) ? [] : check.errors).toEqual([]);
    expect(`${template.id}.json`).toBe(file);
  });

  it.each(templates)('every flow of %s passes flow validation, one flow per event', async (_file, template) => {
    const registry = await loadNodeRegistry();
    for (const flow of template.flows) {
      const result = validateFlow(flow, registry);
      expect(result.ok ? [] : result.issues, flow.id).toEqual([]);
    }
    const events = template.flows.map((f) => f.event);
    expect(new Set(events).size).toBe(events.length);
  });

  it.each(templates)('%s asks for every setting, secret and offer parameter its flows use, and for nothing else', (_file, template) => {
    const used = named(template);
    expect(new Set(template.settings.map((s) => s.name))).toEqual(used.settings);
    expect(new Set(template.secrets.map((s) => s.name))).toEqual(used.secrets);
    expect(new Set(template.offerParameters.map((s) => s.name))).toEqual(used.offer);
  });
});
