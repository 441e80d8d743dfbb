/**
 * The flow format: JSON close to React Flow's own `nodes`/`edges`, so the editor loads and saves it
 * without translation. Declared once, with TypeBox: the TypeScript types below are `Static<>` of
 * the declaration, and `flows/flow.schema.json` is written from it (`npm run schema`; a test fails
 * when the committed file and the declaration part).
 *
 * A document says which format it is written in (`format`, missing = 1) and each node which
 * version of its node type its params were written for (`typeVersion`, missing = 1); loading a
 * flow brings both up to date (see `core/flow/format.ts`).
 *
 * @example
 * {
 *   "id": "demo-send", "name": "Demo CRM: send", "event": "lead.new", "version": 1,
 *   "nodes": [{ "id": "lead", "type": "lead-in", "position": { "x": 0, "y": 0 }, "params": {} },
 *             { "id": "http", "type": "http-request", "position": { "x": 250, "y": 0 },
 *               "params": { "method": "POST", "url": "{{integration.settings.base_url}}/orders" } }],
 *   "edges": [{ "id": "e1", "source": "lead", "sourceHandle": "out", "target": "http", "targetHandle": "in" }]
 * }
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { FLOW_EVENTS, type FlowEvent } from './config.ts';

/** The format flow documents are written in now. */
export const FLOW_FORMAT = 1;

/** What a failing node does to the flow. */
export const ON_ERROR = ['stop', 'continue', 'error-port'] as const;
export type OnError = (typeof ON_ERROR)[number];

/** The outcomes a node's retry may be asked to repeat. */
export const RETRY_ON = ['error', 'timeout', 'network_error', 'http_error'] as const;
export type RetryOn = (typeof RETRY_ON)[number];

/** One of a list of strings, as a JSON Schema `enum` (its errors read better than an `anyOf` of constants). */
function OneOf<T extends string>(values: readonly T[], options: Record<string, unknown> = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, enum: [...values] });
}

const settings = Type.Object(
  {
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 600000, description: "Deadline for the node's whole run, retries included." }),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          attempts: Type.Integer({ minimum: 1, maximum: 10 }),
          backoffMs: Type.Integer({ minimum: 0, maximum: 60000 }),
          on: Type.Optional(Type.Array(OneOf(RETRY_ON))),
        },
        { additionalProperties: false },
      ),
    ),
    onError: Type.Optional(
      OneOf(ON_ERROR, {
        description:
          "`stop` (default) fails the flow; `continue` goes on from the `out` port with the error as output; `error-port` takes the node's `error` port.",
      }),
    ),
    rerun: Type.Optional(
      Type.Boolean({
        description:
          'Always run again: a delivery continued after a failure, a crash or a wait runs this node afresh instead of reusing the output it ' +
          'had (a signature with a timestamp, a login). Auth Token always runs again: its token may have expired meanwhile.',
      }),
    ),
  },
  { additionalProperties: false },
);

const node = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }),
    type: Type.String({ minLength: 1 }),
    typeVersion: Type.Optional(
      Type.Integer({ minimum: 1, description: 'The version of the node type its params were written for; missing means 1.' }),
    ),
    label: Type.Optional(Type.String({ description: 'A name the integrator gave the node on the canvas.' })),
    position: Type.Object({ x: Type.Number(), y: Type.Number() }),
    params: Type.Record(Type.String(), Type.Unknown()),
    settings: Type.Optional(settings),
    disabled: Type.Optional(
      Type.Boolean({
        description:
          'Switched off on the canvas: the node is skipped and its input goes on unchanged through its main exit (see core/flow/disabled.ts).',
      }),
    ),
  },
  { additionalProperties: false },
);

const note = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    text: Type.String({ maxLength: 10000 }),
    position: Type.Object({ x: Type.Number(), y: Type.Number() }),
    size: Type.Optional(
      Type.Object({ width: Type.Number({ minimum: 40, maximum: 4000 }), height: Type.Number({ minimum: 30, maximum: 4000 }) }),
    ),
  },
  {
    additionalProperties: false,
    description: "A sticky note on the canvas: the integrator's words beside the nodes. The runtime ignores notes.",
  },
);

