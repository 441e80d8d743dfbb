/**
 * Problems the kernel's flow validation names before a run, beyond the schema: an error exit left
 * unconnected (a warning, or an error when the node is told to take it and nothing is there) and
 * a URL that cannot be one once its templates are filled in.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';
import { validateFlow, type DescriptorLookup } from '../../core/flow/validate.ts';
import { urlProblem } from '../../core/flow/before-run.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';

let registry: DescriptorLookup;

beforeAll(async () => {
  registry = await loadNodeRegistry();
});

/** Lead In → JSON Build → HTTP Request, with the HTTP node's params and settings given. */
function sendFlow(send: Partial<FlowNode> = {}, extraEdges: FlowDoc['edges'] = [], extraNodes: FlowNode[] = []): FlowDoc {
  return {
    id: 'send',
    name: 'Send',
    event: 'lead.new',
    version: 1,
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      { id: 'order', type: 'json-build', position: { x: 200, y: 0 }, params: { body: { phone: '{{lead.phone}}' } } },
      {
        id: 'send',
        type: 'http-request',
        position: { x: 400, y: 0 },
        params: { method: 'POST', url: '{{integration.settings.base_url}}/orders', body: 'input' },
        ...send,
      },
      ...extraNodes,
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
      { id: 'e2', source: 'order', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
      ...extraEdges,
    ],
  };
}

const cancel: FlowNode = { id: 'refused', type: 'update-lead', position: { x: 600, y: 100 }, params: { stage: 'cancel' } };

describe('error exits left unconnected', () => {
  it('warns that an HTTP Request whose http_error exit leads nowhere stops the flow there, without making the flow invalid', () => {
    const result = validateFlow(sendFlow(), registry);
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        nodeId: 'send',
        field: 'outputs.http_error',
        message: 'is not connected: when HTTP Request takes this exit, the flow stops there (its “When it fails” setting)',
      },
    ]);
  });

  it('has no warning once the exit leads to a node', () => {
    const wired = sendFlow({}, [{ id: 'e3', source: 'send', sourceHandle: 'http_error', target: 'refused', targetHandle: 'in' }], [cancel]);
    const result = validateFlow(wired, registry);
    expect(result.warnings).toEqual([]);
  });

  it('says what happens instead when the node is set to continue on failure', () => {
    const result = validateFlow(sendFlow({ settings: { onError: 'continue' } }), registry);
    expect(result.warnings?.[0].message).toContain('the flow continues from “out” with the error');
  });

  it('is an error when the node is told to take the error exit and nothing is connected to it: the failure would be dropped', () => {
    const result = validateFlow(sendFlow({ settings: { onError: 'error-port' } }), registry);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      {
        nodeId: 'send',
        field: 'settings.onError',
        message:
          'takes the “error” exit when it fails, but nothing is connected to it, so a failure would be dropped silently: connect the exit or choose “stop the flow”',
      },
    ]);
  });

  it('accepts the error exit once it leads to a node', () => {
    const wired = sendFlow(
      { settings: { onError: 'error-port' } },
      [
        { id: 'e3', source: 'send', sourceHandle: 'error', target: 'refused', targetHandle: 'in' },
        { id: 'e4', source: 'send', sourceHandle: 'http_error', target: 'refused', targetHandle: 'in' },
      ],
      [cancel],
    );
    expect(validateFlow(wired, registry)).toMatchObject({ ok: true, warnings: [] });
  });

  it("warns about a Code node's error exit too", () => {
    const flow = sendFlow();
    flow.nodes[1] = { id: 'order', type: 'code', position: { x: 200, y: 0 }, params: { script: 'return input;' } };
    const result = validateFlow(flow, registry);
    expect(result.warnings?.map((w) => `${w.nodeId} ${w.field}`)).toEqual(['order outputs.error', 'send outputs.http_error']);
  });
});

describe('malformed URLs', () => {
  const urlIssues = (url: string) => {
    const result = validateFlow(sendFlow({ params: { method: 'POST', url, body: 'input' } }), registry);
    return result.ok ? [] : result.issues.filter((i) => i.field === 'params.url');
  };

  it('accepts a URL whose start is an integration setting, and a full URL with templates in its path or host', () => {
    expect(urlIssues('{{integration.settings.base_url}}/orders')).toEqual([]);
    expect(urlIssues('https://crm.example.com/api/orders?id={{lead.id}}')).toEqual([]);
    expect(urlIssues('https://{{integration.settings.host}}/orders')).toEqual([]);
  });

  it('names a URL with a misspelt scheme as a problem of the HTTP node’s url field', () => {
    expect(urlIssues('htp:/x')).toEqual([
      {
        nodeId: 'send',
        field: 'params.url',
        message:
          'is not a full URL: "htp:/x" must start with http:// or https:// (e.g. https://crm.example.com/api/orders or {{integration.settings.base_url}}/orders)',
      },
    ]);
  });

  it('names a URL with no host', () => {
    expect(urlProblem('https://')).toContain('names no host');
    expect(urlProblem('https:///orders')).toContain('names no host');
    expect(urlProblem('crm.example.com/orders')).toContain('must start with http:// or https://');
  });

  it('checks the login URL of Auth Token the same way', () => {
    const flow = sendFlow();
    flow.nodes[1] = { id: 'order', type: 'auth-token', position: { x: 200, y: 0 }, params: { url: 'https//crm.example.com/login' } };
    const result = validateFlow(flow, registry);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => `${i.nodeId} ${i.field}`)).toContain('order params.url');
  });
});
