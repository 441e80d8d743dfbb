/**
 * The editor's one way of fetching: TanStack Query over the API client (`client.ts`). Every screen
 * reads through the hooks here and changes through the mutations in `mutations.ts`; each mutation
 * invalidates the queries whose answers it changes, so the screens showing them fetch again. Query
 * keys are built only by {@link keys}.
 *
 * @example
 * const flows = useFlows();            // flows.data, flows.error, flows.isPending
 */
import { QueryClient, queryOptions, useInfiniteQuery, useQuery, useQueryClient, keepPreviousData } from '@tanstack/react-query';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import type { AuditQuery } from '../../../core/domain/audit.ts';
import { api, ApiError, type ExecutionQuery, type LeadPage, type LeadQuery } from './client.ts';

/**
 * One client for the page. A screen shows what is cached at once and fetches again when it opens
 * (other screens change the same records); failed calls are not repeated: the screens say what
 * failed at once.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

/** The query keys, by what they hold. A key's prefix names everything under it (`keys.flows.all`). */
export const keys = {
  /** The sources: the list holds every source, so every change invalidates it. */
  sources: ['sources'] as const,
  /** Who is logged in; a 401 is an answer here (nobody), not an error. */
  session: ['session'] as const,
  users: ['users'] as const,
  catalog: ['catalog'] as const,
  flows: {
    all: ['flows'] as const,
    list: ['flows', 'list'] as const,
    /** A flow's current document, as the list's actions read it. */
    doc: (id: string) => ['flows', 'doc', id] as const,
    versions: (id: string) => ['flows', 'versions', id] as const,
    /** A saved version; it never changes. */
    version: (id: string, version: number) => ['flows', 'version', id, version] as const,
    /** The logged-in user's drafts. */
    drafts: ['flows', 'drafts'] as const,
  },
  /** The flow as the editor opened it: apart from `flows`, so nothing that refreshes flows reloads the document being edited. */
  openFlow: (id: string) => ['open-flow', id] as const,
  /** The user's draft as the editor opened it (null: none), apart from `flows` like {@link keys.openFlow}. */
  openDraft: (id: string) => ['open-draft', id] as const,
  /** The integrations list; as a prefix, every integration's query too (`keys.integration(id)`). */
  integrations: ['integrations'] as const,
  /** One integration, with its readiness as the server counts it. */
  integration: (id: string) => ['integrations', 'one', id] as const,
  /** An integration's status checks (under its prefix: a change of it refreshes them). */
  checks: (id: string) => ['integrations', 'checks', id] as const,
  offers: ['offers'] as const,
  templates: {
    all: ['templates'] as const,
    /** A template as the runtime reads it from `flows/templates/`; it does not change while the runtime runs. */
    one: (id: string) => ['templates', 'one', id] as const,
  },
  audit: {
    all: ['audit'] as const,
    list: (query: AuditQuery) => ['audit', 'list', query] as const,
  },
  leads: {
    all: ['leads'] as const,
    list: (query: LeadQuery) => ['leads', 'list', query] as const,
    one: (id: number) => ['leads', 'one', id] as const,
  },
  executions: {
    all: ['executions'] as const,
    list: (query: ExecutionQuery) => ['executions', 'list', query] as const,
    one: (id: number) => ['executions', 'one', id] as const,
  },
};

// ---------------------------------------------------------------------------------------------
// reading

/** The logged-in user, or null when nobody is (the API answered 401). */
export function useSession() {
  return useQuery({
    queryKey: keys.session,
    queryFn: () =>
      api.session().catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }),
  });
}

export function useUsers() {
  return useQuery({ queryKey: keys.users, queryFn: api.users });
}

export function useFlows() {
  return useQuery({ queryKey: keys.flows.list, queryFn: api.flows });
}

/** Fetches a flow's current document for an action (duplicate, rename), through the cache. */
export function useFetchFlow() {
  const client = useQueryClient();
  return (id: string) => client.fetchQuery({ queryKey: keys.flows.doc(id), queryFn: () => api.flow(id) });
}

/**
 * A flow as the editor opens it: the current document, or, when the validator now refuses the
 * stored flow (a node changed), its current version as saved, so it still opens to be fixed.
 */
async function openFlow(id: string): Promise<FlowDoc> {
  try {
    return await api.flow(id);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'invalid_flow') {
      const { currentVersion } = await api.versions(id);
      return api.version(id, currentVersion);
    }
    throw error;
  }
}

