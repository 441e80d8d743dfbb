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
    expect(result.output).toEqual({ id: '42', status: 'approved', comment: 'called back' });
  });

  it('writes numbers and booleans the target sent as text', async () => {
    const { result } = await postback({ query: {}, body: { payout: 12.5, paid: true, status: 3 } });
    expect(result.output).toEqual({ payout: '12.5', paid: 'true', status: '3' });
  });

  it('reads a body left as form text', async () => {
    const { result } = await postback({ query: { eid: 'E-1' }, body: 'status=cancel&reason=no+answer&token=x' });
    expect(result.output).toEqual({ eid: 'E-1', status: 'cancel', reason: 'no answer' });
  });

  it('reads a body left as JSON text', async () => {
    const { result } = await postback({ query: { token: 'x' }, body: '{"eid":"E-2","status":"approved"}' });
    expect(result.output).toEqual({ eid: 'E-2', status: 'approved' });
  });
});
