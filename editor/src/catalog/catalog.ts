/**
 * The node catalog as the runtime describes it (`GET /api/nodes`), loaded once for every screen.
 * Kept apart from the editor store so the first page does not load React Flow; the editor copies
 * it in when a flow opens.
 */
import { create } from 'zustand';
import type { NodeDescriptor } from '../../../core/node/contract.ts';

interface CatalogState {
  descriptors: Map<string, NodeDescriptor>;
  set(list: NodeDescriptor[]): void;
}

export const useCatalog = create<CatalogState>()((set) => ({
  descriptors: new Map(),
  set(list) {
    set({ descriptors: new Map(list.map((d) => [d.type, d])) });
  },
}));

/** The events some trigger node can start. */
export function startableEvents(descriptors: Map<string, NodeDescriptor>): string[] {
  return [...new Set([...descriptors.values()].flatMap((d) => (d.category === 'trigger' ? (d.events ?? []) : [])))];
}
