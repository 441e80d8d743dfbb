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
