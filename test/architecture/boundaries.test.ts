/**
 * The import arrows are lint rules (eslint.config.js). These tests lint small made-up files placed in
 * the tree, with the repo's own configuration, to show each rule fires on an import that breaks an
 * arrow and stays quiet on one that follows it: a rule that could never fail would prove nothing.
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

const BOUNDARY_RULES = ['import-x/no-restricted-paths', 'import-x/no-nodejs-modules'];

/** The boundary rules that the file `filePath` (relative to the repo) breaks if it held `code`. */
async function brokenBoundaries(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  return result.messages.filter((m) => m.ruleId && BOUNDARY_RULES.includes(m.ruleId)).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the import arrows', () => {
  it.each([
    ['an editor file imports the runtime', 'editor/src/probe.ts', `import { createRuntime } from '../../runtime/runtime.ts';`],
    ['the runtime imports the editor', 'runtime/probe.ts', `import { api } from '../editor/src/api/client.ts';`],
    ['a node imports the runtime', 'nodes/probe.ts', `import { Executor } from '../runtime/engine/executor.ts';`],
    ['the kernel imports a node', 'core/probe.ts', `import { sign } from '../nodes/sign.ts';`],
    ['the kernel imports the runtime', 'core/flow/probe.ts', `import type { LeadStore } from '../../runtime/store/types.ts';`],
    ['an http route imports the store', 'runtime/http/probe.ts', `import type { LeadStore } from '../store/types.ts';`],
    ['the store imports a service', 'runtime/store/probe.ts', `import type { LeadService } from '../services/leads.ts';`],
    ['the engine imports a service', 'runtime/engine/probe.ts', `import type { LeadService } from '../services/leads.ts';`],
    ['a service imports an http route', 'runtime/services/probe.ts', `import { leadRoutes } from '../http/leads.ts';`],
  ])('reports it when %s', async (_case, filePath, code) => {
    const broken = await brokenBoundaries(filePath, code);
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(/^import-x\/no-restricted-paths: /);
  });

  it.each([
    ['a node imports node:crypto', 'nodes/probe.ts', `import { createHash } from 'node:crypto';`],
    ['the kernel imports fs', 'core/probe.ts', `import { readFileSync } from 'fs';`],
    ['the kernel imports path, for types only', 'core/domain/probe.ts', `import type { ParsedPath } from 'path';`],
  ])('reports a Node built-in where the browser runs the code: %s', async (_case, filePath, code) => {
    const broken = await brokenBoundaries(filePath, code);
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(/^import-x\/no-nodejs-modules: /);
  });

  it.each([
    [
      'the editor imports the kernel and a node',
      'editor/src/probe.ts',
      `import { isStage } from '../../core/domain/lead.ts';\nimport { sign } from '../../nodes/sign.ts';`,
    ],
    [
      'a node imports the kernel and a package',
      'nodes/probe.ts',
      `import { defineNode } from '../core/node/contract.ts';\nimport { parse } from 'acorn';`,
    ],
    ['an http route imports a service', 'runtime/http/probe.ts', `import type { LeadService } from '../services/leads.ts';`],
    [
      'a service imports the store and the engine',
      'runtime/services/probe.ts',
      `import type { LeadStore } from '../store/types.ts';\nimport { Executor } from '../engine/executor.ts';`,
    ],
    ['the runtime uses Node', 'runtime/probe.ts', `import { readFileSync } from 'node:fs';`],
    [
      'a test imports anything',
      'test/probe.test.ts',
      `import { createRuntime } from '../runtime/runtime.ts';\nimport { api } from '../editor/src/api/client.ts';`,
    ],
  ])('accepts it when %s', async (_case, filePath, code) => {
    expect(await brokenBoundaries(filePath, code)).toEqual([]);
  });
});
