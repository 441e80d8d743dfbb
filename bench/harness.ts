/**
 * The bench's processes: the runtime under test (`bench/runtime-child.ts`, built once per run into
 * bench/dist/ and run from JavaScript as `npm start` runs the runtime, a fresh temporary data
 * folder each), the mock target (`bench/mock-target.ts`), the load generator (`bench/load.ts`) and
 * any other script a scenario runs, each a child process of its own so that the runtime's CPU and
 * peak RSS are its own. Children still alive when the bench exits are killed.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult, LoadSpec } from './load.ts';
import { profileFor, summariseAfterExit } from './profiling.ts';
import type { IssuedKey } from '../core/api.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BENCH = path.join(ROOT, 'bench');

/**
 * The V8 heap bound `npm start` gives the runtime (package.json's `config.heapMb`, which
 * `LEADFLOW_HEAP_MB` overrides there): the bench's runtime runs under the same one. It bounds more
 * than the limit: V8 lets garbage pile up to 4× the live heap before a full collection when the old
 * space may reach 2 GB or more (Node's default here is about 4 GB), about 1.8× at 1,536 MB.
 */
const NPM_CONFIG = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { config: { heapMb: string; semiSpaceMb: string } }
).config;
export const RUNTIME_HEAP_MB = Number(NPM_CONFIG.heapMb);

/**
 * The young generation's bound `npm start` gives the runtime (`config.semiSpaceMb`, which
 * `LEADFLOW_SEMI_SPACE_MB` overrides there and here, so one bench can compare two): each of the new
 * space's two halves. A request's garbage dies young; a scavenge copies what is still alive (the
 * requests in flight), so a larger new space means fewer scavenges for the same copying each.
 */
export const RUNTIME_SEMI_SPACE_MB = Number(process.env.LEADFLOW_SEMI_SPACE_MB || NPM_CONFIG.semiSpaceMb);

/** The V8 flags the runtime starts with under `npm start`, which the bench's runtime and floor share. */
export const RUNTIME_V8_FLAGS = [`--max-old-space-size=${RUNTIME_HEAP_MB}`, `--max-semi-space-size=${RUNTIME_SEMI_SPACE_MB}`];

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
process.on('SIGINT', () => process.exit(130));

/** Kills the child if the bench exits before it was stopped. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a TypeScript script in a child process; resolves with its exit code and all it printed. */
export async function runScript(script: string, args: string[]): Promise<{ code: unknown; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  children.delete(child);
  return { code, out };
}

/** Sends load at a URL from the load generator's own process; any error or non-2xx answer fails the bench. */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const { code, out } = await runScript(path.join(BENCH, 'load.ts'), [JSON.stringify(spec)]);
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').pop() as string) as LoadResult;
  if (result.non2xx || result.errors) throw new Error(`the load got errors: ${JSON.stringify(result)}`);
  return result;
}

export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The mock target: answers the demo CRM, the registration and the status check after the delay. */
export interface MockTarget {
  url: string;
  requests(): Promise<number>;
  stop(): void;
}

/**
 * The management API of the runtime at `url`, logged in once as the admin the way the editor logs
 * in; the session cookie goes with every call. A call answered 3xx or worse throws.
 */
export async function adminApi(url: string, password: string): Promise<RuntimeChild['api']> {
  const login = await fetch(url + '/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password }),
  });
  const cookie = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('leadflow_session='))
    ?.split(';')[0];
  if (login.status !== 200 || !cookie) throw new Error(`logging in to the runtime failed: ${login.status}`);
  return async (method, route, body) => {
    const answer = await fetch(url + route, {
      method,
      headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    if (answer.status >= 300) throw new Error(`${method} ${route}: ${answer.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

export async function startMock(delayMs: number): Promise<MockTarget> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH, 'mock-target.ts'), '--delay', String(delayMs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the mock target exited with ${code}`)));
  });
  return {
    url,
    async requests() {
      return ((await (await fetch(`${url}/stats`)).json()) as { requests: number }).requests;
    },
    stop() {
      child.kill('SIGTERM');
      children.delete(child);
    },
  };
}

/** The runtime under test, reached over HTTP and over its IPC channel (see `bench/runtime-child.ts`). */
export interface RuntimeChild {
  url: string;
  /** The intake key of the bench's network source (every offer), made through the API as a user would. */
  intakeKey: string;
  pid: number;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  api(method: string, route: string, body?: unknown): Promise<unknown>;
  /** Starts a new peak: VmHWM falls back to the current RSS. */
  resetPeak(): void;
  /** VmHWM in MB since the last reset. */
  peakRssMb(): number;
  /** CPU time (user + system) the runtime process used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface RuntimeChildOptions {
  /** Start the job queue (off: leads are stored with their delivery job and nothing takes it). */
  queue: boolean;
  /** Run it under `node --cpu-prof`, the profile written to bench/profiles/<profile>.cpuprofile (see bench/profiling.ts). */
  profile?: string;
  /** SQLite's `synchronous` for the store (the runtime's own is NORMAL with the WAL synced off the thread; FULL fsyncs inside COMMIT). */
  synchronous?: 'FULL' | 'NORMAL';
  /** PostgreSQL for every store (`LEADFLOW_DATABASE_URL`); unset: the embedded store in the fresh data folder. */
  databaseUrl?: string;
  /** `LEADFLOW_SECRET_KEY`: the same for every runtime on one database. */
  secretKey?: string;
  /**
   * Join the bench source another runtime on the same database made, with its intake key, instead
   * of making one (a second runtime on PostgreSQL shares the first's configuration).
   */
  intakeKey?: string;
}

