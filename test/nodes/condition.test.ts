import { describe, expect, it } from 'vitest';
import { condition } from '../../nodes/condition.ts';
import { runNode } from './context.ts';

const input = { body: { result: ' ok ', count: '12', tags: ['vip', 'de'], empty: '', zero: 0 } };

async function port(left: string, operator: string, right?: string): Promise<string | undefined> {
  const { result } = await runNode(condition, { input, params: { left, operator, right } });
  expect(result.output).toBe(input);
  return result.port;
}

describe('Condition', () => {
  it('passes its input on unchanged to the port it chose', async () => {
    const { result } = await runNode(condition, { input, params: { left: '{{input.body.result}}', right: 'ok' } });
    expect(result).toEqual({ port: 'true', output: input });
  });

  it('equals compares as text without surrounding spaces', async () => {
    expect(await port('{{input.body.result}}', 'equals', 'ok')).toBe('true');
    expect(await port('{{input.body.result}}', 'equals', 'OK')).toBe('false');
    expect(await port('{{input.body.count}}', 'equals', '{{input.body.count | number}}')).toBe('true');
    expect(await port('{{input.body.result}}', 'not_equals', 'ok')).toBe('false');
  });

  it('contains finds text inside text, and an item in a list', async () => {
    expect(await port('{{lead.name}}', 'contains', 'Schmidt')).toBe('true');
    expect(await port('{{input.body.tags}}', 'contains', 'vip')).toBe('true');
    expect(await port('{{input.body.tags}}', 'contains', 'vi')).toBe('false');
    expect(await port('{{lead.name}}', 'not_contains', 'Schmidt')).toBe('false');
  });

  it('matches tests a regular expression ignoring letter case', async () => {
    expect(await port('{{lead.phone}}', 'matches', '^\\+49')).toBe('true');
    expect(await port('{{lead.name}}', 'matches', '^anna')).toBe('true');
    expect(await port('{{lead.name}}', 'matches', '^Schmidt')).toBe('false');
  });

  it('a pattern that is not valid is an error naming it', async () => {
    await expect(runNode(condition, { input, params: { left: 'x', operator: 'matches', right: '(' } })).rejects.toThrow(/"\("/);
  });

  it('exists is true for any value that is there, even zero or empty text', async () => {
    expect(await port('{{input.body.zero}}', 'exists')).toBe('true');
    expect(await port('{{input.body.empty}}', 'exists')).toBe('true');
    expect(await port('{{input.body.missing}}', 'exists')).toBe('false');
  });

  it('empty is true for a missing value, blank text or an empty list', async () => {
    expect(await port('{{input.body.missing}}', 'empty')).toBe('true');
    expect(await port('{{input.body.empty}}', 'empty')).toBe('true');
    expect(await port('{{input.body.zero}}', 'empty')).toBe('false');
    const { result } = await runNode(condition, { input: { list: [] }, params: { left: '{{input.list}}', operator: 'empty' } });
    expect(result.port).toBe('true');
  });

  it('gt and lt compare numbers, not text, and a decimal comma counts', async () => {
    expect(await port('{{input.body.count}}', 'gt', '9')).toBe('true');
    expect(await port('{{input.body.count}}', 'lt', '9')).toBe('false');
    expect(await port('2,5', 'lt', '3')).toBe('true');
  });

  it('gt and lt are false when either side is not a number', async () => {
    expect(await port('{{input.body.result}}', 'gt', '1')).toBe('false');
    expect(await port('{{input.body.result}}', 'lt', '1')).toBe('false');
    expect(await port('{{input.body.missing}}', 'lt', '1')).toBe('false');
  });

  it('shows the comparison value only for checks that take one', () => {
    const shownFor = condition.params.right.showIf?.operator as readonly string[];
    expect(shownFor).not.toContain('exists');
    expect(shownFor).not.toContain('empty');
    expect(shownFor).toContain('gt');
  });
});
