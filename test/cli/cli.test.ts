import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, readFlow, startMockServer, type MockServer } from '../support/harness.ts';

const exec = promisify(execFile);
const BIN = path.join(ROOT, 'bin/leadflow.js');
const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-cli-'));
let target: MockServer;

beforeAll(async () => {
  target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'C-1' } }));
  writeFileSync(path.join(dir, 'lead.json'), JSON.stringify({ offer: 'tea', name: 'Anna', phone: '+49 151 2345678', country: 'de' }));
});
afterAll(() => target.stop());

async function leadflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the command line', () => {
  it('validate accepts the demo flow and names the node and field of a broken one', async () => {
    const ok = await leadflow('validate', 'flows/demo/demo-crm-send.json');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('valid (lead.new, 9 nodes)');

    const flow = readFlow('flows/demo/demo-crm-send.json');
    (flow.nodes as { id: string; params: Record<string, unknown> }[])[3].params.url = '{{integration.settings.base_url | nope}}';
    writeFileSync(path.join(dir, 'broken.json'), JSON.stringify(flow));
    const broken = await leadflow('validate', path.join(dir, 'broken.json'));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('node "send": params.url: unknown filter "nope"');
  });

  it('run sends the lead through the flow and prints the trace node by node, secrets redacted', async () => {
    const result = await leadflow(
      'run',
      'flows/demo/demo-crm-send.json',
      '--lead',
      path.join(dir, 'lead.json'),
      '--set',
      `base_url=${target.url}`,
      '--secret',
      'api_key=cli-key-123',
      '--secret',
      'api_secret=cli-secret-456',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('flow demo-crm-send v1 (lead.new): success');
    for (const node of ['lead', 'order', 'sign', 'send', 'answer', 'stage', 'accepted']) expect(result.stdout).toContain(`● ${node} [`);
    expect(result.stdout).toContain(`http:   POST ${target.url}/api/orders`);
    expect(result.stdout).toContain('← 200 {"status":"ok","order_id":"C-1"}');
    expect(result.stdout).not.toContain('cli-key-123');
    expect(result.stdout).not.toContain('cli-secret-456');
    expect(target.received.at(-1)?.headers['x-api-key']).toBe('cli-key-123');
  });

  it('run exits 1 when the flow fails, and 2 on a missing file', async () => {
    const down = await leadflow(
      'run',
      'flows/demo/demo-crm-send.json',
      '--lead',
      path.join(dir, 'lead.json'),
      '--set',
      'base_url=http://127.0.0.1:1',
      '--secret',
      'api_key=k1234',
      '--secret',
      'api_secret=s1234',
    );
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/failed at send: network_error/);
    const missing = await leadflow('run', 'nope.json', '--lead', 'x.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the flow file nope.json');
  });
});
