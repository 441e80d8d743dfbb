import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../core/node/contract.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';

const dir = new URL('../../nodes/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('the node catalog', () => {
  it('node files import only the kernel, so the editor can load them in a browser', () => {
    for (const file of files) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const imports = [...source.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
      for (const target of imports) expect(target, `${file} imports ${target}`).toMatch(/^\.\.\/core\/[\w/-]+\.ts$/);
    }
  });

  it('every file is one node whose type is the file name, with a label and help on every param', async () => {
    const registry = await loadNodeRegistry();
    const types = registry.all().map((n) => n.type);
    for (const file of files) expect(types).toContain(file.replace(/\.ts$/, ''));
    for (const node of registry.all()) {
      expect(CATEGORIES).toContain(node.category);
      expect(node.description.length, node.type).toBeGreaterThan(20);
      for (const [name, spec] of Object.entries(node.params)) {
        expect(spec.label, `${node.type}.${name}`).toBeTruthy();
        expect(spec.help, `${node.type}.${name}`).toBeTruthy();
        if (spec.kind === 'select') expect(spec.options, `${node.type}.${name}`).toContain(spec.default);
      }
    }
  });

  it('a delivery chain passes validation with only the target URL filled in', async () => {
    const registry = await loadNodeRegistry();
    const chain = ['lead-in', 'json-build', 'sign', 'http-request', 'extract', 'map-status', 'update-lead', 'postback-trigger'];
    const flow: FlowDoc = {
      id: 'demo-send',
      name: 'Demo: send',
      event: 'lead.new',
      version: 1,
      nodes: chain.map((type, i) => ({
        id: type.replace(/-/g, '_'),
        type,
        position: { x: i * 200, y: 0 },
        params: type === 'http-request' ? { url: '{{integration.settings.base_url}}/orders' } : {},
      })),
      edges: chain.slice(1).map((type, i) => ({
        id: `e${i}`,
        source: chain[i].replace(/-/g, '_'),
        sourceHandle: 'out',
        target: type.replace(/-/g, '_'),
        targetHandle: 'in',
      })),
    };
    const result = validateFlow(flow, registry);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});
