import { describe, expect, expectTypeOf, it } from 'vitest';
import { param, withDefaults, type ParamValues } from '../../core/node/params.ts';
import type { KeyValue, StatusRule } from '../../core/node/contract.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';

const declared = {
  method: param.select(['GET', 'POST'], { label: 'Method', help: 'How.', default: 'POST' }),
  url: param.template({ label: 'URL', help: 'Where.', required: true }),
  note: param.text({ label: 'Note', help: 'Why.' }),
  schedule: param.text({ label: 'How often', help: 'When.', required: true, default: '10m', format: 'schedule' }),
  tries: param.number({ label: 'Tries', help: 'How many.', default: 3, min: 1, max: 9 }),
  loud: param.boolean({ label: 'Loud', help: 'Shout?', showIf: { method: 'POST' } }),
  rows: param.keyValue({ label: 'Rows', help: 'Fields.' }),
  rules: param.statusTable({ label: 'Rules', help: 'Statuses.', default: [] }),
  script: param.code({ label: 'Script', help: 'JavaScript.', required: true, showIf: { method: 'POST' } }),
};

describe('the param builders', () => {
  it('give the plain specs the editor reads, nothing more', () => {
    expect(declared.method).toEqual({ kind: 'select', options: ['GET', 'POST'], label: 'Method', help: 'How.', default: 'POST' });
    expect(declared.schedule).toEqual({
      kind: 'text',
      label: 'How often',
      help: 'When.',
      required: true,
      default: '10m',
      format: 'schedule',
    });
    expect(JSON.parse(JSON.stringify(declared.tries))).toEqual({
      kind: 'number',
      label: 'Tries',
      help: 'How many.',
      default: 3,
      min: 1,
      max: 9,
    });
  });

  it('type the values execute receives: a default or an always-shown required param is always there', () => {
    expectTypeOf<ParamValues<typeof declared>>().toEqualTypeOf<{
      method: 'GET' | 'POST';
      url: unknown;
      note: string | undefined;
      schedule: string;
      tries: number;
      loud: boolean | undefined;
      rows: KeyValue[] | undefined;
      rules: StatusRule[];
      script: string | undefined;
    }>();
  });

  it('fill in the declared defaults for a host that reads params unrendered (the scheduler)', () => {
    expect(withDefaults(declared, { tries: 5, note: undefined })).toMatchObject({
      method: 'POST',
      tries: 5,
      schedule: '10m',
      note: undefined,
    });
  });
});

describe('the trigger facet', () => {
  it("gives the scheduler Status Check's schedule and batch settings, its defaults filled in", async () => {
    const registry = await loadNodeRegistry();
    const flow = {
      id: 'f',
      name: 'f',
      event: 'status.range' as const,
      version: 1,
      nodes: [{ id: 'check', type: 'status-check', position: { x: 0, y: 0 }, params: { schedule: '*/5 * * * *', format: 'epoch' } }],
      edges: [],
    };
    const trigger = registry.triggerOf(flow);
    expect(trigger?.node.id).toBe('check');
    const schedule = trigger!.definition.trigger!.schedule!(withDefaults(trigger!.definition.params, trigger!.node.params));
    expect(schedule).toMatchObject({ schedule: '*/5 * * * *', batchSize: 100, days: 30, window: { minutes: 60, overlapMinutes: 10 } });
    expect(schedule.window.stamp(new Date('2024-05-06T07:08:09Z'))).toBe(1714979289);
  });
});
