import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUT_MARKER, RECORD_LIMITS, capStep, capText } from '../../runtime/engine/record-caps.ts';
import type { StepRecord } from '../../runtime/store/types.ts';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
} from '../support/harness.ts';

const MB = 1024 * 1024;
const bytes = (value: unknown) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));

describe('capText', () => {
  it('keeps a text that fits as it is', () => {
    expect(capText('short', 64)).toBe('short');
  });

  it('cuts a long text to the limit and says how much was cut', () => {
    const cut = capText('x'.repeat(100_000), 65_536);
    expect(cut.startsWith('x'.repeat(65_536) + ' ')).toBe(true);
    expect(cut).toContain(`${CUT_MARKER} 34464 of 100000 bytes left out]`);
  });

  it('never leaves half a character', () => {
    const cut = capText('€'.repeat(100), 10);
    expect(cut.startsWith('€€€ ')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
  });
});

describe('capStep', () => {
  const step = (output: unknown): StepRecord => ({
    nodeId: 'n',
    type: 'set-fields',
    state: 'ok',
    port: 'out',
    output,
    startedAt: '2026-12-02T00:00:00.000Z',
    durationMs: 1,
    attempts: 1,
    http: [],
    logs: [],
  });

  it('keeps a step whose JSON fits, even one made of characters JSON escapes', () => {
    // 20,000 control characters: 120,000 bytes of JSON, under the step's cap
    const output = { text: '\u0001'.repeat(20_000) };
    const record = step(output);
    capStep(record);
    expect(record.output).toEqual(output);
  });

  it('cuts a step whose JSON is over its cap, however few characters it has', () => {
    // 30,000 characters only, but 180,000 bytes of JSON: a count of characters would call it small
    const record = step({ text: '\u0001'.repeat(30_000) });
    capStep(record);
    expect(String((record.output as { cut: string }).cut)).toContain(CUT_MARKER);
    expect(bytes(record)).toBeLessThanOrEqual(RECORD_LIMITS.step);
  });
});

describe('the execution log, given a 1 MB answer', () => {
  let t: TestRuntime;
  let target: MockServer;
  const padding = 'p'.repeat(MB);

  beforeAll(async () => {
    target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1', padding } }));
    t = await startRuntime();
    await setUpDemoIntegration(t, target.url);
  });
  afterAll(async () => {
    await t.close();
    await target.stop();
    removeDataDir(t.dataDir);
  });

  it('stores the answer body and every step record capped with a marker, while the run itself read all of it', async () => {
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780', country: 'de' });
    expect(posted.status).toBe(202);
    // the run saw the whole answer: the order id after the padding was read
    const lead = await waitFor(async () => {
      const page = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
      // the execution read below is stored after the update that set the eid: wait for the job to end too
      return page.lead.eid === 'E-1' && page.deliveries[0]?.state === 'done' && page.lead;
    }, 'the lead delivered');
    expect(lead.eid).toBe('E-1');

    const [summary] = (await t.api('GET', `/api/executions?lead=${posted.body.id}`)).body.executions;
    const execution = (await t.api('GET', `/api/executions/${summary.id}`)).body;
    const exchanges = execution.steps.flatMap((step: { http: { response?: { body: string } }[] }) => step.http);
    const answer = exchanges.find((exchange: { response?: { body: string } }) => exchange.response)?.response;
    expect(answer).toBeDefined();
    expect(bytes(answer.body)).toBeLessThan(RECORD_LIMITS.body + 200);
    expect(answer.body).toMatch(
      new RegExp(`\\[cut by the execution log: \\d+ of ${bytes({ status: 'ok', order_id: 'E-1', padding })} bytes left out\\]$`),
    );
    for (const step of execution.steps) {
      // a step as stored: its input is a reference to an earlier output, not a copy
      const { input: _input, ...stored } = step;
      expect(bytes(stored), step.nodeId).toBeLessThan(RECORD_LIMITS.step + 1024);
    }
    expect(JSON.stringify(execution.steps)).toContain('bytes (1.0 MB) of JSON');
  });
});

describe('a text cut twice', () => {
  it('still names the size of the original', () => {
    const once = capText('x'.repeat(100_000), 65_536);
    expect(capText(once, 4096)).toBe(`${'x'.repeat(4096)} ${CUT_MARKER} ${100_000 - 4096} of 100000 bytes left out]`);
  });
});
