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
  ExecutionQuery,
  FlowSummary,
  FromTemplateRequest,
  FromTemplateResult,
  IntegrationPatch,
  IntegrationTemplate,
  IntegrationView,
  IssuedKey,
  KeyRotation,
  PostbackTokenRotateRequest,
  PostbackTokenRotation,
  LeadListAnswer,
  LeadPage,
  RerunAnswer,
  SessionAnswer,
  UserView,
  LeadQuery,
  LeadListItem,
  ResendAnswer,
  SourceCreate,
  SourcePatch,
  SourceView,
  TemplateSummary,
  TestRunAnswer,
  TestRunRequest,
  VersionInfo,
} from '../../../core/api.ts';

export type * from '../../../core/api.ts';

/** An error answer of the API, with the issues of an invalid flow when there are some. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly issues?: FlowIssue[],
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

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
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
    throw new ApiError(res.status, error.error ?? 'error', error.message ?? `HTTP ${res.status}`, error.field, issues);
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
  /** A new postback token; the old one keeps working `graceMinutes` more (none by default). */
  rotatePostbackToken: (id: string, rotation: PostbackTokenRotateRequest) =>
    call<PostbackTokenRotation>('POST', `/api/integrations/${encodeURIComponent(id)}/postback-token/rotate`, rotation),

  templates: () => call<{ templates: TemplateSummary[] }>('GET', '/api/templates').then((a) => a.templates),
  template: (id: string) => call<IntegrationTemplate>('GET', `/api/templates/${encodeURIComponent(id)}`),
  integrationFromTemplate: (body: FromTemplateRequest) => call<FromTemplateResult>('POST', '/api/integrations/from-template', body),

  offers: () => call<{ offers: Offer[] }>('GET', '/api/offers').then((a) => a.offers),
  putOffer: (offer: Offer) => call<Offer>('PUT', `/api/offers/${encodeURIComponent(offer.id)}`, offer),

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
