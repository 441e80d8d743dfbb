/**
 * Flow documents written in older formats, or with nodes whose params were written for older
 * versions of their node types, brought up to date in one pass. Every load of a flow goes through
 * {@link migrateFlow} before it is validated or run, so the rest of the code reads the current
 * format only.
 *
 * A document's `format` and a node's `typeVersion` left out mean 1; after migration they are
 * written out only where they are above 1, so a document of today's format reads as it did.
 */
import { FLOW_FORMAT } from '../domain/flow.ts';
import type { NodeDescriptor, NodeMigration } from '../node/contract.ts';

/** One problem in a flow. `field` is a path inside the node (`params.url`) or the flow (`edges[2].target`). */
export interface FlowIssue {
  nodeId?: string;
  field: string;
  message: string;
}

/**
 * Finds node types by name: their descriptors, and for the runtime their definitions with the
 * `migrate` hook. The editor's descriptors have none; the flows it holds came from the runtime
 * already migrated.
 */
export interface DescriptorLookup {
  get(type: string): (NodeDescriptor & { migrate?: NodeMigration }) | undefined;
}

/**
 * Steps from one format to the next: `FORMAT_STEPS[n]` turns a format-`n` document into format
 * `n + 1`. Empty while format 1 is the only one; a change to the format adds a step here and
 * raises `FLOW_FORMAT`.
 */
const FORMAT_STEPS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {};

export type FlowMigration = { ok: true; doc: unknown } | { ok: false; issues: FlowIssue[] };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Brings a flow document to the current format and each node's params to its type's current
 * version (through the node's `migrate`). The input is not changed. A document that is not even
 * shaped like a flow is returned as it is, for the schema to say what is wrong with it.
 *
 * Problems: a format or node version newer than this code knows, or a node type above version 1
 * without a `migrate` where a node needs one.
 */
export function migrateFlow(input: unknown, nodes: DescriptorLookup): FlowMigration {
  if (!isObject(input)) return { ok: true, doc: input };
  const issues: FlowIssue[] = [];
  const from = input.format === undefined ? 1 : input.format;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) return { ok: true, doc: input };
  if (from > FLOW_FORMAT) {
    return {
      ok: false,
      issues: [{ field: 'format', message: `is ${from}; this version of leadflow reads flow formats up to ${FLOW_FORMAT}` }],
    };
  }
  let doc: Record<string, unknown> = { ...input };
  for (let format = from; format < FLOW_FORMAT; format++) doc = { ...FORMAT_STEPS[format](doc), format: format + 1 };
  if (Array.isArray(doc.nodes)) {
    doc.nodes = doc.nodes.map((node: unknown, i) => {
      if (!isObject(node) || typeof node.type !== 'string' || !isObject(node.params)) return node;
      const nodeId = typeof node.id === 'string' ? node.id : `#${i}`;
      const definition = nodes.get(node.type);
      if (!definition) return node;
      const current = definition.version ?? 1;
      const written = node.typeVersion === undefined ? 1 : node.typeVersion;
      if (typeof written !== 'number' || !Number.isInteger(written)) return node;
      if (written === current) return node;
      if (written > current) {
        issues.push({
          nodeId,
          field: 'typeVersion',
          message: `is ${written}; this version of leadflow knows ${definition.title} up to version ${current}`,
        });
        return node;
      }
      if (!definition.migrate) {
        issues.push({
          nodeId,
          field: 'typeVersion',
          message: `is ${written}; ${definition.title} is at version ${current} here and cannot bring older params up`,
        });
        return node;
      }
      return { ...node, typeVersion: current, params: definition.migrate(structuredClone(node.params), written) };
    });
  }
  return issues.length ? { ok: false, issues } : { ok: true, doc };
}
