/**
 * Deleting an integration, and what it takes with it. Its record goes with its secrets, its postback
 * token and its list of offers (their new leads are routed nowhere afterwards); its status checks
 * are no longer scheduled (the schedules follow the configuration); its flows meant for it alone
 * (`FlowDoc.integration`) are deleted after it. Its leads with their history and its executions
 * stay: they are records of what happened. While an offer's own routes name it, deleting is refused
 * (409 naming the offers, from {@link IntegrationService.remove}), so an offer's routing never
 * changes without an edit of that offer.
 */
import type { ConfigStore } from '../store/types.ts';
import type { IntegrationRemoval } from '../../core/api.ts';
import { CHECK_EVENTS } from './status-checks.ts';
import { offersRoutedTo } from '../../core/domain/routing.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowService } from './flows.ts';
import type { IntegrationService } from './integrations.ts';
import type { SessionUser } from '../../core/domain/user.ts';

export class IntegrationRemovals {
  constructor(
    private readonly config: ConfigStore,
    private readonly integrations: IntegrationService,
    private readonly flows: FlowService,
  ) {}

  /** `GET /api/integrations/:id/removal`: what deleting it would take and what would stop it. */
  async plan(id: string): Promise<IntegrationRemoval> {
    const integration = await this.integrations.get(id);
    const used = new Set(Object.values(integration.flows).filter((flowId): flowId is string => Boolean(flowId)));
    const own: IntegrationRemoval['flows'] = [];
    const shared: IntegrationRemoval['sharedFlows'] = [];
    for (const stored of await this.config.listFlows()) {
      const current = stored.versions.find((v) => v.version === stored.currentVersion)?.flow;
      const entry = { id: stored.id, name: stored.name, event: stored.event };
      if (current?.integration === id) own.push(entry);
      else if (used.has(stored.id)) shared.push(entry);
    }
    return {
      integration: id,
      flows: own,
      sharedFlows: shared,
      secrets: Object.keys(integration.secrets),
      checks: CHECK_EVENTS.filter((event) => integration.flows[event]),
      offers: [...integration.offers],
      blockedBy: offersRoutedTo(await this.config.listOffers(), id),
    };
  }

  /**
   * Deletes the integration (audited as `integration.delete`), then its own flows (each audited as
   * `flow.delete`). Answers what was deleted.
   * @throws DomainError `conflict` naming `routes` while an offer's routes name it; `not_found`.
   */
  async remove(id: string, actor?: SessionUser): Promise<IntegrationRemoval> {
    const plan = await this.plan(id);
    await this.integrations.remove(id, actor);
    const deleted: IntegrationRemoval['flows'] = [];
    for (const flow of plan.flows) {
      try {
        await this.flows.remove(flow.id, undefined, actor);
        deleted.push(flow);
      } catch (error) {
        // another integration uses it after all (bound before the rule existed): it stays, listed as shared
        if (!(error instanceof DomainError) || error.code !== 'conflict') throw error;
        plan.sharedFlows.push(flow);
      }
    }
    return { ...plan, flows: deleted };
  }
}
