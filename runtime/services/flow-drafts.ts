/**
 * Drafts and publishing. The editor saves each user's work on a flow as a draft whenever it changes,
 * valid or not; the runtime keeps running the live version until that user publishes: the draft is
 * validated by the kernel, becomes a new version with its message, and is gone. Drafts are one per
 * flow per user: another user's work on the same flow is their own draft.
 */
import type { FlowDoc, FlowDraft } from '../../core/domain/flow.ts';
import type { SessionUser } from '../../core/domain/user.ts';
import type { DraftSummary, FlowDraftView, PublishRequest } from '../../core/api.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { diffFlows, type FlowDiff } from '../../core/flow/diff.ts';
import type { ConfigStore } from '../store/types.ts';
import type { FlowService } from './flows.ts';
import type { IntegrationService } from './integrations.ts';

/** The longest version message kept. */
export const MESSAGE_MAX = 500;

/** One side of a diff: a published version, the live one, or the asking user's draft. */
export type DiffSide = number | 'live' | 'draft';

export class FlowDraftService {
  constructor(
    private readonly config: ConfigStore,
    private readonly flows: FlowService,
    private readonly integrations?: IntegrationService,
  ) {}

  /** The user's draft of a flow. @throws DomainError `not_found` (field `draft`) when they have none. */
  async get(flowId: string, user: SessionUser): Promise<FlowDraftView> {
    return this.view(await this.draftOf(flowId, user));
  }

  /**
   * Keeps `body` as the user's draft of the flow, valid or not. Its `version` says which published
   * version it started from (left out: the live one); a flow never published has drafts from 0.
   */
  async save(flowId: string, body: unknown, user: SessionUser): Promise<FlowDraftView> {
    const doc = draftDocument(flowId, body);
    const live = (await this.config.getFlow(flowId))?.currentVersion ?? 0;
    const baseVersion = typeof doc.version === 'number' && Number.isSafeInteger(doc.version) && doc.version >= 0 ? doc.version : live;
    if (baseVersion > live) throw new DomainError('invalid_field', `flow "${flowId}" has no version ${baseVersion}`, { field: 'version' });
    const draft: FlowDraft = {
      flowId,
      userId: user.id,
      savedBy: user.name,
      savedAt: new Date().toISOString(),
      baseVersion,
      doc: { ...doc, version: baseVersion },
    };
    await this.config.putFlowDraft(draft);
    return this.view(draft, live);
  }

  /** Drops the user's draft. @throws DomainError `not_found` when they have none. */
  async discard(flowId: string, user: SessionUser): Promise<void> {
    if (!(await this.config.deleteFlowDraft(flowId, user.id))) throw noDraft(flowId);
  }

  /**
   * Publishes the user's draft: it must pass the kernel's validation (else `invalid_flow` with every
   * issue), and start from the live version unless `replace` (else `conflict` naming the version
   * published since and who published it). The new version carries the message; the draft is gone.
   * A flow made for an integration starts handling its event there at its first publish (see
   * {@link bindOnFirstPublish}): never before, so no lead runs a flow that was never published.
   */
  async publish(flowId: string, user: SessionUser, request: unknown): Promise<FlowDoc> {
    const { message, replace } = publishRequest(request);
    const draft = await this.draftOf(flowId, user);
    const stored = await this.config.getFlow(flowId);
    const live = stored?.currentVersion ?? 0;
    if (draft.baseVersion !== live && !replace) {
      const newest = stored?.versions.find((v) => v.version === live);
      throw new DomainError(
        'conflict',
        `version ${live} was published by ${newest?.savedBy ?? 'someone'} after this draft started from ${draft.baseVersion ? `version ${draft.baseVersion}` : 'nothing'}; publish with "replace": true to make the draft live instead`,
        { field: 'replace', details: { liveVersion: live, publishedBy: newest?.savedBy, baseVersion: draft.baseVersion } },
      );
    }
    const saved = await this.flows.save({ ...draft.doc, id: flowId }, user.name, { message, dropDraftOf: user.id, actor: user });
    if (live === 0) await this.bindOnFirstPublish(saved, user);
    return saved;
  }

