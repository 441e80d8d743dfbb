/**
 * A validation problem in the integrator's words: the node named by its title (the label given on
 * the canvas, else its type's title, with its id beside it when two nodes read the same) and the
 * field by its param's label — "Send order: URL is required", not `http_request params.url is
 * required`. The problem itself ({@link FlowIssue}) keeps the node id and the field path, which is
 * what code acts on (selecting the node, marking the field); this is only how it reads.
 *
 * @example
 * issueInWords({ nodeId: 'http', field: 'params.url', message: 'is required' }, flow, catalog)
 * // { node: 'Send order', field: 'URL', text: 'Send order: URL is required' }
 */
import type { FlowNode } from '../domain/flow.ts';
import type { DescriptorLookup, FlowIssue } from './format.ts';

export interface IssueWords {
  /** The node's name as the canvas shows it, or undefined for a problem of the flow itself. */
  node?: string;
  /** The field in words ("URL", "Headers row 2 key"), or empty when the message says it all. */
  field: string;
  /** The whole line: "Send order: URL is required", "Flow: the flow needs a trigger node". */
  text: string;
}

/** The name a node goes by on the canvas: its label, else its type's title (the type itself when unknown). */
export function nodeTitle(node: Pick<FlowNode, 'type' | 'label'>, nodes: DescriptorLookup): string {
  return node.label?.trim() || nodes.get(node.type)?.title || node.type;
}

const humanPath = (rest: string) =>
  rest
    .replace(/\[(\d+)\]/g, (_, i: string) => ` row ${Number(i) + 1}`)
    .replace(/\./g, ' ')
    .trim();

/** A field path in words, for a node of the given type (undefined for the flow's own fields). */
export function fieldInWords(field: string, node: Pick<FlowNode, 'type'> | undefined, nodes: DescriptorLookup): string {
  const param = /^params\.([A-Za-z0-9_$-]+)(.*)$/.exec(field);
  if (param) {
    const spec = node ? nodes.get(node.type)?.params[param[1]] : undefined;
    return `${spec?.label ?? param[1]}${param[2] ? ' ' + humanPath(param[2]) : ''}`;
  }
  const exit = /^outputs\.(.+)$/.exec(field);
  if (exit) return `exit “${exit[1]}”`;
  const input = /^inputs\.(.+)$/.exec(field);
  if (input) return input[1] === 'in' ? 'input' : `input ${input[1]}`;
  if (/^edges\[\d+\]\.sourceHandle$/.test(field)) return 'connection from';
  if (/^edges\[\d+\]\.targetHandle$/.test(field)) return 'connection to';
  if (field === 'id') return 'name';
  if (field === 'type' || field === 'edges' || field === '(node)' || field === 'nodes' || field === '(flow)') return '';
  if (field.startsWith('settings.')) return humanPath(field.slice('settings.'.length));
  return humanPath(field);
}

/** One problem in words (see the module's example). `flow` is the document the problem was found in. */
export function issueInWords(issue: FlowIssue, flow: { nodes?: readonly FlowNode[] }, nodes: DescriptorLookup): IssueWords {
  const all = flow.nodes ?? [];
  const node = issue.nodeId !== undefined ? all.find((n) => n.id === issue.nodeId) : undefined;
  let name: string | undefined;
  if (issue.nodeId !== undefined) {
    if (node) {
      name = nodeTitle(node, nodes);
      const title = name;
      if (all.some((n) => n !== node && nodeTitle(n, nodes) === title)) name = `${title} (${node.id})`;
    } else name = issue.nodeId;
  }
  const field = fieldInWords(issue.field, node, nodes);
  const said = field ? `${field} ${issue.message}` : issue.message;
  return { node: name, field, text: `${name ?? 'Flow'}: ${said}` };
}