const edge = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    source: Type.String(),
    sourceHandle: Type.String(),
    target: Type.String(),
    targetHandle: Type.String(),
  },
  { additionalProperties: false },
);

/** The flow document's schema: Ajv validates against it, and `flows/flow.schema.json` is written from it. */
export const FlowSchema = Type.Object(
  {
    format: Type.Optional(Type.Integer({ minimum: 1, description: 'The format the document is written in; missing means 1.' })),
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    event: OneOf<FlowEvent>(FLOW_EVENTS),
    version: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Version this document was saved as; a saved version never changes. A new flow leaves it out.',
      }),
    ),
    description: Type.Optional(Type.String()),
    integration: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
        description:
          'The integration this flow is meant for (its id): only that integration may use it, and its page offers only such flows and unbound ones. Missing: any integration.',
      }),
    ),
    nodes: Type.Array(node, { minItems: 1 }),
    edges: Type.Array(edge),
    notes: Type.Optional(Type.Array(note, { maxItems: 200 })),
  },
  {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://leadflow.local/schemas/flow.json',
    title: 'leadflow flow',
    additionalProperties: false,
  },
);

/** Settings a node carries beside its params. All optional; the defaults are the safe ones. */
export type NodeSettings = Static<typeof settings>;
export type FlowNode = Static<typeof node>;
export type FlowEdge = Static<typeof edge>;
/** A sticky note on the canvas; the runtime ignores it. */
export type FlowNote = Static<typeof note>;
/** A flow document as the schema accepts it: a new one may leave its `version` out (the store numbers it). */
export type FlowInput = Static<typeof FlowSchema>;
/** A flow document as it is saved and run: with the version it was saved as. */
export type FlowDoc = Omit<FlowInput, 'version'> & { version: number };

/**
 * Whether an integration may use the flow: it is meant for that integration, or for none in
 * particular. The integration page offers only these, and the runtime refuses the others.
 * @example isFlowFor({ integration: 'acme' }, 'acme') // true; isFlowFor({ integration: 'acme' }, 'zen') // false
 */
export function isFlowFor(flow: { integration?: string }, integrationId: string): boolean {
  return flow.integration === undefined || flow.integration === integrationId;
}

/** The schema as plain JSON (TypeBox's own markers are symbols, which JSON leaves out). */
export function flowJsonSchema(schema: TSchema = FlowSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** A flow with its saved versions; versions are immutable, numbered from 1. */
export interface StoredFlow {
  id: string;
  name: string;
  event: FlowEvent;
  currentVersion: number;
  versions: FlowVersion[];
}

/** A published version: what the runtime runs when it is current. */
export interface FlowVersion {
  version: number;
  /** When it was published. */
  savedAt: string;
  /** Who published it (a user's name). */
  savedBy: string;
  /** What the publisher said of it ("send the goods too"); absent when they said nothing. */
  message?: string;
  flow: FlowDoc;
}

/**
 * One user's unpublished work on a flow: saved whenever the editor's document changes, valid or
 * not, kept per flow per user until that user publishes or discards it. The runtime never runs a
 * draft. A flow that was never published exists only as drafts (`baseVersion` 0).
 *
 * @example
 * { flowId: 'acme-send', userId: 'u-1', savedBy: 'anna', savedAt: '2026-12-01T14:02:00.000Z',
 *   baseVersion: 3, doc: { id: 'acme-send', name: 'Acme: send', event: 'lead.new', version: 3, nodes: [...], edges: [...] } }
 */
export interface FlowDraft {
  flowId: string;
  /** The user whose draft it is (their id: a renamed user keeps their drafts). */
  userId: string;
  /** That user's name when the draft was saved, for lists. */
  savedBy: string;
  savedAt: string;
  /** The published version the draft started from; 0 for a flow never published. */
  baseVersion: number;
  /**
   * The document as the editor had it. Not validated beyond its shape (an object with `nodes` and
   * `edges` lists): a required field may be empty, a node unconnected, the name blank.
   */
  doc: FlowDoc;
}
