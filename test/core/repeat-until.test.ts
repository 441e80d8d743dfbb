import { describe, expect, it } from 'vitest';
import { isReady, repeatOutcome, type RepeatPlan } from '../../core/node/repeat-until.ts';

const pending = { output: { status: 202, ok: true, body: { status: 'pending' } } };
const ready = { output: { status: 200, ok: true, body: { status: 'ready', url: 'https://x.test/a' } } };
const plan = (over: Partial<RepeatPlan> = {}): RepeatPlan => ({
  until: 'field',
  field: 'body.status',
  value: 'ready',
  everyMs: 500,
  forMs: 2000,
  whenNotReady: 'fail',
  ...over,
});

describe('repeat until ready', () => {
  it('a field with the ready value, or any value when none is named, is ready', () => {
    expect(isReady(plan(), ready.output)).toBe(true);
    expect(isReady(plan(), pending.output)).toBe(false);
    expect(isReady(plan({ field: 'body.url', value: '' }), ready.output)).toBe(true);
    expect(isReady(plan({ field: 'body.url', value: '' }), pending.output)).toBe(false);
  });

  it('a status in the ready list is ready; a 404 "not yet" is asked again like a 202', () => {
    const byStatus = plan({ until: 'status', statuses: '200, 201' });
    expect(repeatOutcome(byStatus, ready, 0)).toBe(ready);
    expect(repeatOutcome(byStatus, pending, 0)).toMatchObject({ again: { afterMs: 500 } });
    const notYet = {
      port: 'http_error',
      output: { status: 404, ok: false },
      failure: { code: 'http_error', message: 'HTTP 404', retryable: false },
    };
    expect(repeatOutcome(byStatus, notYet, 0)).toEqual({ output: notYet.output, again: { afterMs: 500 } });
  });

  it('a refusal or a network error is not "not ready": it goes on as the answer it is', () => {
    const refused = {
      port: 'http_error',
      output: { status: 400, ok: false },
      failure: { code: 'http_error', message: 'HTTP 400', retryable: false },
    };
    expect(repeatOutcome(plan(), refused, 0)).toBe(refused);
  });

  it('asks again while the next ask fits in the longest wait, then does what "when still not ready" says', () => {
    expect(repeatOutcome(plan(), pending, 1500)).toMatchObject({ again: { afterMs: 500 } });
    expect(repeatOutcome(plan(), pending, 1600)).toMatchObject({ failure: { code: 'not_ready', retryable: false } });
    expect(repeatOutcome(plan({ whenNotReady: 'retry' }), pending, 1600)).toMatchObject({
      failure: { code: 'not_ready', retryable: true },
    });
    expect(repeatOutcome(plan({ whenNotReady: 'out' }), pending, 1600)).toEqual({ port: 'out', output: pending.output });
  });

  it("the host's bound (a synchronous caller waiting) cuts the wait short", () => {
    expect(repeatOutcome(plan({ forMs: 60_000 }), pending, 900, 1000)).toMatchObject({ failure: { code: 'not_ready' } });
  });

  it('off: one call, the answer as it is', () => {
    expect(repeatOutcome(plan({ until: 'off' }), pending, 0)).toBe(pending);
  });
});
