/**
 * A stage compiled ahead, in the calling thread: compiling a script runs none of it, the run on
 * the stage answers as a run on a fresh one does, and a script that escapes its wrapper is not
 * compiled ahead at all.
 */
import { describe, expect, it } from 'vitest';
import { CODE_LIMITS } from '../../core/node/code-sandbox.ts';
import { loadQuickJs, toJob, type SandboxJob } from '../../runtime/engine/code-sandbox.ts';
import { closeStage, prepareStage, runScript, runStaged } from '../../runtime/engine/code-sandbox-stage.ts';

function jobOf(script: string, input: unknown, keys: Record<string, string> = {}): SandboxJob {
  const job = toJob(script, { input, settings: {} }, CODE_LIMITS, keys);
  if (!('script' in job)) throw new Error(job.message);
  return job;
}

describe('a stage with its script compiled ahead', () => {
  it('holds the function without having run any of the script', async () => {
    const quickjs = await loadQuickJs();
    const stage = prepareStage(quickjs, CODE_LIMITS, 'globalThis.ran = true;\nreturn input * 2;');
    expect(stage?.compiled).toBeDefined();
    // a probe of our own, under a deadline of its own
    stage!.state = { ...stage!.state, deadline: performance.now() + 1000 };
    const probe = stage!.context.unwrapResult(stage!.context.evalCode('typeof ran'));
    expect(stage!.context.dump(probe)).toBe('undefined');
    probe.dispose();
    expect(closeStage(stage!)).toBe(true);
  });

  it('answers a run as a fresh stage does, with the keys, logs and limits of that run', async () => {
    const quickjs = await loadQuickJs();
    const script = "helpers.log('lead', input);\nreturn { twice: input * 2, signed: helpers.hmac('md5', helpers.key('sign'), 'x') };";
    for (const [input, key] of [
      [1, 'first'],
      [2, 'second'],
    ] as const) {
      const job = jobOf(script, input, { sign: key });
      const fresh = runScript(quickjs, job).reply;
      const stage = prepareStage(quickjs, CODE_LIMITS, script);
      expect(stage?.compiled?.script).toBe(script);
      const run = runStaged(quickjs, job, stage);
      expect(run.broken).toBe(false);
      expect({ ...run.reply, durationMs: 0 }).toEqual({ ...fresh, durationMs: 0 });
      expect(run.reply).toMatchObject({ ok: true, logs: [`lead ${input}`] });
      closeStage(run.stage!);
    }
  });

  it('is not compiled ahead when the script escapes its wrapper and logs, loops or gives no function', async () => {
    const quickjs = await loadQuickJs();
    for (const script of ["});\nconsole.log('outside');\n(async function () {", '});\nfor (;;) {}\n(async function () {', '}) + 1;\n(1']) {
      const stage = prepareStage(quickjs, CODE_LIMITS, script);
      expect(stage, script).toBeDefined();
      expect(stage!.compiled, script).toBeUndefined();
      closeStage(stage!);
    }
    const logged = runStaged(
      quickjs,
      jobOf("});\nconsole.log('outside');\n(async function () {", null),
      prepareStage(quickjs, CODE_LIMITS),
    );
    expect(logged.reply).toMatchObject({ ok: true, logs: ['outside', expect.stringMatching(/returned nothing/)] });
  });
});
