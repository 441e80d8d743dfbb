/**
 * The first test run of an integration made from a template passes with the sample lead the
 * kernel makes for it (no lead typed in): dry, it reaches the request it would send; for real,
 * against the template's sandbox, the lead would go to `wait` (or the caller gets its answer).
 */
import { describe, expect, it } from 'vitest';
import { SANDBOXES, type SandboxKind } from '../../runtime/sandboxes/index.ts';
import { removeDataDir, setUpFromTemplate, startRuntime, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

describe('the first test run of a template integration', () => {
  for (const kind of Object.keys(SANDBOXES) as SandboxKind[]) {
    it(`of ${kind} passes with the sample lead: stopped before sending when dry, accepted when sent for real`, async () => {
      const target = await SANDBOXES[kind].start(0, { stepMs: 60_000 });
      const t = await startRuntime();
      cleanups.push(
        () => target.close(),
        () => t.close(),
        () => removeDataDir(t.dataDir),
      );
      const created = await setUpFromTemplate(t, {
        template: kind,
        id: kind,
        settings: target.settings,
        secrets: target.secrets,
        offerParameters: target.offerParameters,
      });
      const flows = created.integration?.flows ?? created.flows;
      const event = flows['lead.new'] ? 'lead.new' : flows['lead.register'] ? 'lead.register' : undefined;
      if (!event) return; // a template for approved orders only (fulfilment): no first lead to send
      const path = `/api/flows/${flows[event]}/test`;

      const dry = await t.api('POST', path, { integration: kind });
      expect(dry.status, JSON.stringify(dry.body)).toBe(200);
      expect(dry.body.trigger.offer).toBe(`offer-${kind}`);
      expect(dry.body.error, JSON.stringify(dry.body.error)).toBeUndefined();
      expect(dry.body.execution.state).toBe('stopped');
      expect(dry.body.stopped.request.url).toContain(target.url);

      const real = await t.api('POST', path, { integration: kind, send: 'real' });
      expect(real.status, JSON.stringify(real.body)).toBe(200);
      expect(real.body.error, JSON.stringify(real.body.error)).toBeUndefined();
      expect(real.body.execution.state).toBe('success');
      if (event === 'lead.new') expect(real.body.updates).toMatchObject([{ stageAfter: 'wait', stageChanged: true }]);
      else expect(real.body.response?.status).toBeLessThan(300);
    });
  }
});
