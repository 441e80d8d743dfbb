import { describe, expect, it } from 'vitest';
import { canMoveStage, STAGES, type Stage } from '../../core/domain/lead.ts';

describe('the stage rule', () => {
  it('moves forward only: new → wait → hold → approve', () => {
    expect(canMoveStage('new', 'wait')).toBe(true);
    expect(canMoveStage('wait', 'hold')).toBe(true);
    expect(canMoveStage('hold', 'approve')).toBe(true);
    expect(canMoveStage('new', 'approve')).toBe(true);
    expect(canMoveStage('hold', 'wait')).toBe(false);
    expect(canMoveStage('approve', 'wait')).toBe(false);
    expect(canMoveStage('approve', 'hold')).toBe(false);
  });

  it('lets an approved lead be returned, and ends a lead at cancel or trash', () => {
    expect(canMoveStage('approve', 'cancel')).toBe(true);
    expect(canMoveStage('approve', 'trash')).toBe(true);
    for (const to of STAGES) {
      expect(canMoveStage('cancel', to as Stage)).toBe(false);
      expect(canMoveStage('trash', to as Stage)).toBe(false);
    }
  });

  it('treats the current stage as no change', () => {
    for (const stage of STAGES) expect(canMoveStage(stage, stage)).toBe(false);
  });
});

describe('the stage rule for a delivery result', () => {
  it('takes a lead out of new to wait or cancel, nowhere else', () => {
    expect(canMoveStage('new', 'wait', 'delivery')).toBe(true);
    expect(canMoveStage('new', 'cancel', 'delivery')).toBe(true);
    for (const to of ['hold', 'approve', 'trash'] as const) expect(canMoveStage('new', to, 'delivery')).toBe(false);
  });

  it('never moves a lead past new: only status sources move it further or return an approved lead', () => {
    for (const from of STAGES.filter((stage) => stage !== 'new')) {
      for (const to of STAGES) expect(canMoveStage(from, to, 'delivery')).toBe(false);
    }
    for (const source of ['postback', 'status-check', 'manual'] as const) {
      expect(canMoveStage('approve', 'cancel', source)).toBe(true);
      expect(canMoveStage('wait', 'approve', source)).toBe(true);
    }
  });
});
