/**
 * The editor's one way of fetching: TanStack Query over the API client (`client.ts`). Every screen
 * reads through the hooks here and changes through the mutations here; each mutation invalidates the
 * queries whose answers it changes, so the screens showing them fetch again. Query keys are built
 * only by {@link keys}.
 *
 * @example
 * const flows = useFlows();            // flows.data, flows.error, flows.isPending
 * const save = useSaveFlow();          // save.mutateAsync(doc) → the flows list and versions refresh
 */
import {
  QueryClient,
  queryOptions,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  keepPreviousData,
} from '@tanstack/react-query';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import type { AuditQuery } from '../../../core/domain/audit.ts';
import { api, ApiError, type ExecutionQuery, type LeadPage, type LeadQuery, type RerunAnswer } from './client.ts';

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

/** A lead's page; `refetchInterval` follows it while something is under way (it gets the answer so far). */
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

// ---------------------------------------------------------------------------------------------
// changing

/** Marks the answers under these keys stale; the screens showing them fetch again. */
function invalidate(client: QueryClient, ...queryKeys: readonly (readonly unknown[])[]): Promise<unknown> {
  return Promise.all(queryKeys.map((queryKey) => client.invalidateQueries({ queryKey })));
}

/** What a new version of a flow changes: the list, the flow's document and its versions (not the document being edited). */
const savedFlow = (id: string) => [keys.flows.list, keys.flows.doc(id), keys.flows.versions(id), keys.flows.drafts];

export function useCreateFlow() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.createFlow,
    onSuccess: () => invalidate(client, keys.flows.list),
  });
}

/** Saves a flow as a new version: the list and the flow's versions refresh; the open document stays. */
export function useSaveFlow() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.saveFlow,
    onSuccess: (saved) => invalidate(client, ...savedFlow(saved.id)),
  });
}

/** Publishes the user's draft as a new version: like a save, the list, versions and drafts refresh. */
export function usePublishFlow() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ flowId, ...request }: { flowId: string; message?: string; replace?: boolean }) => api.publish(flowId, request),
    // a first publish may bind the flow to its integration (runtime/services/flow-drafts.ts)
    onSuccess: (saved) => invalidate(client, ...savedFlow(saved.id), keys.integrations),
  });
}

/** Keeps a document as the user's draft (a new flow starts as one); the drafts list refreshes. */
export function useSaveDraft() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.saveDraft, onSuccess: () => invalidate(client, keys.flows.drafts) });
}

export function useDeleteFlow() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.deleteFlow,
    onSuccess: (_, id) => {
      client.removeQueries({ queryKey: keys.flows.doc(id) });
      return invalidate(client, keys.flows.list, keys.flows.drafts);
    },
  });
}

/** Saves an old version again as the newest. */
export function useRollBack() {
  const client = useQueryClient();
  const fetchVersion = useFetchVersion();
  return useMutation({
    mutationFn: async ({ flowId, version }: { flowId: string; version: number }) => {
      const doc = await fetchVersion(flowId, version);
      return api.saveFlow({ ...doc, id: flowId });
    },
    onSuccess: (saved) => invalidate(client, ...savedFlow(saved.id)),
  });
}

/** A test run; it records an execution, so the log refreshes. */
export function useTestRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ flowId, ...body }: Parameters<typeof api.testRun>[1] & { flowId: string }) => api.testRun(flowId, body),
    onSuccess: () => invalidate(client, keys.executions.all),
  });
}

/** Queues a lead's delivery again: the lead and the lists refresh. */
/** Sets a lead's stage by hand: the leads refresh, and the executions (a stage delivery may start). */
export function useSetLeadStage() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.setLeadStage,
    onSuccess: () => invalidate(client, keys.leads.all, keys.executions.all),
  });
}

export function useDeliverLead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.resendLead,
    onSuccess: () => invalidate(client, keys.leads.all, keys.executions.all),
  });
}

/**
 * Runs an execution again (`rerun`, on the current version) or from its failed node (`retry`);
 * `confirm` for a re-run the runtime asks confirmation for (a `lead.new` of a lead past `new`).
 */
export function useRunAgain() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, how, confirm }: { id: number; how: 'rerun' | 'retry'; confirm?: boolean }): Promise<RerunAnswer> =>
      how === 'rerun' ? api.rerunExecution(id, confirm) : api.retryExecution(id),
    onSuccess: () => invalidate(client, keys.executions.all, keys.leads.all),
  });
}

