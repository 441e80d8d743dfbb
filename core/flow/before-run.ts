/**
 * Problems a flow shows before it runs that the schema and the params' kinds do not catch: an
 * error exit with nothing connected to it, and a URL that cannot be one whatever its templates
 * give. Part of {@link validateFlow} (validate.ts), so the runtime's save and the editor's canvas
 * name the same problems.
 */
import type { NodeDescriptor } from '../node/contract.ts';
import type { FlowNode } from '../domain/flow.ts';
import type { FlowIssue } from './format.ts';

/**
 * The exits a node takes when the step failed (`error` of Code, `failed` of Auth Token,
 * `http_error` of HTTP Request: the target refused the request). Unconnected, the node's
 * "When it fails" setting decides, which by default stops the flow. HTTP Request's
 * `network_error`, `timeout` and `redirect` are not in the list: unconnected, they stop the run
 * with a retryable failure, so the delivery is tried again later, which is what they should do.
 */
export const ERROR_EXITS: readonly string[] = ['error', 'failed', 'http_error'];

/**
 * Warnings for a node's error exits with nothing connected, and an error for a node told to
 * take the `error` exit when it fails (settings.onError `error-port`) with nothing connected to
 * it: the runtime would end that branch there, and the failure would be dropped without a word.
 * `connected` holds `nodeId\u0000port` of every edge's source.
 */
export function errorExitProblems(
  node: FlowNode,
  descriptor: NodeDescriptor,
  connected: ReadonlySet<string>,
): { errors: FlowIssue[]; warnings: FlowIssue[] } {
  const errors: FlowIssue[] = [];
  const warnings: FlowIssue[] = [];
  const isConnected = (port: string) => connected.has(`${node.id}\u0000${port}`);
  const onError = node.settings?.onError ?? 'stop';
  if (onError === 'error-port' && !isConnected('error')) {
    errors.push({
      nodeId: node.id,
      field: 'settings.onError',
      message:
        'takes the “error” exit when it fails, but nothing is connected to it, so a failure would be dropped silently: connect the exit or choose “stop the flow”',
    });
  }
  const fallback = onError === 'continue' ? 'the flow continues from “out” with the error' : 'the flow stops there';
  for (const port of descriptor.outputs) {
    if (!ERROR_EXITS.includes(port) || isConnected(port)) continue;
    // with onError error-port, a connected `error` exit takes over Code's own `error` too
    if (port === 'error' && onError === 'error-port') continue;
    warnings.push({
      nodeId: node.id,
      field: `outputs.${port}`,
      message: `is not connected: when ${descriptor.title} takes this exit, ${fallback} (its “When it fails” setting)`,
    });
  }
  return { errors, warnings };
}

const TEMPLATE = /\{\{[\s\S]*?\}\}/g;

/**
 * Why a URL template cannot give a full URL, or undefined when it can. Templates are replaced by
 * a placeholder first, so `{{integration.settings.base_url}}/orders` passes (its start comes
 * from a value known at run time), and `htp:/x` or `https://` with no host does not.
 * @example urlProblem('https://') // 'is not a full URL: "https://" names no host …'
 */
export function urlProblem(url: string): string | undefined {
  const text = url.trim();
  // the scheme and host come from a value: only the run knows them
  if (text === '' || text.startsWith('{{')) return undefined;
  const filled = text.replace(TEMPLATE, 'x');
  const example = 'e.g. https://crm.example.com/api/orders or {{integration.settings.base_url}}/orders';
  if (!/^https?:\/\//i.test(filled)) return `is not a full URL: "${text}" must start with http:// or https:// (${example})`;
  // WHATWG URL reads `https:///orders` as the host "orders": the authority is looked at as written
  const authority = /^https?:\/\/([^/?#]*)/i.exec(filled)?.[1] ?? '';
  let host: string;
  try {
    host = authority === '' ? '' : new URL(filled).hostname;
  } catch {
    host = '';
  }
  if (host === '') return `is not a full URL: "${text}" names no host after the “//” (${example})`;
  if (/\s/.test(filled)) return `is not a full URL: "${text}" has a space in it (write it as %20)`;
  return undefined;
}
