/**
 * A synchronous registration whose caller hangs up does not stop its flow, and closing the runtime
 * meanwhile waits for it: the lead's stage and execution are stored before the store closes (the
 * HTTP drain counts a write request in flight until its handler ends the answer, not until its
 * connection closes).
 */
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeDataDir, ROOT, startRuntime, waitFor, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();
// longer than the second the runtime gives its outgoing requests to end once it closes
const TARGET_MS = 1_800;

describe('closing the runtime while a synchronous registration runs for a caller who hung up', () => {
  it('waits for the flow: the lead reaches its stage and its execution is stored', async () => {
    let calls = 0;
    const target = createServer((req, res) => {
      calls++;
      req.resume();
      setTimeout(() => res.end(JSON.stringify({ user_id: 'U-1', login: 'https://broker.example/login/U-1' })), TARGET_MS);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => target.close(() => resolve())));
    const t = await startRuntime();
    cleanups.push(() => removeDataDir(t.dataDir));
    const flow = JSON.parse(readFileSync(path.join(ROOT, 'flows/examples/register-autologin.json'), 'utf8'));
    expect((await t.api('POST', '/api/flows', flow)).status).toBe(201);
    expect((await t.api('POST', '/api/offers', { id: 'fx', name: 'FX' })).status).toBe(201);
    const port = (target.address() as AddressInfo).port;
    const integration = {
      id: 'broker',
      name: 'Broker',
      enabled: true,
      settings: { base_url: `http://127.0.0.1:${port}` },
      offers: ['fx'],
      flows: { 'lead.register': 'register' },
    };
    expect((await t.api('POST', '/api/integrations', integration)).status).toBe(201);

    // the caller posts, and hangs up while the target is still thinking
    const body = JSON.stringify({ offer: 'fx', name: 'Hung Up', email: 'h@example.com', phone: '+4915123456789', country: 'DE' });
    const { hostname, port: runtimePort } = new URL(t.url);
    const caller = request({
      host: hostname,
      port: runtimePort,
      method: 'POST',
      path: '/api/leads',
      headers: { 'content-type': 'application/json', 'x-api-key': t.intakeKey },
    });
    caller.on('error', () => {});
    caller.end(body);
    await waitFor(() => calls === 1, 'the registration at the target');
    caller.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const report = await t.runtime.close({ graceMs: 5_000 });
    expect(report.unanswered).toBe(0);

    const again = await startRuntime({ dataDir: t.dataDir });
    cleanups.push(() => again.close());
    const [lead] = await again.runtime.leads.listLeads({});
    expect(lead).toMatchObject({ name: 'Hung Up', stage: 'wait', eid: 'U-1' });
    const executions = await again.runtime.executions.listExecutions({ leadId: lead.id });
    expect(executions).toEqual([expect.objectContaining({ event: 'lead.register', state: 'success' })]);
  });
});
