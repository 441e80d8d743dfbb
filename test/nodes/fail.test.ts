import { describe, expect, it } from 'vitest';
import { fail } from '../../nodes/fail.ts';
import { runNode } from './context.ts';

const answer = { status: 200, ok: true, headers: {}, body: { status: 'error', error: 'bad api key' } };

describe('Fail', () => {
  it('ends the run with the message written from the answer, not retryable by default, and takes no exit', async () => {
    const { result } = await runNode(fail, { input: answer });
    expect(result.port).toBeUndefined();
    expect(result.failure).toEqual({ code: 'target_error', message: 'the target answered with an error: bad api key', retryable: false });
    expect(result.output).toEqual({
      error: { code: 'target_error', message: 'the target answered with an error: bad api key' },
      input: answer,
    });
  });

  it('is retryable when asked, with the least wait it names, for the delivery queue to honour', async () => {
    const { result } = await runNode(fail, {
      input: answer,
      params: { message: 'maintenance: {{input.body.error}}', code: 'maintenance', retryable: 'yes', retryAfterSeconds: 300 },
    });
    expect(result.failure).toEqual({ code: 'maintenance', message: 'maintenance: bad api key', retryable: true, retryAfterMs: 300_000 });
  });

  it('a wait set while not retryable means nothing, and a blank message or code falls back to a plain one', async () => {
    const { result } = await runNode(fail, { params: { message: ' ', code: '', retryAfterSeconds: 60 } });
    expect(result.failure).toEqual({ code: 'target_error', message: 'the flow failed on purpose', retryable: false });
  });
});
