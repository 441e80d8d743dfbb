import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, startMock, startRuntime, type MockTarget } from '../../bench/harness.ts';
import { startPgRuntimes } from '../../bench/pg-runtimes.ts';
import { startBenchPostgres } from '../../bench/postgres.ts';
import { delivered, SEND_LEAD, setUpSend } from '../../bench/scenarios/send-integration.ts';
import { testServerUrl } from '../support/postgres.ts';

/** A server answering 201 to every request, counting them. */
async function counting(): Promise<{ url: string; count(): number; close(): Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/leads`,
    count: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the load generator given several runtimes', () => {
  it('spreads the requests evenly over them, as fast as it goes and paced', async () => {
    const a = await counting();
    const b = await counting();
    try {
      const flat = await load({ url: [a.url, b.url], body: { x: 1 }, connections: 4, amount: 40 });
      expect(flat.ok).toBe(40);
      expect([a.count(), b.count()]).toEqual([20, 20]);
      const paced = await load({ url: [a.url, b.url], body: { x: 1 }, connections: 4, amount: 40, overallRate: 400 });
      expect(paced.ok).toBe(40);
      expect([a.count(), b.count()]).toEqual([40, 40]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('two bench runtimes on one PostgreSQL database', () => {
  let mock: MockTarget;
  beforeAll(async () => {
    mock = await startMock(1);
  });
  afterAll(() => mock.stop());

  it('share the configuration made through the first, and deliver every lead posted to either to wait', async () => {
    const postgres = await startBenchPostgres({ LEADFLOW_BENCH_DATABASE_URL: testServerUrl() });
    const cluster = await startPgRuntimes(postgres, startRuntime, 2, (first) => setUpSend(first, mock.url));
    try {
      expect(cluster.target.url).toHaveLength(2);
      const posted = await load({ ...cluster.target, body: SEND_LEAD, connections: 4, amount: 30 });
      expect(posted.ok).toBe(30);
      const d = await delivered(cluster, 0, 30);
      expect(d.count).toBe(30);
      expect(d.executionMs).toHaveLength(30);
      expect(await cluster.call('maxLeadId')).toBe(30);
      expect(cluster.runtimeCpuMs()).toBeGreaterThan(0);
      // a server the bench did not start: its CPU is not read
      expect(cluster.databaseCpuMs()).toBeUndefined();
    } finally {
      await cluster.stop();
      await postgres.stop();
    }
  }, 120_000);
});