export function useCreateIntegration() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.createIntegration,
    onSuccess: () => invalidate(client, keys.integrations),
  });
}

/**
 * Changes an integration. The answer is the integration as now stored; a refused change (switching
 * on with gaps) also refreshes it, since its readiness, read again, lists the gaps the refusal named.
 */
export function useUpdateIntegration() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: Parameters<typeof api.updateIntegration>[1] }) => api.updateIntegration(id, patch),
    onSuccess: (next) => client.setQueryData(keys.integration(next.id), next),
    onSettled: () => invalidate(client, keys.integrations),
  });
}

/**
 * Rotates an integration's postback token. The answer holds the new postback URL (the
 * integration, fetched again, shows it too) and until when the old token still works.
 */
export function useRotatePostbackToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, graceMinutes }: { id: string; graceMinutes: number }) => api.rotatePostbackToken(id, { graceMinutes }),
    onSuccess: () => invalidate(client, keys.integrations),
  });
}

export function useDeleteIntegration() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.deleteIntegration,
    onSuccess: (_, id) => {
      client.removeQueries({ queryKey: keys.integration(id) });
      // its own flows went with it
      return invalidate(client, keys.integrations, keys.flows.list);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// sessions and users

/** Logs in; everything cached belonged to nobody (or someone else) and is dropped. */
export function useLogIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, password }: { name: string; password: string }) => api.logIn(name, password),
    onSuccess: (answer) => {
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.session[0] });
      client.setQueryData(keys.session, answer);
    },
  });
}

/** Creates an integration from a template; it saves the template's flows too, so the flows list refreshes. */
export function useIntegrationFromTemplate() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.integrationFromTemplate,
    onSuccess: () => invalidate(client, keys.integrations, keys.flows.list),
  });
}

/** Saves an offer: the offers refresh, and the integrations, whose readiness counts offer parameters. */
export function useSaveOffer() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.putOffer,
    onSuccess: () => invalidate(client, keys.offers, keys.integrations),
  });
}

/** Creates an offer: the offers refresh. */
export function useCreateOffer() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.createOffer, onSuccess: () => invalidate(client, keys.offers) });
}

/** Deletes an offer: the offers refresh, and the integrations, which stop listing it. */
export function useDeleteOffer() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.deleteOffer, onSuccess: () => invalidate(client, keys.offers, keys.integrations) });
}

// ---------------------------------------------------------------------------------------------
// sources and their intake keys

/** The sources' query key: the list holds every source, so every change invalidates it. */
const sourcesKey = ['sources'] as const;

export function useSources() {
  return useQuery({ queryKey: sourcesKey, queryFn: api.sources });
}

/** Creates a source; the answer carries its key, which no later answer repeats. */
export function useCreateSource() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.createSource, onSuccess: () => invalidate(client, sourcesKey) });
}

export function useUpdateSource() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...patch }: Parameters<typeof api.updateSource>[1] & { id: string }) => api.updateSource(id, patch),
    onSuccess: () => invalidate(client, sourcesKey),
  });
}

/** A new key for a source (shown once); the old ones keep working for the grace given. */
export function useRotateSourceKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, graceSeconds }: { id: string; graceSeconds: number }) => api.rotateSourceKey(id, { graceSeconds }),
    onSuccess: () => invalidate(client, sourcesKey),
  });
}

export function useRevokeSourceKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, keyId }: { id: string; keyId: string }) => api.revokeSourceKey(id, keyId),
    onSuccess: () => invalidate(client, sourcesKey),
  });
}

export function useDeleteSource() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.deleteSource, onSuccess: () => invalidate(client, sourcesKey) });
}

// ---------------------------------------------------------------------------------------------
// the audit log

/** The audit log's page for the filters given; always fetched again when the screen opens (every change adds to it). */
export function useAudit(query: AuditQuery) {
  return useQuery({ queryKey: keys.audit.list(query), queryFn: () => api.audit(query), placeholderData: keepPreviousData });
}

export function useLogOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.logOut,
    onSuccess: () => {
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.session[0] });
      client.setQueryData(keys.session, null);
    },
  });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.createUser, onSuccess: () => invalidate(client, keys.users) });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: Parameters<typeof api.updateUser>[1] }) => api.updateUser(id, patch),
    onSuccess: () => invalidate(client, keys.users),
  });
}
