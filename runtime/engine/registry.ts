/**
 * The node registry, built from the `nodes/` folder: every exported node definition of every
 * top-level `nodes/*.ts` file. Adding a node is adding a file; nothing registers it by hand.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { describeNode, type NodeDefinition, type NodeDescriptor } from '../../core/node/contract.ts';
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';

export interface NodeRegistry {
  get(type: string): NodeDefinition | undefined;
  all(): NodeDefinition[];
  /** The descriptors without code, as the editor gets them. */
  descriptors(): NodeDescriptor[];
  /** The node that starts a flow, with its definition (whose `trigger` facet says what it needs from the host). */
  triggerOf(flow: FlowDoc): { node: FlowNode; definition: NodeDefinition } | undefined;
}

const NODES_DIR = fileURLToPath(new URL('../../nodes/', import.meta.url));
/** `.ts` from the sources, `.js` from the build (`dist/`, where the compiled nodes sit beside the compiled runtime). */
const MODULE_EXTENSION = path.extname(fileURLToPath(import.meta.url));

function isNodeDefinition(value: unknown): value is NodeDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeDefinition).type === 'string' &&
    typeof (value as NodeDefinition).execute === 'function'
  );
}

/** Builds a registry from definitions; two nodes of one type are a mistake worth stopping for. */
export function createRegistry(definitions: Iterable<NodeDefinition>): NodeRegistry {
  const byType = new Map<string, NodeDefinition>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) throw new Error(`two nodes declare the type "${definition.type}"`);
    byType.set(definition.type, definition);
  }
  const sorted = [...byType.values()].sort((a, b) => a.title.localeCompare(b.title));
  return {
    get: (type) => byType.get(type),
    all: () => sorted,
    descriptors: () => sorted.map((d) => describeNode(d)),
    triggerOf: (flow) => {
      for (const node of flow.nodes) {
        const definition = byType.get(node.type);
        if (definition?.category === 'trigger') return { node, definition };
      }
      return undefined;
    },
  };
}

/** Imports every `nodes/*.ts` file (`*.js` in the build) and registers the node definitions they export. */
export async function loadNodeRegistry(dir = NODES_DIR): Promise<NodeRegistry> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(MODULE_EXTENSION) && !f.endsWith('.d.ts'))
    .sort();
  const definitions: NodeDefinition[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) if (isNodeDefinition(value)) definitions.push(value);
  }
  return createRegistry(definitions);
}
