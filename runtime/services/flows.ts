/**
 * Flows: brought to the current format and node versions (`migrateFlow`) and validated on every
 * load and save, saved as immutable versions, and served to runs from a
 * cache (a version never changes, so a cached document is never stale; the current version is
 * re-read when this process saves, and when the store reports a save — another runtime's on a
 * shared database included — to {@link FlowService.forget}).
 */
import type { FlowDoc } from '../../core/domain/flow.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowSummary, VersionInfo } from '../../core/api.ts';
import type { ConfigChange, ConfigStore, FlowVersion, StoredFlow } from '../store/types.ts';
import { describeIssues, validateFlow, type FlowValidation } from '../../core/flow/validate.ts';
import { migrateFlow } from '../../core/flow/format.ts';
import type { NodeRegistry } from '../engine/registry.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/** A flow as lists show it: without its versions' documents. */
export type { FlowSummary };

export class FlowService {
  private readonly current = new Map<string, FlowDoc>();
  /** Counts the changes heard: a read that began before one does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly config: ConfigStore,
    private readonly registry: NodeRegistry,
    /** Told after every save or removal (the status-check schedules follow the flows). */
    private readonly onChange: () => void = () => {},
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {}

  /** Checks a document; the issues (and the warnings, which do not block a save) name the node and the field. */
  validate(doc: unknown): FlowValidation {
    return validateFlow(doc, this.registry);
  }

  /** @throws DomainError `invalid_flow` with every issue in `details`. */
  check(doc: unknown): FlowDoc {
    const result = this.validate(doc);
    if (!result.ok) {
      const first = result.issues[0];
      throw new DomainError('invalid_flow', describeIssues(result.issues), {
        field: first.nodeId ? `nodes.${first.nodeId}.${first.field}` : first.field,
        details: result.issues,
      });
    }
    return result.flow;
  }

  /** Saves a new flow as its version 1; a flow of that id must not exist yet. */
  async create(doc: unknown, savedBy: string, actor?: SessionUser): Promise<FlowDoc> {
    const id = (doc as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && (await this.config.getFlow(id))) {
      throw new DomainError('conflict', `flow "${id}" exists; PUT /api/flows/${id} saves a new version`, { field: 'id' });
    }
    return this.save(doc, savedBy, { actor });
  }

  /**
   * Validates and publishes a new version: the runtime runs it from now on. `options` as
   * {@link ConfigStore.saveFlowVersion} takes them (the version's message; whose draft it replaces),
   * and who the audit entry names (`actor`).
   */
  async save(
    doc: unknown,
    savedBy: string,
    options: { message?: string; dropDraftOf?: string; actor?: SessionUser } = {},
  ): Promise<FlowDoc> {
    const flow = this.check(doc);
    const previous = await this.config.getFlow(flow.id);
    const generation = this.generation;
    const { actor, ...saving } = options;
    const saved = await this.config.saveFlowVersion(flow, savedBy, saving);
    if (generation === this.generation) this.current.set(saved.id, saved);
    this.onChange();
    await this.recordSave(previous, saved, options.message, actor);
    return saved;
  }

  /**
   * The audit entry of a save: version numbers and what changed, not the documents (every
   * version is kept in the store anyway). A save identical to an older version is a roll-back.
   */
  private async recordSave(
    previous: StoredFlow | undefined,
    saved: FlowDoc,
    message: string | undefined,
    actor: SessionUser | undefined,
  ): Promise<void> {
    const after = { version: saved.version, name: saved.name, event: saved.event, ...(message ? { message } : {}) };
    if (!previous) {
      await this.audit.record({ action: 'flow.create', resourceType: 'flow', resourceId: saved.id, after, actor });
      return;
    }
    const prior = previous.versions.find((v) => v.version === previous.currentVersion)?.flow;
    const same = stableJson({ ...saved, version: 0 });
    const restored = previous.versions.findLast(
      (v) => v.version !== previous.currentVersion && stableJson({ ...v.flow, version: 0 }) === same,
    );
    await this.audit.record({
      action: restored ? 'flow.rollback' : 'flow.save',
      resourceType: 'flow',
      resourceId: saved.id,
      before: prior && { version: prior.version, name: prior.name, event: prior.event },
      after: { ...after, changes: prior ? flowChanges(prior, saved) : undefined },
      note: restored ? `rolled back to version ${restored.version}` : undefined,
      actor,
    });
  }

  async list(): Promise<FlowSummary[]> {
    return (await this.config.listFlows()).map(summary);
  }

