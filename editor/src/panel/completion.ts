/**
 * Completion inside `{{ … }}`: the roots of the template syntax, the lead's fields, the offers'
 * parameters (geo-specific keys offered under their plain name too), the integration's settings and
 * secret names (to nodes that may read secrets), earlier nodes and, after a test run, the fields
 * their outputs really had; after `|`, the filters.
 */
import { FILTERS, TEMPLATE_ROOTS } from '../../../core/template/template.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import { LEAD_FIELDS } from '../runs/lead-fields.ts';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import type { Offer } from '../../../core/domain/config.ts';
import type { IntegrationView } from '../api/client.ts';
import type { EditorState } from '../canvas/store.ts';

/** What completion draws from: the open flow, the catalog, the last run and the test integration's reference data. */
export interface CompletionScope extends Pick<EditorState, 'descriptors' | 'run' | 'testIntegration'> {
  doc: Pick<FlowDoc, 'nodes' | 'edges' | 'event'> | null;
  integrations: IntegrationView[];
  offers: Offer[];
}

export interface Suggestion {
  /** What is inserted in place of the word being typed. */
  insert: string;
  label: string;
  detail?: string;
  /** A leaf closes the expression with `}}`; a branch continues with `.`. */
  leaf: boolean;
}

/** Where the caret is inside an unfinished `{{ … }}`, and what is being typed there. */
export interface CompletionSpot {
  /** Start of the word being replaced. */
  from: number;
  to: number;
  kind: 'path' | 'filter';
  /** The path before the word (`lead` for `lead.ph`). */
  parent: string[];
  word: string;
}

export function completionSpot(text: string, caret: number): CompletionSpot | null {
  const open = text.lastIndexOf('{{', caret - 1);
  if (open < 0 || caret < open + 2) return null;
  const close = text.indexOf('}}', open);
  if (close >= 0 && close < caret) return null;
  const inside = text.slice(open + 2, caret);
  if (/["']/.test(inside.slice(inside.lastIndexOf('|') + 1))) return null;
  const pipe = inside.lastIndexOf('|');
  if (pipe >= 0) {
    const after = inside.slice(pipe + 1);
    if (after.includes(':')) return null;
    const word = after.trimStart();
    return { from: caret - word.length, to: caret, kind: 'filter', parent: [], word };
  }
  const expr = inside.trimStart();
  if (!/^[A-Za-z0-9_$.[\]-]*$/.test(expr)) return null;
  const parts = expr.split('.');
  const word = parts.pop() ?? '';
  return { from: caret - word.length, to: caret, kind: 'path', parent: parts.filter((p) => p !== ''), word };
}

const ROOT_HELP: Record<string, string> = {
  lead: 'The lead: name, phone, country…',
  offer: "The lead's offer and its parameters",
  integration: "This integration's settings",
  secrets: "This integration's credentials",
  input: 'What the node before gave',
  nodes: 'The output of an earlier node, by its id',
  trigger: 'What started the flow',
  batch: 'The batch of a status check',
  item: 'The current item of For Each',
  now: 'The time of the run',
};

function keysOf(value: unknown): Suggestion[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value))
    return value.length ? [{ insert: '0', label: '0', detail: 'first item', leaf: typeof value[0] !== 'object' || value[0] === null }] : [];
  return Object.entries(value).map(([key, v]) => ({
    insert: /^[A-Za-z0-9_$-]+$/.test(key) ? key : `["${key}"]`,
    label: key,
    detail: v === null || typeof v !== 'object' ? JSON.stringify(v)?.slice(0, 40) : Array.isArray(v) ? `list of ${v.length}` : 'object',
    leaf: v === null || typeof v !== 'object',
  }));
}

function walk(value: unknown, path: string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment.replace(/^\["|"\]$/g, '')];
  }
  return current;
}

const NO_GRAPH: Pick<FlowDoc, 'edges'> = { edges: [] };

/** Ids of the nodes upstream of `nodeId`, nearest first. */
export function upstreamOf(graph: Pick<FlowDoc, 'edges'>, nodeId: string): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  let frontier = [nodeId];
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const edge of graph.edges) {
        if (edge.target === id && !seen.has(edge.source)) {
          seen.add(edge.source);
          order.push(edge.source);
          next.push(edge.source);
        }
      }
    }
    frontier = next;
  }
  return order;
}

/** Suggestions for a spot inside a template of node `nodeId`. */
export function suggest(
  state: CompletionScope,
  nodeId: string,
  descriptor: NodeDescriptor | undefined,
  spot: CompletionSpot,
): Suggestion[] {
  const all = candidates(state, nodeId, descriptor, spot);
  const word = spot.word.toLowerCase();
  return all
    .filter((s) => s.label.toLowerCase().startsWith(word) || (word.length > 1 && s.label.toLowerCase().includes(word)))
    .slice(0, 60);
}

