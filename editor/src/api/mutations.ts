/**
 * The editor's one way of changing: TanStack Query mutations over the API client (`client.ts`).
 * Each invalidates the queries (`queries.ts`, by {@link keys}) whose answers it changes, so the
 * screens showing them fetch again.
 *
 * @example
 * const save = useSaveFlow();          // save.mutateAsync(doc) → the flows list and versions refresh
 */
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, type RerunAnswer } from './client.ts';
import { keys, useFetchVersion } from './queries.ts';

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

/** Sets a lead's stage by hand: the leads refresh, and the executions (a stage delivery may start). */
export function useSetLeadStage() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: api.setLeadStage,
    onSuccess: () => invalidate(client, keys.leads.all, keys.executions.all),
  });
}

/** Queues a lead's delivery again: the lead and the lists refresh. */
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

/** Creates a source; the answer carries its key, which no later answer repeats. */
export function useCreateSource() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.createSource, onSuccess: () => invalidate(client, keys.sources) });
}

export function useUpdateSource() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...patch }: Parameters<typeof api.updateSource>[1] & { id: string }) => api.updateSource(id, patch),
    onSuccess: () => invalidate(client, keys.sources),
  });
}

/** A new key for a source (shown once); the old ones keep working for the grace given. */
export function useRotateSourceKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, graceSeconds }: { id: string; graceSeconds: number }) => api.rotateSourceKey(id, { graceSeconds }),
    onSuccess: () => invalidate(client, keys.sources),
  });
}

export function useRevokeSourceKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, keyId }: { id: string; keyId: string }) => api.revokeSourceKey(id, keyId),
    onSuccess: () => invalidate(client, keys.sources),
  });
}

export function useDeleteSource() {
  const client = useQueryClient();
  return useMutation({ mutationFn: api.deleteSource, onSuccess: () => invalidate(client, keys.sources) });
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