  /**
   * The integration a newly published flow is made for (`integration`) takes it for its event when
   * it has no flow for that event yet. The integration's own rules apply (an integration switched on
   * stays ready, or it is left as it was): the flow is published either way, and the integration's
   * page offers it for the event.
   */
  private async bindOnFirstPublish(doc: FlowDoc, actor: SessionUser): Promise<void> {
    if (!this.integrations || !doc.integration) return;
    const integration = await this.config.getIntegration(doc.integration);
    if (!integration || integration.flows[doc.event]) return;
    try {
      await this.integrations.update(integration.id, { flows: { [doc.event]: doc.id } }, actor);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }

  /** The user's drafts, for the flows list (a flow never published appears only here). */
  async listOf(user: SessionUser): Promise<DraftSummary[]> {
    return (await this.config.listFlowDrafts({ userId: user.id })).map((d) => ({
      flowId: d.flowId,
      name: typeof d.doc.name === 'string' ? d.doc.name : d.flowId,
      event: typeof d.doc.event === 'string' ? d.doc.event : '',
      ...(typeof d.doc.integration === 'string' && { integration: d.doc.integration }),
      savedAt: d.savedAt,
      baseVersion: d.baseVersion,
    }));
  }

  /** What changed from one side to the other (two versions, or a version and the user's draft). */
  async diff(flowId: string, from: DiffSide, to: DiffSide, user: SessionUser): Promise<FlowDiff> {
    const [before, after] = await Promise.all([this.side(flowId, from, user), this.side(flowId, to, user)]);
    return diffFlows(before, after);
  }

  private async side(flowId: string, side: DiffSide, user: SessionUser): Promise<FlowDoc> {
    if (side === 'draft') return (await this.draftOf(flowId, user)).doc;
    const version = side === 'live' ? (await this.flows.stored(flowId)).currentVersion : side;
    return this.flows.version(flowId, version);
  }

  private async draftOf(flowId: string, user: SessionUser): Promise<FlowDraft> {
    const draft = await this.config.getFlowDraft(flowId, user.id);
    if (!draft) throw noDraft(flowId);
    return draft;
  }

  private async view(draft: FlowDraft, live?: number): Promise<FlowDraftView> {
    const { userId: _user, ...shown } = draft;
    const result = this.flows.validate(draft.doc);
    return {
      ...shown,
      issues: result.ok ? [] : result.issues,
      liveVersion: live ?? (await this.config.getFlow(draft.flowId))?.currentVersion ?? 0,
    };
  }
}

const noDraft = (flowId: string) => new DomainError('not_found', `you have no draft of flow "${flowId}"`, { field: 'draft' });

/**
 * A draft's document: any object with `nodes` and `edges` lists of objects, each node with an id
 * and a type (what the editor needs to draw it), its id the URL's. Nothing else is checked: a
 * draft is work in progress.
 */
function draftDocument(flowId: string, body: unknown): FlowDoc {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new DomainError('invalid_field', 'must be a flow document', { field: 'body' });
  const doc = body as Record<string, unknown>;
  if (doc.id !== undefined && doc.id !== flowId) throw new DomainError('invalid_field', 'does not match the URL', { field: 'id' });
  const isObject = (item: unknown) => !!item && typeof item === 'object' && !Array.isArray(item);
  if (!Array.isArray(doc.nodes)) throw new DomainError('invalid_field', 'must be a list', { field: 'nodes' });
  doc.nodes.forEach((node: unknown, i) => {
    if (!isObject(node)) throw new DomainError('invalid_field', 'must be a node', { field: `nodes[${i}]` });
    const { id, type } = node as { id?: unknown; type?: unknown };
    if (typeof id !== 'string' || !id) throw new DomainError('invalid_field', 'must be a name', { field: `nodes[${i}].id` });
    if (typeof type !== 'string' || !type) throw new DomainError('invalid_field', 'must be a node type', { field: `nodes[${i}].type` });
  });
  if (!Array.isArray(doc.edges)) throw new DomainError('invalid_field', 'must be a list', { field: 'edges' });
  doc.edges.forEach((edge: unknown, i) => {
    if (!isObject(edge)) throw new DomainError('invalid_field', 'must be a connection', { field: `edges[${i}]` });
  });
  return { ...(doc as unknown as FlowDoc), id: flowId };
}

function publishRequest(body: unknown): { message?: string; replace: boolean } {
  const request = (body && typeof body === 'object' ? body : {}) as PublishRequest;
  if (request.message !== undefined && typeof request.message !== 'string') {
    throw new DomainError('invalid_field', 'must be text', { field: 'message' });
  }
  const message = request.message?.trim();
  if (message && message.length > MESSAGE_MAX) {
    throw new DomainError('invalid_field', `must be at most ${MESSAGE_MAX} characters`, { field: 'message' });
  }
  if (request.replace !== undefined && typeof request.replace !== 'boolean') {
    throw new DomainError('invalid_field', 'must be true or false', { field: 'replace' });
  }
  return { message: message || undefined, replace: request.replace === true };
}
