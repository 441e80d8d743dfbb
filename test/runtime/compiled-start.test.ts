/**
 * `npm start` runs the runtime from its build (tsconfig.build.json: plain ES modules and source maps,
 * no TypeScript loader). This builds it the same way into a folder of its own, starts it with
 * `node --enable-source-maps` and its heap bound as `npm start` does, and checks what a user would: the runtime answers,
 * it found the compiled nodes and the project's templates, and a stack trace names the TypeScript
 * source it came from.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn, removeDataDir, ROOT, TEST_ADMIN, waitFor } from '../support/harness.ts';

const run = promisify(execFile);
/** The heap bound `npm start` sets (package.json's `config.heapMb`). */
const HEAP_MB = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { config: { heapMb: string } }).config.heapMb;
const artifacts = path.join(ROOT, 'test-artifacts');
let build: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  // inside the project, as dist/ is: the build finds flows/ and editor/dist/ from the project's folder
  build = mkdtempSync(path.join(artifacts, 'compiled-runtime-'));
  await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', build], {
    cwd: ROOT,
  });
}, 120_000);

afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(build, { recursive: true, force: true });
});

/** Starts the built runtime as `npm start` does; resolves with its output so far as it grows. */
function startBuilt(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--enable-source-maps', `--max-old-space-size=${HEAP_MB}`, path.join(build, 'runtime/main.js')], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LEADFLOW_SANDBOX_PORT: 'off', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => text, exited };
}

describe('the runtime built for npm start', () => {
  it('starts from JavaScript on port 0 over a fresh data folder and answers its health check', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'leadflow-compiled-'));
    const runtime = startBuilt({ PORT: '0', LEADFLOW_DATA: dataDir, LEADFLOW_ADMIN_PASSWORD: TEST_ADMIN.password });
    try {
      const url = await waitFor(() => runtime.output().match(/leadflow on (http:\/\/[^ ]+) /)?.[1], 'the built runtime to listen', 60_000);
      const base = url.replace('localhost', '127.0.0.1');
      const health = await fetch(`${base}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true });

      const cookie = await logIn(base, TEST_ADMIN.name, TEST_ADMIN.password);
      const { nodes } = (await (await fetch(`${base}/api/nodes`, { headers: { cookie } })).json()) as { nodes: { type: string }[] };
      expect(nodes.map((n) => n.type)).toEqual(expect.arrayContaining(['lead-in', 'http-request', 'code', 'respond']));
      const { templates } = (await (await fetch(`${base}/api/templates`, { headers: { cookie } })).json()) as { templates: unknown[] };
      expect(templates.length).toBeGreaterThan(0);
    } finally {
      runtime.child.kill('SIGTERM');
      await runtime.exited;
      removeDataDir(dataDir);
    }
  }, 90_000);

  it('names the TypeScript source and line in the stack of an error it throws', async () => {
    const runtime = startBuilt({ PORT: 'abc' });
    expect(await runtime.exited).not.toBe(0);
    expect(runtime.output()).toContain('PORT must be a whole number, not "abc"');
    expect(runtime.output()).toMatch(/at readConfig \(.*runtime\/config\.ts:\d+:\d+\)/);
    expect(runtime.output()).not.toMatch(/runtime\/config\.js:\d+/);
  }, 60_000);
});
