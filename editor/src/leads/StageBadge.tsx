/** A lead's stage as a coloured badge: neutral while it is open, green approved, red cancelled or trash. */
import type { Stage } from '../../../core/domain/lead.ts';

export const STAGE_HELP: Record<Stage, string> = {
  new: 'accepted, not delivered yet',
  wait: 'processing at the target',
  hold: 'confirmed but delayed',
  approve: 'approved',
  cancel: 'cancelled or rejected',
  trash: 'trash (spam, duplicate, bad data)',
};

export function StageBadge({ stage }: { stage: Stage }) {
  return (
    <span className={`lf-stage lf-stage--${stage}`} title={STAGE_HELP[stage]} data-stage={stage}>
      {stage}
    </span>
  );
}
