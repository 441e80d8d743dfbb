/**
 * The management API as the editor calls it. Answer types are the kernel's (`core/api.ts`), the
 * same the runtime's services build.
 */
import type { FlowDoc } from '../../../core/domain/flow.ts';
import type { Offer } from '../../../core/domain/config.ts';
import type { Lead, Stage } from '../../../core/domain/lead.ts';
import type { Execution } from '../../../core/domain/execution.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import type { FlowIssue } from '../../../core/flow/validate.ts';
import type { AuditQuery } from '../../../core/domain/audit.ts';
import type {
  AuditAnswer,
  CheckEvent,
  CheckSchedule,
  ExecutionQuery,
  FlowDraftView,
  FlowListAnswer,
  FlowSummary,
  FromTemplateRequest,
  FromTemplateResult,
  IntegrationPatch,
  IntegrationRemoval,
  IntegrationTemplate,
  IntegrationView,
  IssuedKey,
  KeyRotation,
  PostbackTokenRotateRequest,
  PostbackTokenRotation,
  LeadListAnswer,
  LeadPage,
  OfferWrite,
  RerunAnswer,
  SessionAnswer,
  UserView,
  LeadQuery,
  LeadListItem,
  ResendAnswer,
  ResendCount,
  ResendFilter,
  SourceCreate,
  SourcePatch,
  SourceView,
  TemplateSummary,
  PublishRequest,
  TestRunAnswer,
  TestRunRequest,
  VersionInfo,
} from '../../../core/api.ts';
import type { FlowDiff } from '../../../core/flow/diff.ts';
import type { WorkReport } from '../../../core/domain/work.ts';

export type * from '../../../core/api.ts';

/** An error answer of the API, with the issues of an invalid flow when there are some. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly issues?: FlowIssue[],
    /** The answer's `details` (a routing clash's `NewLeadClashDetails`, …). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The login page's address; any 401 of the API sends the editor there. */
export const LOGIN_HASH = '#/login';

/** Where to come back after logging in: the screen the 401 interrupted. */
export const RETURN_KEY = 'leadflow.return';

function toLogin(): void {
  if (location.hash.startsWith(LOGIN_HASH)) return;
  sessionStorage.setItem(RETURN_KEY, location.hash);
  location.hash = LOGIN_HASH;
}

