import { describe, expect, it } from 'vitest';
import { postbackTrigger } from '../../nodes/postback-trigger.ts';
import { runNode, sampleLead } from './context.ts';

describe('Postback Trigger', () => {
  it("queues a GET postback to the webmaster's own URL for the run's lead by default", async () => {
    const input = { lead: { id: 9 } };
    const run = await runNode(postbackTrigger, { lead: sampleLead({ id: 9 }), input });
    expect(run.postbacks).toEqual([{ url: '', method: 'GET', leadId: 9 }]);
    expect(run.result.output).toBe(input);
  });

  it('queues the URL given with its macros left for the postback queue to fill in', async () => {
    const url = 'https://tracker.example.com/pb?clickid={subid}&status={stage}&sum={payout}';
    const run = await runNode(postbackTrigger, { params: { url, method: 'POST' } });
    expect(run.postbacks).toEqual([{ url, method: 'POST', leadId: 42 }]);
  });

  it('a run without a lead is an error', async () => {
    await expect(runNode(postbackTrigger, { lead: null, input: {} })).rejects.toThrow('Postback Trigger needs a lead');
  });
});
