/**
 * Flows: brought to the current format and node versions (`migrateFlow`) and validated on every
 * load and save, saved as immutable versions, and served to runs from a
 * cache (a version never changes, so a cached document is never stale; the current version is
 * re-read when this process saves).
 */
import type { FlowDoc } from '../../core/domain/flow.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { ConfigStore, StoredFlow } from '../store/types.ts';
import { describeIssues, validateFlow, type FlowIssue } from '../../core/flow/validate.ts';
import { migrateFlow } from '../../core/flow/format.ts';
import type { NodeRegistry } from '../engine/registry.ts';

/** A flow as lists show it: without its versions' documents. */
export interface FlowSummary {
  id: string;
  name: string;
  event: string;
  currentVersion: number;
  versions: { version: number; savedAt: string; savedBy: string }[];
}

export class FlowService {
  private readonly current = new Map<string, FlowDoc>();

  constructor(
    private readonly config: ConfigStore,
    private readonly registry: NodeRegistry,
    /** Told after every save or removal (the status-check schedules follow the flows). */
    private readonly onChange: () => void = () => {},
  ) {}

  /** Checks a document; the issues name the node and the field. */
  validate(doc: unknown): { ok: true; flow: FlowDoc } | { ok: false; issues: FlowIssue[] } {
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
  async create(doc: unknown, savedBy: string): Promise<FlowDoc> {
    const id = (doc as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && (await this.config.getFlow(id))) {
      throw new DomainError('conflict', `flow "${id}" exists; PUT /api/flows/${id} saves a new version`, { field: 'id' });
    }
    return this.save(doc, savedBy);
  }

  /** Validates and saves a new version. */
  async save(doc: unknown, savedBy: string): Promise<FlowDoc> {
    const flow = this.check(doc);
    const saved = await this.config.saveFlowVersion(flow, savedBy);
    this.current.set(saved.id, saved);
    this.onChange();
    return saved;
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
    const doc = await this.config.getFlowVersion(id);
    if (!doc) throw new DomainError('not_found', `no flow "${id}"`, { field: 'flow' });
    const flow = this.check(doc);
    this.current.set(id, flow);
    return flow;
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

  async remove(id: string): Promise<void> {
    const integrations = await this.config.listIntegrations();
    const user = integrations.find((i) => Object.values(i.flows).includes(id));
    if (user) throw new DomainError('conflict', `integration "${user.id}" uses this flow`, { field: 'id' });
    if (!(await this.config.deleteFlow(id))) throw new DomainError('not_found', `no flow "${id}"`, { field: 'id' });
    this.current.delete(id);
    this.onChange();
  }
}

function summary(flow: StoredFlow): FlowSummary {
  return {
    id: flow.id,
    name: flow.name,
    event: flow.event,
    currentVersion: flow.currentVersion,
    versions: flow.versions.map(({ version, savedAt, savedBy }) => ({ version, savedAt, savedBy })),
  };
}