/**
 * The flow opened in the editor. Fetched each time the editor opens it and never again while it is
 * open: the editor owns the document from then on, and saving does not reload it.
 */
export function useOpenFlow(id: string) {
  return useQuery({ queryKey: keys.openFlow(id), queryFn: () => openFlow(id), staleTime: Infinity, gcTime: 0 });
}

/** The user's draft of a flow as the editor opens it (null when none); fetched once per opening like {@link useOpenFlow}. */
export function useOpenDraft(id: string) {
  return useQuery({ queryKey: keys.openDraft(id), queryFn: () => api.draft(id), staleTime: Infinity, gcTime: 0 });
}

/** The logged-in user's drafts, for the flows list. */
export function useMyDrafts() {
  return useQuery({ queryKey: keys.flows.drafts, queryFn: api.myDrafts });
}

export function useVersions(flowId: string) {
  return useQuery({ queryKey: keys.flows.versions(flowId), queryFn: () => api.versions(flowId), enabled: flowId !== '' });
}

/** A saved version; it never changes, so it is fetched once. */
const versionQuery = (flowId: string, version: number) =>
  queryOptions({ queryKey: keys.flows.version(flowId, version), queryFn: () => api.version(flowId, version), staleTime: Infinity });

/** Fetches a saved version through the cache, for an action (compare, open, roll back). */
export function useFetchVersion() {
  const client = useQueryClient();
  return (flowId: string, version: number) => client.fetchQuery(versionQuery(flowId, version));
}

/** A saved version, for a screen that shows one. */
export function useVersion(flowId: string, version: number) {
  return useQuery(versionQuery(flowId, version));
}

export function useIntegrations() {
  return useQuery({ queryKey: keys.integrations, queryFn: api.integrations });
}

/** One integration; its `readiness` holds every gap the server would refuse the switch for. */
export function useIntegration(id: string) {
  return useQuery({ queryKey: keys.integration(id), queryFn: () => api.integration(id), enabled: id !== '' });
}

export function useChecks(id: string) {
  return useQuery({ queryKey: keys.checks(id), queryFn: () => api.checks(id) });
}

export function useOffers() {
  return useQuery({ queryKey: keys.offers, queryFn: api.offers });
}

/** The templates a new integration can start from; fetched when a screen asks (`enabled`). */
export function useTemplates(options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: keys.templates.all, queryFn: api.templates, staleTime: Infinity, ...options });
}

/** One template in full: its flows and what it asks for. */
export function useTemplate(id: string) {
  return useQuery({ queryKey: keys.templates.one(id), queryFn: () => api.template(id), staleTime: Infinity, enabled: id !== '' });
}

/** A page of leads; the page shown stays while the next loads. */
export function useLeads(query: LeadQuery, options: { enabled?: boolean } = {}) {
  return useQuery({ queryKey: keys.leads.list(query), queryFn: () => api.leads(query), placeholderData: keepPreviousData, ...options });
}

/** The lead list page by page: each "Load more" asks for the page after the last one's cursor. */
export function useLeadPages(query: LeadQuery) {
  return useInfiniteQuery({
    queryKey: [...keys.leads.list(query), 'pages'] as const,
    queryFn: ({ pageParam }) => api.leadList({ ...query, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next,
    placeholderData: keepPreviousData,
  });
}

/** A lead's page; `refetchInterval` follows it while something is under way (it gets the answer so far). */
export function useLead(id: number, options: { refetchInterval?: (answer: LeadPage | undefined) => number | false } = {}) {
  const { refetchInterval } = options;
  return useQuery({
    queryKey: keys.leads.one(id),
    queryFn: () => api.lead(id),
    ...(refetchInterval && { refetchInterval: (query: { state: { data?: LeadPage } }) => refetchInterval(query.state.data) }),
  });
}

/** A page of executions; the page shown stays while the next loads. */
export function useExecutions(query: ExecutionQuery) {
  return useQuery({ queryKey: keys.executions.list(query), queryFn: () => api.executions(query), placeholderData: keepPreviousData });
}

export function useExecution(id: number) {
  return useQuery({ queryKey: keys.executions.one(id), queryFn: () => api.execution(id) });
}

/** The sources, with their intake keys' hints (never a key). */
export function useSources() {
  return useQuery({ queryKey: keys.sources, queryFn: api.sources });
}

/** The audit log's page for the filters given; always fetched again when the screen opens (every change adds to it). */
export function useAudit(query: AuditQuery) {
  return useQuery({ queryKey: keys.audit.list(query), queryFn: () => api.audit(query), placeholderData: keepPreviousData });
}