  /** The flow with every saved version, each brought up to date where it can be (a version that cannot stays as saved). */
  async stored(id: string): Promise<StoredFlow> {
    const flow = await this.config.getFlow(id);
    if (!flow) throw new DomainError('not_found', `no flow "${id}"`, { field: 'id' });
    return {
      ...flow,
      versions: flow.versions.map((saved) => {
        const migrated = migrateFlow(saved.flow, this.registry);
        return migrated.ok ? { ...saved, flow: migrated.doc as FlowDoc } : saved;
      }),
    };
  }

  /** The current version, validated (a flow edited by hand in the store is caught here). */
  async load(id: string): Promise<FlowDoc> {
    const cached = this.current.get(id);
    if (cached) return cached;
    const generation = this.generation;
    const doc = await this.config.getFlowVersion(id);
    if (!doc) throw new DomainError('not_found', `no flow "${id}"`, { field: 'flow' });
    const flow = this.check(doc);
    if (generation === this.generation) this.current.set(id, flow);
    return flow;
  }

  /**
   * Forgets the current version a configuration change may have made stale (give it every change
   * `ConfigStore.onChange` reports): that flow's, or every flow's after `all`. The next run reads
   * the store again, so a version saved through another runtime runs here from its next lead on.
   */
  forget(change: ConfigChange): void {
    if (change.kind !== 'flow' && change.kind !== 'all') return;
    this.generation++;
    if (change.kind === 'all') this.current.clear();
    else this.current.delete(change.id);
  }

  async version(id: string, version: number): Promise<FlowDoc> {
    const doc = await this.config.getFlowVersion(id, version);
    if (!doc) throw new DomainError('not_found', `flow "${id}" has no version ${version}`, { field: 'version' });
    return this.migrated(doc);
  }

  /** A saved version in the current format, not validated: an old version is shown as it was, problems and all. */
  private migrated(doc: FlowDoc): FlowDoc {
    const result = migrateFlow(doc, this.registry);
    if (!result.ok) {
      throw new DomainError('invalid_flow', describeIssues(result.issues), { field: result.issues[0].field, details: result.issues });
    }
    return result.doc as FlowDoc;
  }

  /** Removes a flow with its versions and every draft of it; a flow never published, `userId`'s draft of it. */
  async remove(id: string, userId?: string, actor?: SessionUser): Promise<void> {
    const integrations = await this.config.listIntegrations();
    const user = integrations.find((i) => Object.values(i.flows).includes(id));
    if (user) throw new DomainError('conflict', `integration "${user.id}" uses this flow`, { field: 'id' });
    const stored = await this.config.getFlow(id);
    if (!stored) {
      // a flow never published is its drafts: deleting it removes the asking user's
      if (userId !== undefined && (await this.config.deleteFlowDraft(id, userId))) return;
      throw new DomainError('not_found', `no flow "${id}"`, { field: 'id' });
    }
    if (!(await this.config.deleteFlow(id))) throw new DomainError('not_found', `no flow "${id}"`, { field: 'id' });
    this.current.delete(id);
    this.onChange();
    await this.audit.record({
      action: 'flow.delete',
      resourceType: 'flow',
      resourceId: id,
      before: stored && { version: stored.currentVersion, name: stored.name, event: stored.event, versions: stored.versions.length },
      actor,
    });
  }
}

/** What a save changed, by node and edge id: small enough for every audit entry. */
function flowChanges(before: FlowDoc, after: FlowDoc) {
  const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((item) => [item.id, stableJson(item)]));
  const compare = (old: Map<string, string>, now: Map<string, string>) => ({
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed: [...now.keys()].filter((id) => old.has(id) && old.get(id) !== now.get(id)),
  });
  const { nodes: _n, edges: _e, version: _v, ...restBefore } = before;
  const { nodes: _n2, edges: _e2, version: _v2, ...restAfter } = after;
  return {
    nodes: compare(byId(before.nodes), byId(after.nodes)),
    edges: compare(byId(before.edges), byId(after.edges)),
    settings: stableJson(restBefore) !== stableJson(restAfter),
  };
}

/** JSON with object keys sorted, so two equal documents compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

function summary(flow: StoredFlow): FlowSummary {
  return {
    id: flow.id,
    name: flow.name,
    event: flow.event,
    currentVersion: flow.currentVersion,
    versions: flow.versions.map(versionInfo),
    integration: flow.versions.find((v) => v.version === flow.currentVersion)?.flow.integration,
  };
}

/** A version as lists show it: without its document. */
export function versionInfo({ version, savedAt, savedBy, message }: FlowVersion): VersionInfo {
  return { version, savedAt, savedBy, ...(message ? { message } : {}) };
}
