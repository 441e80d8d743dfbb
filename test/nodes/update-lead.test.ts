import { describe, expect, it } from 'vitest';
import { updateLead } from '../../nodes/update-lead.ts';
import { LeadBook, runNode, sampleLead } from './context.ts';

describe('Update Lead', () => {
  it("stores the external id, stage and status of the answer on the run's lead, as a delivery", async () => {
    const lead = sampleLead();
    const run = await runNode(updateLead, { lead, input: { eid: 'E-1', stage: 'wait', status: 'processing' } });
    expect(run.leads.changes).toEqual([
      { source: 'delivery', setEid: 'E-1', stage: 'wait', status: 'processing', reason: undefined, comment: undefined },
    ]);
    expect(run.result.port ?? 'out').toBe('out');
    expect(run.result.output).toEqual({ lead: { id: 42, stage: 'wait', eid: 'E-1', status: 'processing' }, stageChanged: true });
  });

  it("stores the target's status code beside its status text, as Map Status gives them", async () => {
    const lead = sampleLead({ stage: 'wait', eid: 'E-1' });
    const run = await runNode(updateLead, {
      event: 'status.processing',
      lead,
      input: { oid: '42', stage: 'cancel', status: 'cancel', statusCode: '5', reason: '2' },
      params: { find: 'oid', setEid: '' },
    });
    expect(run.leads.changes[0]).toMatchObject({ oid: 42, stage: 'cancel', status: 'cancel', statusCode: '5', reason: '2' });
    expect(run.result.output).toEqual({
      lead: { id: 42, stage: 'cancel', eid: 'E-1', status: 'cancel', statusCode: '5' },
      stageChanged: true,
    });
  });

  it('leaves fields given empty as they are', async () => {
    const lead = sampleLead({ stage: 'wait', eid: 'E-1', status: 'processing', reason: 'old reason' });
    const run = await runNode(updateLead, { lead, input: { stage: '', status: '  ', reason: undefined, comment: null } });
    expect(run.leads.changes[0]).toEqual({ source: 'delivery' });
    expect(run.result.output).toEqual({ lead: { id: 42, stage: 'wait', eid: 'E-1', status: 'processing' }, stageChanged: false });
    expect(lead.reason).toBe('old reason');
  });

  it('in a postback finds the lead by its external id and records the change as a postback', async () => {
    const book = new LeadBook([sampleLead({ id: 1, eid: 'A' }), sampleLead({ id: 2, eid: 'B', stage: 'wait' })]);
    const run = await runNode(updateLead, {
      event: 'postback.in',
      lead: null,
      leads: book,
      input: { eid: 'B', stage: 'approve', status: 'Approved', payout: '12,50', comment: 'paid' },
      params: { find: 'eid' },
    });
    expect(book.changes[0]).toMatchObject({ eid: 'B', stage: 'approve', payout: 12.5, comment: 'paid', source: 'postback' });
    expect(run.result.output).toEqual({ lead: { id: 2, stage: 'approve', eid: 'B', status: 'Approved' }, stageChanged: true });
    expect(book.leads[1].payout).toBe(12.5);
  });

  it('in a status check finds the lead by our id and records the change as a status check', async () => {
    const book = new LeadBook([sampleLead({ id: 5, stage: 'wait' })]);
    const run = await runNode(updateLead, {
      event: 'status.processing',
      lead: null,
      leads: book,
      input: { oid: '5', stage: 'cancel', reason: 'no answer' },
      params: { find: 'oid' },
    });
    expect(book.changes[0]).toMatchObject({ oid: 5, stage: 'cancel', reason: 'no answer', source: 'status-check' });
    expect(run.result.output).toMatchObject({ lead: { id: 5, stage: 'cancel' }, stageChanged: true });
  });

  it("auto finds the lead by our id when the input has one, else by the target's", async () => {
    const book = new LeadBook([sampleLead({ id: 5, stage: 'wait', eid: 'E-5' }), sampleLead({ id: 6, stage: 'wait', eid: 'E-6' })]);
    await runNode(updateLead, {
      event: 'postback.in',
      lead: null,
      leads: book,
      input: { oid: '5', stage: 'approve' },
      params: { find: 'auto' },
    });
    await runNode(updateLead, {
      event: 'postback.in',
      lead: null,
      leads: book,
      input: { eid: 'E-6', stage: 'hold' },
      params: { find: 'auto' },
    });
    expect(book.changes.map((c) => [c.oid, c.eid, c.stage])).toEqual([
      [5, undefined, 'approve'],
      [undefined, 'E-6', 'hold'],
    ]);
    expect(book.leads.map((l) => l.stage)).toEqual(['approve', 'hold']);
  });

  it('a lead that is not there takes the not_found port', async () => {
    const run = await runNode(updateLead, {
      event: 'postback.in',
      leads: new LeadBook([]),
      input: { eid: 'nope', stage: 'approve' },
      params: { find: 'eid' },
    });
    expect(run.result.port).toBe('not_found');
    expect(run.result.failure).toMatchObject({ code: 'lead_not_found', retryable: false });
    expect(run.result.failure?.message).toMatch(/nope/);
  });

  it("with no id to find the lead by, takes the not_found port without asking for the run's own lead", async () => {
    const run = await runNode(updateLead, { event: 'postback.in', input: { stage: 'approve' }, params: { find: 'eid' } });
    expect(run.result.port).toBe('not_found');
    expect(run.leads.changes).toEqual([]);
  });

  it('a late wait does not undo approve: the lead stays approved and stageChanged is false', async () => {
    const lead = sampleLead({ stage: 'approve' });
    const run = await runNode(updateLead, { lead, input: { stage: 'wait' } });
    expect(run.result.output).toMatchObject({ lead: { stage: 'approve' }, stageChanged: false });
  });

  it('accepts a stage written in capitals', async () => {
    const run = await runNode(updateLead, { input: { stage: ' Approve ' } });
    expect(run.leads.changes[0].stage).toBe('approve');
  });

  it('a stage that is not one of ours is an error listing the stages', async () => {
    await expect(runNode(updateLead, { input: { stage: 'approved' } })).rejects.toThrow(
      'stage "approved" is not one of new, wait, hold, approve, cancel, trash',
    );
  });

  it('a payout that is not a number is an error', async () => {
    await expect(runNode(updateLead, { input: { payout: 'ten' } })).rejects.toThrow(/payout "ten"/);
  });
});
