import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('validate checks an integration template: its schema, each of its flows, and the names they use that it does not ask for', async () => {
    const ok = await leadflow('validate', 'flows/templates/altercpa.json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('template with 2 flows');
    expect(ok.stdout).toContain('send: valid (lead.new, ');
    expect(ok.stdout).toContain('status: valid (status.processing, ');

    const template = JSON.parse(readFileSync(path.join(ROOT, 'flows/templates/altercpa.json'), 'utf8'));
    template.flows[0].nodes.find((n: { id: string }) => n.id === 'send').params.url = '{{integration.settings.api_url}}/add.json';
    template.flows[1].nodes.find((n: { id: string }) => n.id === 'list').params.url = '{{input.body | nope}}';
    writeFileSync(path.join(dir, 'template.json'), JSON.stringify(template));
    const broken = await leadflow('validate', path.join(dir, 'template.json'));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('send: names settings "api_url", which the template does not ask for');
    expect(broken.stderr).toContain('status: invalid');
    expect(broken.stderr).toContain('unknown filter "nope"');

    writeFileSync(path.join(dir, 'not-a-template.json'), JSON.stringify({ ...template, kind: undefined, flows: [{}] }));
    const shapeless = await leadflow('validate', path.join(dir, 'not-a-template.json'));
    expect(shapeless.code).toBe(1);
    expect(shapeless.stderr).toContain('not a valid template');
  });

  it("run --event runs a template's status flow on a sample batch and says which lead each row would move, changing nothing", async () => {
    const network = await startMockServer((r) =>
      r.path === '/api/ext/list.json'
        ? {
            body: {
              '100001': { uid: 100001, id: '7', stage: 'approve', status: 6, comment: 'paid' },
              '100002': { uid: 100002, id: '99', stage: 'cancel', status: 5 },
            },
          }
        : { body: { status: 'error', error: 'func' } },
    );
    try {
      writeFileSync(
        path.join(dir, 'batch.json'),
        JSON.stringify({ ids: [7], eids: ['100001', '100002'], leads: [{ id: 7, eid: '100001', stage: 'wait' }] }),
      );
      const result = await leadflow(
        'run',
        'flows/templates/altercpa.json',
        '--event',
        'status.processing',
        '--batch',
        path.join(dir, 'batch.json'),
        '--set',
        `base_url=${network.url}`,
        '--set',
        'user_id=17',
        '--secret',
        'api_key=cli-acpa-key',
      );
      expect(network.received[0].query).toMatchObject({ id: '17-cli-acpa-key', ids: '100001,100002' });
      expect(result.stdout).toContain('would do (nothing was changed):');
      expect(result.stdout).toContain('update oid 7 → lead 7: wait → approve; status approve, code 6');
      expect(result.stdout).toContain('update oid 99: no such lead (would have asked for cancel)');
      expect(result.stdout).not.toContain('cli-acpa-key');

      const missing = await leadflow('run', 'flows/templates/altercpa.json', '--event', 'status.processing');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('give --batch <batch.json>');
      const noEvent = await leadflow('run', 'flows/templates/altercpa.json', '--batch', path.join(dir, 'batch.json'));
      expect(noEvent.stderr).toContain('name one with --event (lead.new, status.processing)');
    } finally {
      await network.stop();
    }
  });

  it('run --event postback.in runs a postback flow on a sample call, the lead given being the one it may find', async () => {
    writeFileSync(path.join(dir, 'call.json'), JSON.stringify({ query: { order_id: 'C-1', status: 'confirmed' } }));
    writeFileSync(path.join(dir, 'known.json'), JSON.stringify({ offer: 'tea', phone: '+49 151 2345678', eid: 'C-1' }));
    const result = await leadflow(
      'run',
      'flows/demo/demo-crm-postback.json',
      '--event',
      'postback.in',
      '--call',
      path.join(dir, 'call.json'),
      '--lead',
      path.join(dir, 'known.json'),
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('flow demo-crm-postback v1 (postback.in): success');
    expect(result.stdout).toContain('update eid C-1 → lead 0: wait → approve');
    const wrong = await leadflow(
      'run',
      'flows/demo/demo-crm-postback.json',
      '--event',
      'status.range',
      '--call',
      path.join(dir, 'call.json'),
    );
    expect(wrong.stderr).toContain('the flow handles postback.in, not status.range');
  });
});
