import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

async function runtime(): Promise<TestRuntime> {
  const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  cleanups.push(() => target.stop());
  const t = await startRuntime();
  cleanups.push(() => removeDataDir(t.dataDir));
  await setUpDemoIntegration(t, target.url);
  return t;
}

/** A raw keep-alive connection, so the test decides when each byte of a request goes. */
async function open(url: string): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => text, ended };
}

describe('closing the runtime', () => {
  it('answers a request received before the close began, with Connection: close, and stores its lead once', async () => {
    const t = await runtime();
    const body = JSON.stringify({ offer: 'tea', name: 'Half Sent', phone: '+4915123456789', country: 'DE' });
    const { socket, received, ended } = await open(t.url);
    // the headers and half the body are in when the close begins
    socket.write(
      `POST /api/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Api-Key: ${t.intakeKey}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body.slice(0, 20)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = t.runtime.close({ graceMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(body.slice(20));
    await ended;
    const report = await closed;

    const answer = received();
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    const id = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).id;
    expect(report).toEqual({ released: 0, unanswered: 0 });

    const again = await startRuntime({ dataDir: t.dataDir });
    cleanups.push(() => again.close());
    expect((await again.runtime.leads.listLeads({})).map((lead) => [lead.id, lead.name])).toEqual([[id, 'Half Sent']]);
  });

  it('closes at once a kept-alive connection that sent nothing', async () => {
    const t = await runtime();
    const { ended } = await open(t.url);
    const started = Date.now();
    await t.runtime.close({ graceMs: 5_000 });
    await ended;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
