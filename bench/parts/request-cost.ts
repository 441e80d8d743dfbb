/**
 * A synchronous registration's cost to the runtime, in this process: the runtime itself
 * (`createRuntime`, the compiled-in default settings, the embedded store in a fresh folder) with the
 * registration flow at the bench's mock target (answering at once), loaded by the bench's load
 * generator from its own process (`POST /api/leads`, 20 connections, `--requests` in all). Seven
 * rounds of CPU per request (the process's: the load's HTTP client is not in it), then one round
 * under V8's sampling heap profiler: the bytes a request allocates, and the functions that
 * allocated most — a figure the machine's load does not move, where the CPU's does. Runs through
 * tsx, so a function's line is its file's first.
 *
 *   npx tsx bench/parts/request-cost.ts [--requests 5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createRuntime } from '../../runtime/runtime.ts';
import { adminApi, load, startMock } from '../harness.ts';
import { setUpRegister } from '../scenarios/sync-register.ts';
import { SEND_LEAD } from '../scenarios/send-integration.ts';
import { allocated } from './allocation.ts';
import { cpuRounds, medianAndLeast } from './rounds.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' } } });
const REQUESTS = Number(values.requests);
const CONNECTIONS = 20;
const PASSWORD = 'request-cost-admin-password';

const dataDir = mkdtempSync(path.join(tmpdir(), 'leadflow-request-cost-'));
const mock = await startMock(0);
const runtime = await createRuntime({ dataDir, logger: pino({ level: 'warn' }), allowPrivateTargets: true, adminPassword: PASSWORD });
const url = await runtime.listen(0, '127.0.0.1');
try {
  const api = await adminApi(url, PASSWORD);
  await setUpRegister({ api }, mock.url);
  const { key } = (await api('POST', '/api/sources', { id: 'bench', name: 'Bench network', kind: 'network', offers: '*' })) as {
    key: string;
  };
  const spec = {
    url: `${url}/api/leads`,
    headers: { 'x-api-key': key },
    body: { ...SEND_LEAD, offer: 'fx' },
    connections: CONNECTIONS,
    amount: REQUESTS,
  };

  const perRequest = await cpuRounds(async () => (await load(spec)).ok);
  console.log(
    `synchronous registration, ${REQUESTS} requests over ${CONNECTIONS} connections: ${medianAndLeast(perRequest)} µs CPU per request`,
  );
  const { bytes, top } = await allocated(async () => void (await load(spec)));
  console.log(`  allocated ${(bytes / REQUESTS / 1024).toFixed(1)} KB per request; most by:`);
  for (const [where, b] of top) console.log(`  ${(b / REQUESTS / 1024).toFixed(2).padStart(7)} KB  ${where}`);
} finally {
  await runtime.close();
  mock.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
