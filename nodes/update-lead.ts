import { stringify } from '../core/template/template.ts';
import { defineNode, type LeadUpdate } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { isStage, STAGES, type StageSource } from '../core/domain/lead.ts';

/**
 * Update Lead: stores what the target told us about a lead — its external id, stage, raw status
 * (text and code), reason, comment, payout. An empty value leaves that field as it is. The stage rule (stages only
 * move forward; an approved lead may still be returned) is applied by the lead service, so a move
 * it refuses is no error: `stageChanged` is false.
 *
 * A stage that is not one of ours throws (a mistake in the flow, not in the lead).
 *
 * Ports:
 * - `out` → `{ lead: { id, stage, eid, status, statusCode }, stageChanged }`;
 * - `not_found` (no lead with that id) → `{ lead: undefined, stageChanged: false }`, failure
 *   `lead_not_found` (not retryable).
 */
export const updateLead = defineNode({
  type: 'update-lead',
  version: 1,
  title: 'Update Lead',
  category: 'act on lead',
  description: 'Saves the external id, stage, status, reason, comment and payout on the lead.',
  inputs: ['in'],
  outputs: ['out', 'not_found'],
  params: {
    find: param.select(['lead', 'oid', 'eid', 'auto'], {
      label: 'Which lead',
      help: "lead: the lead this run is about. oid: find it by our id. eid: find it by the target's id (for postbacks and status checks). auto: by our id when the input has one, else by the target's, else the run's lead.",
      default: 'lead',
    }),
    oid: param.template({
      label: 'Our lead id',
      help: 'Where our id of the lead is, e.g. {{input.id}} or {{trigger.id}}.',
      showIf: { find: ['oid', 'auto'] },
      default: '{{input.oid}}',
    }),
    eid: param.template({
      label: "Target's lead id",
      help: "Where the target's id of the lead is, e.g. {{input.eid}}.",
      showIf: { find: ['eid', 'auto'] },
      default: '{{input.eid}}',
    }),
    setEid: param.template({
      label: 'External id to store',
      help: "The target's id for this lead, to keep with it. Empty: keep the one it has.",
      default: '{{input.eid}}',
    }),
    stage: param.template({
      label: 'Stage',
      help: `Our stage: ${STAGES.join(', ')}. Map Status gives it as {{input.stage}}. Empty: keep the stage.`,
      default: '{{input.stage}}',
    }),
    status: param.template({
      label: 'Target status',
      help: "The target's own status text, kept beside the stage. Empty: keep it.",
      default: '{{input.status}}',
    }),
    statusCode: param.template({
      label: 'Target status code',
      help: "The target's own status code, kept beside its status text (Map Status gives it as {{input.statusCode}}). Empty: keep it.",
      default: '{{input.statusCode}}',
    }),
    reason: param.template({
      label: 'Reason',
      help: 'Why the lead was cancelled, as the target says. Empty: keep it.',
      default: '{{input.reason}}',
    }),
    comment: param.template({
      label: 'Comment',
      help: "The target operator's comment. Empty: keep it.",
      default: '{{input.comment}}',
    }),
    payout: param.template({
      label: 'Payout',
      help: 'The amount the target pays for the lead, a number such as 12.50. Empty: keep it.',
      default: '{{input.payout}}',
    }),
  },
  async execute({ params, event, leads }) {
    const change: LeadUpdate = { source: sourceOf(event) };
    const by =
      params.find === 'auto' ? (given(params.oid) !== undefined ? 'oid' : given(params.eid) !== undefined ? 'eid' : 'lead') : params.find;
    if (by === 'oid' || by === 'eid') {
      const id = given(by === 'oid' ? params.oid : params.eid);
      if (id === undefined) return notFound(`no ${by} given to find the lead by`);
      if (by === 'oid') change.oid = /^\d+$/.test(id) ? Number(id) : id;
      else change.eid = id;
    }
    const stage = given(params.stage)?.toLowerCase();
    if (stage !== undefined) {
      if (!isStage(stage)) throw new Error(`stage "${stage}" is not one of ${STAGES.join(', ')}`);
      change.stage = stage;
    }
    change.setEid = given(params.setEid);
    change.status = given(params.status);
    change.statusCode = given(params.statusCode);
    change.reason = given(params.reason);
    change.comment = given(params.comment);
    const payout = given(params.payout);
    if (payout !== undefined) {
      change.payout = Number(payout.replace(',', '.'));
      if (Number.isNaN(change.payout)) throw new Error(`payout "${payout}" is not a number`);
    }
    const result = await leads.update(change);
    if (!result)
      return notFound(`no lead with ${change.oid !== undefined ? `oid ${change.oid}` : `eid ${change.eid ?? "(this run's lead)"}`}`);
    const { id, stage: now, eid, status, statusCode } = result.lead;
    return { output: { lead: { id, stage: now, eid, status, statusCode }, stageChanged: result.stageChanged } };
  },
});

/** The text of a value, or undefined when it is missing or blank ("leave as is"). */
function given(value: unknown): string | undefined {
  const text = stringify(value).trim();
  return text === '' ? undefined : text;
}

function sourceOf(event: string): StageSource {
  if (event === 'postback.in') return 'postback';
  if (event.startsWith('status.')) return 'status-check';
  return 'delivery';
}

function notFound(message: string) {
  return {
    port: 'not_found',
    output: { lead: undefined, stageChanged: false },
    failure: { code: 'lead_not_found', message, retryable: false },
  };
}
