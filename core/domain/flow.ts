/**
 * The flow format: JSON close to React Flow's own `nodes`/`edges`, so the editor loads and saves it
 * without translation. Its JSON Schema is `flows/flow.schema.json`.
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
import type { FlowEvent } from './config.ts';

/** What a failing node does to the flow. */
export type OnError = 'stop' | 'continue' | 'error-port';

/** The outcomes a node's retry may be asked to repeat. */
export type RetryOn = 'error' | 'timeout' | 'network_error' | 'http_error';

/** Settings a node carries beside its params. All optional; the defaults are the safe ones. */
export interface NodeSettings {
  /** Deadline for the node's whole run, retries included. */
  timeoutMs?: number;
  retry?: { attempts: number; backoffMs: number; on?: RetryOn[] };
  /** `stop` (default) fails the flow; `continue` goes on from the `out` port with the error as output; `error-port` takes the node's `error` port. */
  onError?: OnError;
}

export interface FlowNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  params: Record<string, unknown>;
  settings?: NodeSettings;
  /** A name the integrator gave the node on the canvas. */
  label?: string;
}

export interface FlowEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface FlowDoc {
  id: string;
  name: string;
  event: FlowEvent;
  /** Version this document was saved as; a saved version never changes. */
  version: number;
  description?: string;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** A flow with its saved versions; versions are immutable, numbered from 1. */
export interface StoredFlow {
  id: string;
  name: string;
  event: FlowEvent;
  currentVersion: number;
  versions: FlowVersion[];
}

export interface FlowVersion {
  version: number;
  savedAt: string;
  savedBy: string;
  flow: FlowDoc;
}
