/**
 * What a run lends its nodes to act on leads and postbacks, from the services layer: what a node
 * writes to a lead (reason, comment, raw status) or a postback it sends never holds the
 * integration's secrets, and the run keeps which leads its nodes found and moved.
 */
import type { Lead } from '../../core/domain/lead.ts';
import type { LeadActions, PostbackActions } from '../../core/node/contract.ts';
import { REDACTED, type Redactor } from './redact.ts';
import type { RunServices } from './executor.ts';

/**
 * The run's lead and postback actions. `ownSecrets`: masks the integration's own secrets (not what
 * the run learnt from the target: a token or URL obtained from it is the flow's to hand over).
 * `touched` gets every lead an Update Lead found, so the execution is linked to each (a postback's
 * lead, a status batch's matches); `moved` the leads it moved, with the stage each was left in.
 */
export function runActions(
  services: RunServices,
  ownSecrets: () => Redactor,
  touched: Set<number>,
  moved: Map<number, Lead['stage']>,
): { leads: LeadActions; postbacks: PostbackActions } {
  const leads: LeadActions = {
    update: async (change) => {
      const result = await services.leads.update({
        ...change,
        status: change.status === undefined ? undefined : ownSecrets().text(change.status),
        statusCode: change.statusCode === undefined ? undefined : ownSecrets().text(change.statusCode),
        reason: change.reason === undefined ? undefined : ownSecrets().text(change.reason),
        comment: change.comment === undefined ? undefined : ownSecrets().text(change.comment),
      });
      if (result && result.lead.id > 0) touched.add(result.lead.id);
      if (result?.stageChanged && result.lead.id > 0) moved.set(result.lead.id, result.lead.stage);
      return result;
    },
  };
  // a postback's URL is stored with its job before it is sent
  const postbacks: PostbackActions = {
    send: (postback) => services.postbacks.send({ ...postback, url: ownSecrets().text(postback.url, encodeURIComponent(REDACTED)) }),
  };
  return { leads, postbacks };
}
