import { describe, expect, it } from 'vitest';
import { mapStatus } from '../../nodes/map-status.ts';
import { runNode } from './context.ts';

const map = (status: unknown, params: Record<string, unknown> = {}, input: unknown = { eid: 'E-1', status }) =>
  runNode(mapStatus, { input, params });

const rules = [
  { match: 'exact', value: 'approved', stage: 'approve' },
  { match: 'list', value: 'new, processing ,call', stage: 'wait' },
  { match: 'pattern', value: '^(reject|declin)', stage: 'cancel' },
];

describe('Map Status', () => {
  it('matches a comma list case-insensitively, ignoring spaces around the items', async () => {
    const { result } = await map(' Processing', { rules });
    expect(result.output).toEqual({ eid: 'E-1', stage: 'wait', status: ' Processing' });
  });

  it('matches an exact value as a whole, not a part of it', async () => {
    expect((await map('APPROVED ', { rules })).result.output).toMatchObject({ stage: 'approve' });
    expect((await map('not approved', { rules })).result.port).toBe('unknown');
  });

  it('matches a pattern as a regular expression ignoring letter case', async () => {
    expect((await map('Declined by operator', { rules })).result.output).toMatchObject({ stage: 'cancel' });
  });

  it('takes the first row that matches', async () => {
    const { result } = await map('approved', {
      rules: [{ match: 'pattern', value: 'approv', stage: 'hold' }, ...rules],
    });
    expect(result.output).toMatchObject({ stage: 'hold' });
  });

  it('writes a numeric status as text and matches it', async () => {
    const { result } = await map(3, { rules: [{ match: 'list', value: '1,2,3', stage: 'approve' }] });
    expect(result.output).toEqual({ eid: 'E-1', stage: 'approve', status: '3' });
  });

  it('uses the default stage for a status no row knows', async () => {
    const { result } = await map('strange', { rules, default: 'hold' });
    expect(result.port ?? 'out').toBe('out');
    expect(result.output).toMatchObject({ stage: 'hold', status: 'strange' });
  });

  it('without a default, an unknown status takes the unknown port', async () => {
    const { result } = await map('strange', { rules });
    expect(result.port).toBe('unknown');
    expect(result.output).toEqual({ eid: 'E-1', stage: undefined, status: 'strange' });
    expect(result.failure).toEqual({ code: 'unknown_status', message: 'no rule for status "strange"', retryable: false });
  });

  it('ignores rows left empty, which would otherwise match everything', async () => {
    const { result } = await map('strange', {
      rules: [
        { match: 'pattern', value: '', stage: 'approve' },
        { match: 'exact', value: '', stage: 'wait' },
      ],
    });
    expect(result.port).toBe('unknown');
  });

  it('knows the usual statuses out of the box', async () => {
    const stages = [];
    for (const status of ['pending', 'Confirmed', 'rejected', 'spam', 'hold']) {
      stages.push(((await map(status)).result.output as { stage: string }).stage);
    }
    expect(stages).toEqual(['wait', 'approve', 'cancel', 'trash', 'hold']);
  });

  it('reads the status from where it is told, and takes a non-object input as nothing to keep', async () => {
    const { result } = await runNode(mapStatus, {
      input: 'text',
      nodes: { http: { body: { state: 'approved' } } },
      params: { value: '{{nodes.http.body.state}}', rules },
    });
    expect(result.output).toEqual({ stage: 'approve', status: 'approved' });
  });

  it("keeps the target's status text and its status code beside the stage it maps to", async () => {
    const { result } = await runNode(mapStatus, {
      input: { id: '501', stage: 'cancel', status: 5, reason: 2 },
      params: { value: '{{input.stage}}', code: '{{input.status}}', rules: [{ match: 'exact', value: 'cancel', stage: 'cancel' }] },
    });
    expect(result.output).toEqual({ id: '501', stage: 'cancel', status: 'cancel', statusCode: '5', reason: 2 });
  });

  it('without a code param gives no statusCode', async () => {
    const { result } = await runNode(mapStatus, { input: { state: 'approved' }, params: { value: '{{input.state}}' } });
    expect(result.output).toEqual({ state: 'approved', stage: 'approve', status: 'approved' });
  });
});
