import { describe, expect, it } from 'vitest';
import { postbackIn } from '../../nodes/postback-in.ts';
import { runNode } from './context.ts';

const postback = (input: unknown) => runNode(postbackIn, { event: 'postback.in', lead: null, input });

describe('Postback In', () => {
  it('handles the postback event only', () => {
    expect(postbackIn.events).toEqual(['postback.in']);
    expect(postbackIn.inputs).toEqual([]);
  });

  it('gives the query and body fields as one object, body fields winning, without the token', async () => {
    const { result } = await postback({
      query: { token: 'tok-1', id: '42', status: 'from-query' },
      body: { status: 'approved', comment: 'called back' },
    });
    expect(result.output).toEqual({ id: '42', status: 'approved', stage: 'approve', comment: 'called back' });
  });

  it('writes numbers and booleans the target sent as text', async () => {
    const { result } = await postback({ query: {}, body: { payout: 12.5, paid: true, status: 3 } });
    expect(result.output).toEqual({ payout: '12.5', paid: 'true', status: '3' });
  });

  it('reads a body left as form text', async () => {
    const { result } = await postback({ query: { eid: 'E-1' }, body: 'status=cancel&reason=no+answer&token=x' });
    expect(result.output).toEqual({ eid: 'E-1', status: 'cancel', stage: 'cancel', reason: 'no answer' });
  });

  it('reads a body left as JSON text', async () => {
    const { result } = await postback({ query: { token: 'x' }, body: '{"eid":"E-2","status":"approved"}' });
    expect(result.output).toEqual({ eid: 'E-2', status: 'approved', stage: 'approve' });
  });

  it('recognises the status against its lists in any letter case, and leaves an unknown one without a stage', async () => {
    expect((await postback({ query: { status: 'Confirmed' } })).result.output).toMatchObject({ stage: 'approve' });
    expect((await postback({ query: { status: 'SPAM' } })).result.output).toMatchObject({ stage: 'trash' });
    expect((await postback({ query: { status: 'processing' } })).result.output).toMatchObject({ stage: 'wait' });
    const unknown = (await postback({ query: { status: 'weird' } })).result.output as Record<string, unknown>;
    expect(unknown.status).toBe('weird');
    expect(unknown.stage).toBeUndefined();
  });

  it('lets the call override the lists the AlterCPA way: sta, sth, stw, stc, stt', async () => {
    const call = (status: string) => postback({ query: { status, sta: '5,7', stc: 'approved', stt: '9', stw: '1', sth: 'x,y' } });
    expect((await call('7')).result.output).toMatchObject({ stage: 'approve' });
    expect((await call('approved')).result.output).toMatchObject({ stage: 'cancel' });
    expect((await call('9')).result.output).toMatchObject({ stage: 'trash' });
    expect((await call('1')).result.output).toMatchObject({ stage: 'wait' });
    expect((await call('Y')).result.output).toMatchObject({ stage: 'hold' });
  });

  it("reads our id and the target's from the fields its params name", async () => {
    const run = await runNode(postbackIn, {
      event: 'postback.in',
      lead: null,
      input: { query: { order: '17', ext: 'E-17', state: 'accepted' } },
      params: { oidField: 'order', eidField: 'ext', statusField: 'state' },
    });
    expect(run.result.output).toMatchObject({ oid: '17', eid: 'E-17', status: 'accepted', stage: 'approve' });
  });
});
