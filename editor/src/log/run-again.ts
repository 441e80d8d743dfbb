/**
 * What the execution page asks before it runs an execution again, in the words of what will
 * happen: a retry from the failed node on the version that ran, or a re-run on the current version
 * — which, for a `lead.new` of a lead that has left `new`, sends the lead to the target again
 * without its answer moving the lead (the reliability rule: a delivery result moves a lead only
 * out of `new`). The runtime refuses that re-run unconfirmed either way.
 */
import type { Execution } from '../../../core/domain/execution.ts';
import type { Lead } from '../../../core/domain/lead.ts';

/** Whether re-running needs the runtime's `confirm` (a `lead.new` of a lead past `new`). */
export function resendsPastNew(execution: Execution, lead: Lead | undefined): boolean {
  return execution.event === 'lead.new' && lead !== undefined && lead.stage !== 'new';
}

export function runAgainQuestion(how: 'rerun' | 'retry', execution: Execution, lead: Lead | undefined): string {
  const forLead = execution.leadId === undefined ? '' : ` for lead #${execution.leadId}`;
  if (how === 'retry') {
    return (
      `Retry execution #${execution.id}${forLead} from ${execution.error?.nodeId ?? 'the failed node'}?\n\n` +
      `It runs again from that node on version ${execution.flowVersion} (the one that ran), with the input the node had then; ` +
      'a request it makes goes to the target again, and its answer is applied to the lead as a first run’s would be.'
    );
  }
  if (lead && resendsPastNew(execution, lead)) {
    return (
      `Re-run on the current version: lead ${lead.id} is in stage ${lead.stage}, not new, so this sends it to the target again ` +
      `and the target’s answer cannot change its stage (it stays ${lead.stage}).\n\nRe-run it anyway?`
    );
  }
  return (
    `Re-run execution #${execution.id}${forLead} on the current version of flow “${execution.flowId}”?\n\n` +
    `Its ${execution.event} event runs again from the start${execution.leadId === undefined ? ' with the trigger it had' : ' with the lead as it is now'}; ` +
    'its requests go to the target again.'
  );
}
