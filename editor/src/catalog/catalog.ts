/**
 * The node catalog as the runtime describes it (`GET /api/nodes`), fetched once for every screen
 * through the query cache (`api/queries.ts`). The shell waits for it; the editor copies it into its
 * store when a flow opens.
 */
import { useQuery } from '@tanstack/react-query';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import { api } from '../api/client.ts';
import { keys } from '../api/queries.ts';

const byType = (list: NodeDescriptor[]) => new Map(list.map((d) => [d.type, d]));
const EMPTY = new Map<string, NodeDescriptor>();

/** The catalog query: its `data` is the descriptors by node type. */
export function useCatalogQuery() {
  return useQuery({ queryKey: keys.catalog, queryFn: api.nodes, staleTime: Infinity, select: byType });
}

/** The descriptors by node type (empty until the catalog has loaded, which the shell waits for). */
export function useCatalog(): Map<string, NodeDescriptor> {
  return useCatalogQuery().data ?? EMPTY;
}

/** The events some trigger node can start. */
export function startableEvents(descriptors: Map<string, NodeDescriptor>): string[] {
  return [...new Set([...descriptors.values()].flatMap((d) => (d.category === 'trigger' ? (d.events ?? []) : [])))];
}
