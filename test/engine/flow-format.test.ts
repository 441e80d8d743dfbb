import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineNode } from '../../core/node/contract.ts';
import { param } from '../../core/node/params.ts';
import { flowJsonSchema, type FlowDoc } from '../../core/domain/flow.ts';
import { migrateFlow } from '../../core/flow/format.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { Executor } from '../../runtime/engine/executor.ts';
import { createRegistry, loadNodeRegistry } from '../../runtime/engine/registry.ts';
import { FlowService } from '../../runtime/services/flows.ts';
import { openLowdbConfigStore } from '../../runtime/store/lowdb.ts';
import { ROOT } from '../support/harness.ts';
import { flowSchemaFiles } from '../../bin/flow-schema-files.ts';

/** A node whose version 2 renamed its param `text` to `message`. */
const greet = defineNode({
  type: 'greet',
  version: 2,
  title: 'Greet',
  category: 'build request',
  description: 'Says its message; version 1 called the message "text".',
  inputs: ['in'],
  outputs: ['out'],
  params: { message: param.template({ label: 'Message', help: 'What to say.', required: true }) },
  migrate(params, fromVersion) {
    if (fromVersion < 2) {
      const { text, ...rest } = params;
      return { ...rest, message: text };
    }
    return params;
  },
  execute: ({ params }) => ({ output: { said: params.message } }),
});

const registry = createRegistry([...(await loadNodeRegistry()).all(), greet]);

/** A flow as it was saved when Greet was at version 1: no typeVersion, the old param name. */
const savedAtVersion1: FlowDoc = {
  id: 'hello',
  name: 'Hello',
  event: 'lead.new',
  version: 1,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'greet', type: 'greet', position: { x: 200, y: 0 }, params: { text: 'Hello {{lead.name}}' } },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'greet', targetHandle: 'in' }],
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the flow format', () => {
  it('flows/flow.schema.json is what the declaration in core/domain/flow.ts generates (npm run schema)', () => {
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'flows/flow.schema.json'), 'utf8'));
    expect(committed).toEqual(flowJsonSchema());
  });

  it('the committed schema file and compiled check are exactly what npm run schema writes', async () => {
    for (const file of await flowSchemaFiles(ROOT)) {
      expect(fs.readFileSync(path.join(ROOT, file.path), 'utf8'), `${file.path}: run npm run schema`).toBe(file.text);
    }
  });

  it('a flow saved with version 1 params loads, validates and runs with the name version 2 gave the param', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-format-'));
    dirs.push(dir);
    const config = await openLowdbConfigStore(dir);
    // stored as it was written then, past today's migration
    await config.saveFlowVersion(savedAtVersion1, 'anna');
    const flows = new FlowService(config, registry);

    const loaded = await flows.load('hello');
    const node = loaded.nodes.find((n) => n.id === 'greet');
    expect(node).toMatchObject({ typeVersion: 2, params: { message: 'Hello {{lead.name}}' } });
    expect(node?.params).not.toHaveProperty('text');
    expect(validateFlow(savedAtVersion1, registry)).toMatchObject({ ok: true, flow: { nodes: [{}, { typeVersion: 2 }] } });

    const agent = createAgent();
    try {
      const lead = {
        id: 1,
        offer: 'o',
        name: 'Anna',
        phone: '+491',
        integration: 'i1',
        stage: 'new' as const,
        created_at: '',
        updated_at: '',
      };
      const integration = { id: 'i1', name: 'I', enabled: true, settings: {}, secrets: {}, offers: [], flows: {}, postbackToken: 'x' };
      const { execution } = await new Executor({ registry, agent }).run(
        { flow: loaded, event: 'lead.new', integration, lead, trigger: lead },
        { leads: { update: async () => undefined }, postbacks: { send: async () => {} } },
      );
      expect(execution.steps.find((s) => s.nodeId === 'greet')?.output).toEqual({ said: 'Hello Anna' });
    } finally {
      await agent.close();
    }
    // the saved version itself is shown migrated too
    expect((await flows.version('hello', 1)).nodes[1].params).toEqual({ message: 'Hello {{lead.name}}' });
  });

  it('leaves a document of the current format and node versions as it is', () => {
    const doc = { ...savedAtVersion1, nodes: [savedAtVersion1.nodes[0]], edges: [] };
    expect(migrateFlow(doc, registry)).toEqual({ ok: true, doc });
  });

  it('refuses a format or a node version newer than it knows, naming the field', () => {
    expect(validateFlow({ ...savedAtVersion1, format: 2 }, registry)).toEqual({
      ok: false,
      issues: [{ field: 'format', message: 'is 2; this version of leadflow reads flow formats up to 1' }],
    });
    const ahead = { ...savedAtVersion1, nodes: [savedAtVersion1.nodes[0], { ...savedAtVersion1.nodes[1], typeVersion: 3 }] };
    expect(validateFlow(ahead, registry)).toEqual({
      ok: false,
      issues: [{ nodeId: 'greet', field: 'typeVersion', message: 'is 3; this version of leadflow knows Greet up to version 2' }],
    });
  });

  it('refuses old params of a node type that cannot migrate them', () => {
    const { migrate: _migrate, ...withoutMigrate } = greet;
    const result = validateFlow(savedAtVersion1, createRegistry([...registry.all().filter((n) => n.type !== 'greet'), withoutMigrate]));
    expect(result).toEqual({
      ok: false,
      issues: [{ nodeId: 'greet', field: 'typeVersion', message: 'is 1; Greet is at version 2 here and cannot bring older params up' }],
    });
  });
});