/** One API call: JSON in and out; a 401 sends the editor to the login page; a refusal throws {@link ApiError}. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  // the session cookie goes by itself (same origin); every body is JSON, as the API requires
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  // logging in answers 401 for a wrong password: the login page shows that itself
  if (res.status === 401 && path !== '/api/session') toLogin();
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let answer: unknown;
  try {
    answer = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(res.status, 'bad_answer', `the server answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const error = (answer ?? {}) as { error?: string; message?: string; field?: string; details?: unknown };
    const issues = error.error === 'invalid_flow' && Array.isArray(error.details) ? (error.details as FlowIssue[]) : undefined;
    throw new ApiError(res.status, error.error ?? 'error', error.message ?? `HTTP ${res.status}`, error.field, issues, error.details);
  }
  return answer as T;
}

export const api = {
  session: () => call<SessionAnswer>('GET', '/api/session'),
  logIn: (name: string, password: string) => call<SessionAnswer>('POST', '/api/session', { name, password }),
  logOut: () => call<void>('DELETE', '/api/session'),

  users: () => call<{ users: UserView[] }>('GET', '/api/users').then((a) => a.users),
  createUser: (body: { name: string; password: string; role: UserView['role'] }) => call<UserView>('POST', '/api/users', body),
  updateUser: (id: string, patch: { role?: UserView['role']; password?: string; disabled?: boolean }) =>
    call<UserView>('PATCH', `/api/users/${encodeURIComponent(id)}`, patch),

  nodes: () => call<{ nodes: NodeDescriptor[] }>('GET', '/api/nodes').then((a) => a.nodes),

  flows: () => call<{ flows: FlowSummary[] }>('GET', '/api/flows').then((a) => a.flows),
  flow: (id: string) => call<FlowDoc>('GET', `/api/flows/${encodeURIComponent(id)}`),
  createFlow: (doc: Omit<FlowDoc, 'version'>) => call<FlowDoc>('POST', '/api/flows', doc),
  saveFlow: (doc: FlowDoc) => call<FlowDoc>('PUT', `/api/flows/${encodeURIComponent(doc.id)}`, doc),
  deleteFlow: (id: string) => call<void>('DELETE', `/api/flows/${encodeURIComponent(id)}`),
  /** The logged-in user's drafts (a flow never published is only there). */
  myDrafts: () => call<FlowListAnswer>('GET', '/api/flows').then((a) => a.drafts),
  /** The logged-in user's draft of a flow, or null when they have none. */
  draft: (id: string) =>
    call<FlowDraftView>('GET', `/api/flows/${encodeURIComponent(id)}/draft`).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
  /** Keeps the document as the user's draft, valid or not; its `version` is the version it started from (0: never published). */
  saveDraft: (doc: FlowDoc) => call<FlowDraftView>('PUT', `/api/flows/${encodeURIComponent(doc.id)}/draft`, doc),
  discardDraft: (id: string) => call<void>('DELETE', `/api/flows/${encodeURIComponent(id)}/draft`),
  /** The user's draft becomes the live version; refused (422 with the issues) when it is not valid. */
  publish: (id: string, request: PublishRequest) => call<FlowDoc>('POST', `/api/flows/${encodeURIComponent(id)}/publish`, request),
  diff: (id: string, from: number | 'live' | 'draft', to: number | 'live' | 'draft') =>
    call<FlowDiff>('GET', `/api/flows/${encodeURIComponent(id)}/diff?from=${from}&to=${to}`),
  validateFlow: (doc: unknown) => call<{ ok: boolean; issues: FlowIssue[] }>('POST', '/api/flows/validate', doc),
  versions: (id: string) =>
    call<{ currentVersion: number; versions: VersionInfo[] }>('GET', `/api/flows/${encodeURIComponent(id)}/versions`),
  version: (id: string, version: number) => call<FlowDoc>('GET', `/api/flows/${encodeURIComponent(id)}/versions/${version}`),
  testRun: (id: string, body: Omit<TestRunRequest, 'flow'> & { flow: FlowDoc }) =>
    call<TestRunAnswer>('POST', `/api/flows/${encodeURIComponent(id)}/test`, body),

  integrations: () => call<{ integrations: IntegrationView[] }>('GET', '/api/integrations').then((a) => a.integrations),
  integration: (id: string) => call<IntegrationView>('GET', `/api/integrations/${encodeURIComponent(id)}`),
  createIntegration: (body: IntegrationPatch & { id: string; name: string }) => call<IntegrationView>('POST', '/api/integrations', body),
  updateIntegration: (id: string, patch: IntegrationPatch) =>
    call<IntegrationView>('PATCH', `/api/integrations/${encodeURIComponent(id)}`, patch),
  deleteIntegration: (id: string) => call<void>('DELETE', `/api/integrations/${encodeURIComponent(id)}`),
  /** What deleting the integration takes with it, and the offers whose routes stop it. */
  integrationRemoval: (id: string) => call<IntegrationRemoval>('GET', `/api/integrations/${encodeURIComponent(id)}/removal`),
  /** Its status checks: schedule, next run, the run under way, the last report. */
  checks: (id: string) =>
    call<{ checks: CheckSchedule[] }>('GET', `/api/integrations/${encodeURIComponent(id)}/checks`).then((a) => a.checks),
  /** Starts a status check now (or joins the one running) as long work, followed through `/api/work/:id` (<WorkProgress>). */
  startCheck: (id: string, event: CheckEvent) =>
    call<WorkReport>('POST', `/api/integrations/${encodeURIComponent(id)}/checks/${event}/runs`),
  /** A new postback token; the old one keeps working `graceMinutes` more (none by default). */
  rotatePostbackToken: (id: string, rotation: PostbackTokenRotateRequest) =>
    call<PostbackTokenRotation>('POST', `/api/integrations/${encodeURIComponent(id)}/postback-token/rotate`, rotation),

  templates: () => call<{ templates: TemplateSummary[] }>('GET', '/api/templates').then((a) => a.templates),
  template: (id: string) => call<IntegrationTemplate>('GET', `/api/templates/${encodeURIComponent(id)}`),
  integrationFromTemplate: (body: FromTemplateRequest) => call<FromTemplateResult>('POST', '/api/integrations/from-template', body),

  offers: () => call<{ offers: Offer[] }>('GET', '/api/offers').then((a) => a.offers),
  putOffer: (offer: OfferWrite) => call<Offer>('PUT', `/api/offers/${encodeURIComponent(offer.id)}`, offer),
  createOffer: (offer: Offer) => call<Offer>('POST', '/api/offers', offer),
  deleteOffer: (id: string) => call<void>('DELETE', `/api/offers/${encodeURIComponent(id)}`),

  leads: (query: LeadQuery) =>
    call<{ leads: LeadListItem[] }>('GET', `/api/leads?${searchOf({ limit: 20, ...query })}`).then((a) => a.leads),
  /** A page of the lead list and the cursor of the next (`next`, absent on the last page). */
  leadList: (query: LeadQuery) => call<LeadListAnswer>('GET', `/api/leads?${searchOf({ limit: 50, ...query })}`),
  lead: (id: number) => call<LeadPage>('GET', `/api/leads/${id}`),
  /** Sets a lead's stage by hand (staff, the network's call centre), under the stage rule; 409 when it refuses the move. */
  setLeadStage: ({ id, ...change }: { id: number; stage: Stage; comment?: string; reason?: string }) =>
    call<{ lead: Lead; stageChanged: boolean }>('POST', `/api/leads/${id}/stage`, change),
  /** Puts a lead still new back in the queue, attempts reset (its failed delivery, or one waiting). */
  resendLead: (id: number) => call<ResendAnswer>('POST', `/api/leads/${id}/resend`),

  executions: (query: ExecutionQuery) =>
    call<{ executions: Execution[] }>('GET', `/api/executions?${searchOf({ limit: 50, ...query })}`).then((a) => a.executions),
  execution: (id: number) => call<Execution>('GET', `/api/executions/${id}`),
  /** Runs the execution's event again on the flow's current version. */
  /** `confirm`: re-run a `lead.new` of a lead past `new` (refused with 409, field `confirm`, without it). */
  rerunExecution: (id: number, confirm = false) =>
    call<RerunAnswer>('POST', `/api/executions/${id}/rerun`, confirm ? { confirm: true } : undefined),
  /** Retries a failed execution from its failed node with the recorded input. */
  retryExecution: (id: number) => call<{ execution: Execution }>('POST', `/api/executions/${id}/retry`),

  sources: () => call<{ sources: SourceView[] }>('GET', '/api/sources').then((a) => a.sources),
  /** Creates a source; the answer holds its key, the only time the runtime shows it. */
  createSource: (body: SourceCreate) => call<IssuedKey>('POST', '/api/sources', body),
  updateSource: (id: string, patch: SourcePatch) => call<SourceView>('PATCH', `/api/sources/${encodeURIComponent(id)}`, patch),
  deleteSource: (id: string) => call<void>('DELETE', `/api/sources/${encodeURIComponent(id)}`),
  /** A new key, shown once; the old keys work `graceSeconds` more. */
  rotateSourceKey: (id: string, rotation: KeyRotation) => call<IssuedKey>('POST', `/api/sources/${encodeURIComponent(id)}/keys`, rotation),
  revokeSourceKey: (id: string, keyId: string) =>
    call<SourceView>('DELETE', `/api/sources/${encodeURIComponent(id)}/keys/${encodeURIComponent(keyId)}`),
  /** The audit log, newest first (admins only). */
  audit: (query: AuditQuery) => call<AuditAnswer>('GET', `/api/audit?${searchOf({ limit: 50, ...query })}`).then((a) => a.entries),

  /** Pauses or resumes an integration's deliveries (its postbacks still go). */
  pauseIntegration: (id: string, paused: boolean) =>
    call<IntegrationView>('POST', `/api/integrations/${encodeURIComponent(id)}/${paused ? 'pause' : 'resume'}`),
  /** Starts a bulk resend of a filter as long work; its progress: `/api/work/:id/stream`. */
  startBulkResend: (filter: ResendFilter) => call<WorkReport>('POST', '/api/work/resend', filter),
  /** How many leads a bulk resend of `filter` would take now, for its confirmation. */
  countResend: (filter: ResendFilter) => call<ResendCount>('POST', '/api/work/resend/count', filter),
  work: (id: string) => call<WorkReport>('GET', `/api/work/${encodeURIComponent(id)}`),
  cancelWork: (id: string) => call<WorkReport>('POST', `/api/work/${encodeURIComponent(id)}/cancel`),
};

/** A query string of the values that are set. */
/** The address of the CSV of the leads a filter selects (a download: the browser sends the session cookie). */
export function leadsCsvUrl(query: LeadQuery): string {
  const { cursor: _cursor, limit: _limit, ...filter } = query;
  const search = searchOf(filter).toString();
  return `/api/leads/export.csv${search ? `?${search}` : ''}`;
}

/** The address of a lead's story as a JSON download. */
export const leadStoryUrl = (id: number) => `/api/leads/${id}/story`;

function searchOf(query: object): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  return params;
}
