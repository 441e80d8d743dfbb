/**
 * Runs one node the way the engine does — params rendered by `renderParams` against a scope of
 * lead, offer, integration, secrets, input — with the real hasher, the engine's HTTP client talking to
 * local mock targets, and in-memory recorders for leads, postbacks and the flow's answer.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';
import { getGlobalDispatcher } from 'undici';
import type {
  FlowResponse,
  HttpClient,
  HttpExchange,
  HttpRequestSpec,
  IntegrationView,
  LeadActions,
  LeadUpdate,
  LeadUpdateResult,
  NodeDefinition,
  NodeResult,
  OfferView,
} from '../../core/node/contract.ts';
import type { FlowEvent } from '../../core/domain/config.ts';
import { offerParameters } from '../../core/domain/config.ts';
import { canMoveStage, type Lead } from '../../core/domain/lead.ts';
import { hasher } from '../../runtime/engine/hash.ts';
import { startMockServer, type Answer, type Received } from '../support/harness.ts';
import { createHttpClient } from '../../runtime/engine/http.ts';
import { renderParams } from '../../runtime/engine/params.ts';

export function sampleLead(fields: Partial<Lead> = {}): Lead {
  return {
    id: 42,
    integration: 'demo-crm',
    offer: 'slim-tea',
    wm: 'wm-7',
    name: 'Anna Schmidt',
    phone: '+49 (30) 1234-567',
    country: 'de',
    subid: 'click-abc',
    goods: [{ product: 'tea', count: 2, price: 19.9 }],
    stage: 'new',
    created_at: '2024-05-06 07:08:09',
    updated_at: '2024-05-06 07:08:09',
    ...fields,
  };
}

/** The offer as the engine shows it: parameters resolved for the lead's country. */
export function offerFor(lead: Lead | undefined): OfferView {
  const parameters = { crm_offer_id: '100', 'crm_offer_id-de': '100-de', stream: 'st-1' };
  return { id: 'slim-tea', name: 'Slim Tea', params: offerParameters(parameters, lead?.country), goals: [], products: [] };
}

export const integration: IntegrationView = {
  id: 'demo-crm',
  name: 'Demo CRM',
  settings: { base_url: 'http://127.0.0.1:1' },
};

export const secrets = { api_secret: 'top-secret', api_key: 'key-123', salt: 'pepper' };

export type { Answer, Received } from '../support/harness.ts';

export interface Target {
  url: string;
  received: Received[];
}

/** Starts a mock target on 127.0.0.1, port 0 (the harness's own); it stops when the test ends. */
export async function startTarget(answer: (request: Received) => Answer = () => ({ body: { ok: true } })): Promise<Target> {
  const server = await startMockServer(answer);
  onTestFinished(() => server.stop());
  return server;
}

/** The URL of a port nothing listens on: a server is opened there and closed again. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** The engine's own HTTP client (undici), keeping every exchange for the test to look at. */
export class RecordingHttp implements HttpClient {
  readonly exchanges: { request: HttpRequestSpec; exchange: HttpExchange }[] = [];
  private readonly client = createHttpClient(getGlobalDispatcher(), () => {});

  async send(spec: HttpRequestSpec): Promise<HttpExchange> {
    const exchange = await this.client.send(spec);
    this.exchanges.push({ request: spec, exchange });
    return exchange;
  }
}

/** Leads in memory, with the real stage rule; records every change asked for. */
export class LeadBook implements LeadActions {
  readonly changes: LeadUpdate[] = [];

  constructor(
    readonly leads: Lead[],
    private readonly current?: Lead,
  ) {}

  async update(change: LeadUpdate): Promise<LeadUpdateResult | undefined> {
    this.changes.push(change);
    const lead =
      change.oid !== undefined
        ? this.leads.find((l) => String(l.id) === String(change.oid))
        : change.eid !== undefined
          ? this.leads.find((l) => l.eid === change.eid)
          : this.leads.find((l) => l.id === this.current?.id);
    if (!lead) return undefined;
    const stageChanged = change.stage !== undefined && canMoveStage(lead.stage, change.stage);
    if (stageChanged) lead.stage = change.stage!;
    if (change.setEid !== undefined) lead.eid = change.setEid;
    if (change.status !== undefined) lead.status = change.status;
    if (change.statusCode !== undefined) lead.statusCode = change.statusCode;
    if (change.reason !== undefined) lead.reason = change.reason;
    if (change.comment !== undefined) lead.statusComment = change.comment;
    if (change.payout !== undefined) lead.payout = change.payout;
    return { lead: { ...lead }, stageChanged };
  }
}

export interface RunOptions {
  params?: Record<string, unknown>;
  input?: unknown;
  /** The run's lead; `null` for a run without one. */
  lead?: Lead | null;
  event?: FlowEvent;
  /** Outputs of earlier nodes, by id, for `{{nodes.x…}}`. */
  nodes?: Record<string, unknown>;
  trigger?: unknown;
  leads?: LeadBook;
  /** A status check's batch (`{{batch…}}`) and a For Each item (`{{item…}}`). */
  batch?: unknown;
  item?: unknown;
}

export interface Run {
  result: NodeResult;
  /** The params as `execute` received them. */
  params: Record<string, unknown>;
  http: RecordingHttp;
  leads: LeadBook;
  postbacks: { url: string; method: 'GET' | 'POST'; leadId?: number }[];
  responses: FlowResponse[];
  logs: string[];
  /** What Next Page asked for. */
  nextPage?: unknown;
  /** The offset Next Page gave with it (offset paging). */
  nextOffset?: number;
}

/** Runs a node once, as the engine would. A thrown error rejects. */
export async function runNode<P>(node: NodeDefinition<P>, options: RunOptions = {}): Promise<Run> {
  const lead = options.lead === null ? undefined : (options.lead ?? sampleLead());
  const offer = offerFor(lead);
  const input = 'input' in options ? options.input : lead;
  const scope = {
    lead,
    offer,
    integration,
    // as the engine does: only nodes that declare it see secrets
    secrets: node.usesSecrets ? secrets : {},
    input,
    nodes: options.nodes ?? {},
    trigger: options.trigger ?? input,
    batch: options.batch,
    item: options.item,
    now: new Date('2024-05-06T07:08:09Z'),
  };
  const params = renderParams(node, options.params ?? {}, scope);
  const run: Run = {
    result: { output: undefined },
    params,
    http: new RecordingHttp(),
    leads: options.leads ?? new LeadBook(lead ? [lead] : [], lead),
    postbacks: [],
    responses: [],
    logs: [],
  };
  run.result = await node.execute({
    node: { id: node.type, type: node.type },
    event: options.event ?? 'lead.new',
    params: params as P,
    input,
    lead,
    offer,
    integration,
    trigger: scope.trigger,
    signal: new AbortController().signal,
    http: run.http,
    hash: hasher,
    leads: run.leads,
    postbacks: { send: async (request) => void run.postbacks.push(request) },
    respond: (response) => void run.responses.push(response),
    nextPage: (cursor, position) => {
      run.nextPage = cursor;
      run.nextOffset = position?.offset;
    },
    log: (message) => void run.logs.push(message),
    addSecret: () => {},
  });
  return run;
}
