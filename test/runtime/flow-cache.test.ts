/**
 * The flow service's cache of current versions and the store's change reports: a version saved
 * behind the service's back (another runtime on a shared store) runs once the store reports it,
 * and a read begun before a report never caches the version it replaced.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import { FlowService } from '../../runtime/services/flows.ts';
import { openLowdbConfigStore } from '../../runtime/store/lowdb.ts';
import type { ConfigStore } from '../../runtime/store/types.ts';

const registry = await loadNodeRegistry();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const flow = (id: string, name: string): FlowDoc => ({
  id,
  name,
  event: 'lead.new',
  version: 0,
  nodes: [{ id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} }],
  edges: [],
});

async function store(): Promise<ConfigStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-flow-cache-'));
  dirs.push(dir);
  return openLowdbConfigStore(dir);
}

describe("the flow service's current versions", () => {
  it('are read again once the store reports their flow changed, or everything', async () => {
    const config = await store();
    await config.saveFlowVersion(flow('send', 'Send'), 'anna');
    await config.saveFlowVersion(flow('other', 'Other'), 'anna');
    const flows = new FlowService(config, registry);
    expect((await flows.load('send')).name).toBe('Send');
    await flows.load('other');

    // saved behind the service's back, as another runtime saves on a shared store
    await config.saveFlowVersion(flow('send', 'Send v2'), 'boris');
    await config.saveFlowVersion(flow('other', 'Other v2'), 'boris');
    expect((await flows.load('send')).name).toBe('Send');

    flows.forget({ kind: 'integration', id: 'send' });
    expect((await flows.load('send')).name).toBe('Send');
    flows.forget({ kind: 'flow', id: 'send' });
    expect((await flows.load('send')).name).toBe('Send v2');
    expect((await flows.load('other')).name).toBe('Other');
    flows.forget({ kind: 'all', id: '*' });
    expect((await flows.load('other')).name).toBe('Other v2');
  });

  it('a load that read a version before a change was reported does not keep it', async () => {
    const config = await store();
    await config.saveFlowVersion(flow('send', 'Send'), 'anna');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // a store whose answer to this read arrives late: the report of the next save comes first
    const slow: ConfigStore = Object.create(config, {
      getFlowVersion: { value: (id: string, version?: number) => config.getFlowVersion(id, version).then((doc) => gate.then(() => doc)) },
    });
    const flows = new FlowService(slow, registry);

    const loading = flows.load('send');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await config.saveFlowVersion(flow('send', 'Send v2'), 'boris');
    flows.forget({ kind: 'flow', id: 'send' });
    release();

    expect((await loading).name).toBe('Send');
    expect((await flows.load('send')).name).toBe('Send v2');
  });
});
