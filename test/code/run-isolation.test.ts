/**
 * Nothing survives between two runs on one sandbox thread, though the thread opens each run's
 * runtime and context while it waits and compiles a repeated script ahead: a one-thread pool puts
 * every run on the same worker, so each run here after the first takes a stage prepared after the
 * one before (and, from the third run of a script on, its function compiled ahead).
 */
import { createHmac } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createCodeRunner, ownedBy } from '../../runtime/engine/code-sandbox-pool.ts';
import { CODE_LIMITS, type CodeGlobals, type CodeOutcome } from '../../core/node/code-sandbox.ts';
import { sampleLead } from '../nodes/context.ts';

const pool = createCodeRunner({ threads: 1 });
afterAll(() => pool.close());

const integrations = [ownedBy(pool, 'crm-a'), ownedBy(pool, 'crm-b')];

/** Globals for a lead of one integration. */
function globalsOf(id: number, integration: number): CodeGlobals {
  return { input: { n: id }, lead: sampleLead({ id }), settings: { owner: `crm-${integration}` } };
}

/** Runs `script` for leads 1…count, the integrations taking turns; each run's value. */
async function runsOf(script: string, count = 5, keys: (integration: number) => Record<string, string> = () => ({})): Promise<unknown[]> {
  const values: unknown[] = [];
  for (let id = 1; id <= count; id++) {
    const integration = id % 2;
    const outcome: CodeOutcome = await integrations[integration].run(script, globalsOf(id, integration), CODE_LIMITS, keys(integration));
    if (!outcome.ok) throw new Error(`run ${id} failed: ${outcome.error.message}`);
    values.push(outcome.value);
  }
  return values;
}

describe('runs of the same script on one sandbox thread, for leads of two integrations', () => {
  it('each finds the globals pristine: what the run before set, in any way, is gone', async () => {
    const values = await runsOf(`
      const before = {
        global: typeof globalThis.lastLead, sloppy: typeof sloppyLead,
        timers: [typeof setTimeout, typeof setInterval, typeof queueMicrotask],
      };
      globalThis.lastLead = lead.id;
      sloppyLead = lead.id;
      return { before, lead: lead.id, owner: integration.settings.owner };
    `);
    values.forEach((value, n) =>
      expect(value).toEqual({
        before: { global: 'undefined', sloppy: 'undefined', timers: ['undefined', 'undefined', 'undefined'] },
        lead: n + 1,
        owner: `crm-${(n + 1) % 2}`,
      }),
    );
  });

  it('each finds the prototypes and built-ins pristine, and its result still comes out as JSON', async () => {
    const values = await runsOf(`
      const before = { polluted: ({}).polluted ?? null, mapped: [1, 2].map((n) => n * 2), parsed: JSON.parse('[3]') };
      Object.prototype.polluted = lead.id;
      Array.prototype.map = () => 'hijacked';
      JSON.parse = () => 'hijacked';
      JSON.stringify = () => '"hijacked"';
      return before;
    `);
    for (const value of values) expect(value).toEqual({ polluted: null, mapped: [2, 4], parsed: [3] });
  });

  it('none can reach a closure or a value the run before kept: on its function, its helpers or a promise', async () => {
    const values = await runsOf(`
      const self = arguments.callee;
      const before = {
        onFunction: self.kept === undefined ? null : self.kept(),
        onHelpers: helpers.kept ?? null,
        onConsole: console.kept ?? null,
      };
      const secret = 'lead ' + lead.id;
      self.kept = () => secret;
      helpers.kept = secret;
      console.kept = secret;
      Promise.prototype.then.kept = secret;
      return before;
    `);
    for (const value of values) expect(value).toEqual({ onFunction: null, onHelpers: null, onConsole: null });
  });

  it('promise jobs a run left behind when it hit its deadline never run in the next, nor write to its log', async () => {
    const left = await integrations[0].run(
      `const spin = () => Promise.resolve().then(() => { globalThis.spins = (globalThis.spins ?? 0) + 1; helpers.log('spin'); return spin(); });
       spin();
       for (;;) {}`,
      globalsOf(1, 0),
      { ...CODE_LIMITS, timeoutMs: 100 },
    );
    expect(left).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'time' } });
    const next = await integrations[1].run('await null; return { spins: globalThis.spins ?? 0 };', globalsOf(2, 1), CODE_LIMITS);
    expect(next).toMatchObject({ ok: true, value: { spins: 0 }, logs: [] });
  });

  it("each signs with its own integration's key, though the helpers were installed before the run", async () => {
    const keys = (integration: number) => ({ sign: `secret-of-${integration}` });
    const values = await runsOf("return helpers.hmac('sha256', helpers.key('sign'), 'lead ' + lead.id);", 6, keys);
    values.forEach((value, n) => {
      const id = n + 1;
      expect(value).toBe(
        createHmac('sha256', `secret-of-${id % 2}`)
          .update(`lead ${id}`)
          .digest('hex'),
      );
    });
  });

  it('each runs under its own limits, not those of the run before', async () => {
    const script = 'const rows = []; for (let i = 0; i < input.n; i++) rows.push({ i, text: "row " + i }); return rows.length;';
    const roomy = { ...CODE_LIMITS, memoryMb: 64 };
    for (let n = 0; n < 2; n++)
      expect(await pool.run(script, { input: { n: 1000 }, settings: {} }, roomy)).toMatchObject({ ok: true, value: 1000 });
    const tight = await pool.run(script, { input: { n: 1e6 }, settings: {} }, { ...CODE_LIMITS, memoryMb: 4 });
    expect(tight).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'memory' } });

    const loop = 'if (input.n > 0) for (;;) {} return 0;';
    for (let n = 0; n < 2; n++) expect(await pool.run(loop, { input: { n: 0 }, settings: {} }, CODE_LIMITS)).toMatchObject({ ok: true });
    const started = performance.now();
    const stopped = await pool.run(loop, { input: { n: 1 }, settings: {} }, { ...CODE_LIMITS, timeoutMs: 50 });
    expect(stopped).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'time' } });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("what a script's code outside its wrapper did while it was compiled ahead never reaches another script", async () => {
    const escaping = "});\nObject.prototype.leak = 'from the escaping script';\n(async function () { return ({}).leak; ";
    for (let n = 0; n < 3; n++) expect(await integrations[0].run(escaping, globalsOf(n, 0), CODE_LIMITS)).toMatchObject({ ok: true });
    // the worker compiled the escaping script ahead for a fourth run; another integration's script comes instead
    const other = await integrations[1].run('return ({}).leak ?? null;', globalsOf(9, 1), CODE_LIMITS);
    expect(other).toMatchObject({ ok: true, value: null });
  });

  it('a script that closes its wrapper early logs and runs its outer code in every run, as before', async () => {
    const script = "});\nconsole.log('outside, lead', typeof lead);\n(async function () {";
    for (let n = 0; n < 4; n++) {
      const outcome = await pool.run(script, globalsOf(n, 0), CODE_LIMITS);
      expect(outcome).toMatchObject({
        ok: true,
        value: null,
        logs: ['outside, lead undefined', expect.stringMatching(/returned nothing/)],
      });
    }
  });
});