function candidates(state: CompletionScope, nodeId: string, descriptor: NodeDescriptor | undefined, spot: CompletionSpot): Suggestion[] {
  if (spot.kind === 'filter') {
    return Object.entries(FILTERS).map(([name, f]) => ({ insert: name, label: name, detail: f.help, leaf: true }));
  }
  const [root, ...rest] = spot.parent;
  if (root === undefined) {
    return TEMPLATE_ROOTS.filter((r) => r !== 'secrets' || descriptor?.usesSecrets).map((r) => ({
      insert: r,
      label: r,
      detail: ROOT_HELP[r],
      leaf: r === 'now',
    }));
  }
  const integration = state.integrations.find((i) => i.id === state.testIntegration);
  const run = state.run;
  switch (root) {
    case 'lead':
    case 'trigger': {
      if (root === 'trigger' && state.doc?.event === 'postback.in') {
        return rest.length
          ? keysOf(walk(run?.answer.execution.trigger, rest))
          : [
              { insert: 'query', label: 'query', detail: 'URL parameters of the postback', leaf: false },
              { insert: 'body', label: 'body', detail: 'Body of the postback', leaf: false },
            ];
      }
      if (rest.length) return keysOf(walk(run?.answer.execution.trigger, rest));
      return Object.entries(LEAD_FIELDS).map(([key, help]) => ({
        insert: key,
        label: key,
        detail: help,
        leaf: key !== 'meta' && key !== 'goods',
      }));
    }
    case 'offer': {
      if (rest.length === 0) {
        return [
          { insert: 'params', label: 'params', detail: "The offer's parameters (for the lead's country)", leaf: false },
          { insert: 'id', label: 'id', detail: 'Offer id', leaf: true },
          { insert: 'name', label: 'name', detail: 'Offer name', leaf: true },
          { insert: 'goals', label: 'goals', detail: 'Goals', leaf: true },
          { insert: 'products', label: 'products', detail: 'Products', leaf: true },
        ];
      }
      if (rest[0] === 'params' && rest.length === 1) {
        const offerIds = integration?.offers.length ? integration.offers : state.offers.map((o) => o.id);
        const keys = new Map<string, string>();
        for (const offer of state.offers.filter((o) => offerIds.includes(o.id))) {
          for (const [key, value] of Object.entries(offer.parameters ?? {})) {
            const geo = /^(.+)-([a-z]{2})$/i.exec(key);
            if (geo) {
              if (!keys.has(geo[1])) keys.set(geo[1], `per country (${key} for ${geo[2].toUpperCase()})`);
            } else keys.set(key, `${offer.name}: ${value}`);
            keys.set(key, keys.get(key) ?? `${offer.name}: ${value}`);
          }
        }
        return [...keys].map(([key, detail]) => ({ insert: key, label: key, detail, leaf: true }));
      }
      return [];
    }
    case 'integration':
      if (rest.length === 0) {
        return [
          { insert: 'settings', label: 'settings', detail: "This integration's settings", leaf: false },
          { insert: 'id', label: 'id', detail: 'Integration id', leaf: true },
          { insert: 'name', label: 'name', detail: 'Integration name', leaf: true },
        ];
      }
      if (rest[0] === 'settings' && rest.length === 1) {
        return Object.entries(integration?.settings ?? {}).map(([key, value]) => ({ insert: key, label: key, detail: value, leaf: true }));
      }
      return [];
    case 'secrets':
      if (!descriptor?.usesSecrets || rest.length) return [];
      return Object.keys(integration?.secrets ?? {}).map((name) => ({
        insert: name,
        label: name,
        detail: 'secret (value hidden)',
        leaf: true,
      }));
    case 'nodes': {
      if (rest.length === 0) {
        return upstreamOf(state.doc ?? NO_GRAPH, nodeId).map((id) => {
          const node = state.doc?.nodes.find((n) => n.id === id);
          const title = node?.label || state.descriptors.get(node?.type ?? '')?.title || '';
          return { insert: id, label: id, detail: title, leaf: false };
        });
      }
      return keysOf(walk(run?.steps[rest[0]]?.output, rest.slice(1)));
    }
    case 'input': {
      const own = run?.steps[nodeId]?.input;
      if (own !== undefined) return keysOf(walk(own, rest));
      const before = upstreamOf(state.doc ?? NO_GRAPH, nodeId)[0];
      return keysOf(walk(before ? run?.steps[before]?.output : undefined, rest));
    }
    case 'item':
    case 'batch':
      return [];
    default:
      return [];
  }
}
