import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { checkScriptSyntax, describeIssues, validateFlow } from '../../core/flow/validate.ts';

let registry: NodeRegistry;
beforeAll(async () => {
  registry = await loadNodeRegistry();
});

function flowWith(script: string, extra: Record<string, unknown> = {}): FlowDoc {
  return {
    id: 'code-check',
    name: 'code check',
    event: 'lead.new',
    version: 1,
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      { id: 'fix', type: 'code', position: { x: 200, y: 0 }, params: { script, ...extra } },
    ],
    edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'fix', targetHandle: 'in' }],
  };
}

function issuesOf(doc: FlowDoc) {
  const result = validateFlow(doc, registry);
  return result.ok ? [] : result.issues;
}

describe("a Code node's script is checked when the flow is validated", () => {
  it('a syntax error names the node, the field, the line and the column', () => {
    const issues = issuesOf(flowWith('const body = input.body;\nconst total = body.a +;\nreturn { total };'));
    expect(issues).toEqual([{ nodeId: 'fix', field: 'params.script', message: 'line 2, column 23: Unexpected token' }]);
    expect(describeIssues(issues)).toBe('node "fix": params.script: line 2, column 23: Unexpected token');
  });

  it('a script that is fine passes: return, await and modern syntax at the top of the body', () => {
    expect(
      issuesOf(
        flowWith(
          'const x = await Promise.resolve(input?.a ?? 1);\nconst { a, ...rest } = { a: x, b: 2 };\nreturn { a, rest, big: 10n > 1n };',
        ),
      ),
    ).toEqual([]);
  });

  it('the script is checked as the body of the function it runs in', () => {
    // a parameter cannot be redeclared with let
    expect(checkScriptSyntax('let input = 1;')).toEqual({ message: "Identifier 'input' has already been declared", line: 1, column: 5 });
    // nor may the script close its function and run code outside it
    expect(checkScriptSyntax('return 1;\n}); (function () {')).toMatchObject({ message: 'a closing brace ends the script early', line: 2 });
  });

  it("a bracket left open is reported at the script's last line", () => {
    expect(checkScriptSyntax('if (input.ok) {\n  return 1;')).toEqual({
      message: 'the script ends before every {, ( and [ is closed (Unexpected token)',
      line: 2,
      column: 12,
    });
  });

  it('an empty script is a missing parameter, and limits must be in range', () => {
    expect(issuesOf(flowWith(''))).toEqual([{ nodeId: 'fix', field: 'params.script', message: 'is required' }]);
    expect(issuesOf(flowWith('return 1', { timeoutMs: 60_000, memoryMb: 0 }))).toEqual([
      { nodeId: 'fix', field: 'params.timeoutMs', message: 'must be between 10 and 30000' },
      { nodeId: 'fix', field: 'params.memoryMb', message: 'must be between 1 and 256' },
    ]);
  });

  it('the Code node may name secrets only as signing keys; its script is never a template', () => {
    expect(issuesOf(flowWith('return "{{secrets.api_key}}";', { keys: [{ key: 'sign', value: '{{secrets.api_secret}}' }] }))).toEqual([]);
  });

  it('leadflow validate reports the line and column, and passes both example flows', async () => {
    const run = promisify(execFile);
    const cli = path.resolve('bin/leadflow.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-code-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(flowWith('return {\n  a: 1,,\n};')));
    const failed = await run(process.execPath, [cli, 'validate', bad]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('node "fix": params.script: line 2, column 8: Unexpected token');
    for (const name of ['code-prepare-request', 'code-handle-answer']) {
      const { stdout } = await run(process.execPath, [cli, 'validate', `flows/examples/${name}.json`]);
      expect(stdout).toContain('valid (lead.new, 7 nodes)');
    }
  }, 60_000);
});
