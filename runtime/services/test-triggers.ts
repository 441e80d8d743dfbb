/**
 * What a test run of each event runs on when the caller gives no sample: a status check's batch
 * made of the integration's real leads (read only), or its last date-range window. Built as the
 * scheduler builds them (`status-checks.ts`), from the trigger's own schedule settings.
 */
import type { FlowEvent } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Lead, Stage } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { withDefaults } from '../../core/node/params.ts';
import type { TriggerSchedule } from '../../core/node/contract.ts';
import type { NodeRegistry } from '../engine/registry.ts';
import type { LeadStore } from '../store/types.ts';

/** A test batch is one batch: at most this many leads, whatever the trigger's batch size. */
const TEST_BATCH_LIMIT = 100;

function scheduleOf(flow: FlowDoc, registry: NodeRegistry): TriggerSchedule {
  const trigger = registry.triggerOf(flow);
  const schedule = trigger?.definition.trigger?.schedule;
  if (!trigger || !schedule)
    throw new DomainError('invalid_flow', `flow "${flow.id}" has no scheduled trigger (such as Status Check)`, { field: 'nodes' });
  return schedule(withDefaults(trigger.definition.params, trigger.node.params));
}

/** The batch a status check would give the flow now, as the scheduler shapes it: `{ ids, eids, leads }`. */
export function batchOf(leads: Lead[]): {
  ids: number[];
  eids: string[];
  leads: { id: number; eid?: string; stage: Stage; status?: string }[];
} {
  return {
    ids: leads.map((l) => l.id),
    eids: leads.map((l) => l.eid).filter((eid): eid is string => Boolean(eid)),
    leads: leads.map((l) => ({ id: l.id, eid: l.eid, stage: l.stage, status: l.status })),
  };
}

/**
 * The first batch a status check of `event` would run now for the integration: its `wait` and
 * `hold` leads (`approve` ones created within the trigger's days, for `status.approved`), or for
 * `status.range` the last window `{ from, to, page: 1 }`. Reads only.
 */
export async function realTrigger(
  store: Pick<LeadStore, 'leadBatch'>,
  registry: NodeRegistry,
  flow: FlowDoc,
  event: FlowEvent,
  integrationId: string,
): Promise<unknown> {
  const settings = scheduleOf(flow, registry);
  if (event === 'status.range') {
    const to = Date.now();
    const from = to - Math.max(1, settings.window.minutes) * 60_000;
    return { from: settings.window.stamp(new Date(from)), to: settings.window.stamp(new Date(to)), page: 1 };
  }
  const stages: Stage[] = event === 'status.approved' ? ['approve'] : ['wait', 'hold'];
  const createdSince = event === 'status.approved' ? new Date(Date.now() - settings.days * 86_400_000) : undefined;
  const limit = Math.max(1, Math.min(TEST_BATCH_LIMIT, Math.floor(settings.batchSize)));
  const found: Lead[] = [];
  for (const stage of stages) found.push(...(await store.leadBatch({ integrationId, stage, afterId: 0, createdSince, limit })));
  return batchOf(found.sort((a, b) => a.id - b.id).slice(0, limit));
}