/** The bench runtime's admin password (a fresh data folder each run; never exposed beyond 127.0.0.1). */
const BENCH_ADMIN_PASSWORD = 'bench-admin-password-2c81';

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

function procStatus(pid: number, field: string): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : NaN;
}

/** CPU time (user + system) a process used so far, in ms. */
export function processCpuMs(pid: number): number {
  // fields 14 and 15 of /proc/PID/stat (after the parenthesised name): utime, stime in clock ticks
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** A process's VmHWM in MB since its last {@link resetPeakRss}. */
export function processPeakRssMb(pid: number): number {
  return Math.round(procStatus(pid, 'VmHWM') / 1024);
}

/** Starts a new peak: VmHWM falls back to the current RSS. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

let runtimeBuild: Promise<string> | undefined;

/**
 * The runtime child built once per bench run (bench/tsconfig.build.json, into bench/dist/, cleaned
 * first): the runtime measured runs from JavaScript as `npm start` runs it, no TypeScript loader on
 * its hot path. Resolves with the compiled child's path.
 */
function buildRuntimeChild(): Promise<string> {
  runtimeBuild ??= (async () => {
    rmSync(path.join(BENCH, 'dist'), { recursive: true, force: true });
    const tsc = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(BENCH, 'tsconfig.build.json')],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
    children.add(tsc);
    const code = await new Promise((resolve) => tsc.once('exit', resolve));
    children.delete(tsc);
    if (code !== 0) throw new Error(`building the runtime child failed (tsc exited with ${code})`);
    return path.join(BENCH, 'dist/bench/runtime-child.js');
  })();
  return runtimeBuild;
}

export async function startRuntime(options: RuntimeChildOptions): Promise<RuntimeChild> {
  const entry = await buildRuntimeChild();
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'leadflow-bench-'));
  const profile = options.profile ? profileFor(options.profile) : undefined;
  const child = fork(entry, [], {
    cwd: ROOT,
    execArgv: ['--enable-source-maps', ...RUNTIME_V8_FLAGS, ...(profile?.execArgv ?? [])],
    env: {
      ...process.env,
      PORT: String(port),
      LEADFLOW_DATA: dataDir,
      LEADFLOW_SANDBOX_PORT: 'off',
      // the bench's targets are on 127.0.0.1, which the outbound policy refuses unless allowed
      LEADFLOW_ALLOW_PRIVATE_TARGETS: 'true',
      LOG_LEVEL: 'warn',
      LEADFLOW_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
      BENCH_QUEUE: options.queue ? 'on' : 'off',
      LEADFLOW_BENCH_SYNCHRONOUS: options.synchronous ?? '',
      // empty unless given, so a variable in the bench's own environment never moves the embedded rows to a database
      LEADFLOW_DATABASE_URL: options.databaseUrl ?? '',
      ...(options.secretKey ? { LEADFLOW_SECRET_KEY: options.secretKey } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.on('message', (message: { ready?: string; id?: number; result?: unknown; error?: string }) => {
      if (message.ready) return resolve(message.ready);
      const waiting = pending.get(message.id as number);
      pending.delete(message.id as number);
      if (message.error) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.result);
    });
    child.once('exit', (code) => {
      reject(new Error(`the runtime exited with ${code}`));
      for (const waiting of pending.values()) waiting.reject(new Error(`the runtime exited with ${code}`));
    });
  });
  const pid = child.pid as number;
  const call = <T>(cmd: string, args: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // a runtime that died meanwhile fails this call, not the whole bench with an unhandled 'error'
      child.send({ id, cmd, ...args }, (error) => {
        if (!error) return;
        pending.delete(id);
        reject(error);
      });
    });
  const api = await adminApi(url, BENCH_ADMIN_PASSWORD);
  const intakeKey =
    options.intakeKey ??
    (
      (await api('POST', '/api/sources', {
        id: 'bench',
        name: 'Bench network',
        kind: 'network',
        offers: '*',
      })) as IssuedKey
    ).key;
  return {
    url,
    intakeKey,
    pid,
    call,
    api,
    resetPeak: () => resetPeakRss(pid),
    peakRssMb: () => processPeakRssMb(pid),
    cpuMs: () => processCpuMs(pid),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('stop').catch(() => undefined);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      child.kill('SIGKILL');
      children.delete(child);
      rmSync(dataDir, { recursive: true, force: true });
      if (profile) summariseAfterExit(profile);
    },
  };
}
