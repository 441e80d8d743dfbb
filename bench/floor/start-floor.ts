/**
 * Starting the hand-written floor (`floor-child.ts`) the way the harness starts the runtime under
 * test: a child process of its own over a fresh temporary data folder, through tsx like the
 * runtime, reached over HTTP and its IPC channel, its CPU and peak RSS read from /proc.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, processCpuMs, processPeakRssMb, resetPeakRss, ROOT, RUNTIME_V8_FLAGS, track } from '../harness.ts';
import { profileFor, summariseAfterExit } from '../profiling.ts';
import type { CommitMode } from './floor-store.ts';

export interface FloorChild {
  url: string;
  intakeKey: string;
  pid: number;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  resetPeak(): void;
  peakRssMb(): number;
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface FloorOptions {
  mode: 'sync' | 'async';
  /** `group` (leadflow's group commit, the fair comparison) or `request` (a commit per write). */
  commit: CommitMode;
  /** Whose store it writes to: its own (the default), or leadflow's (`leadflow-store.ts`; group commit only). */
  store?: 'floor' | 'leadflow';
  targetUrl: string;
  /** Run it under `node --cpu-prof` (bench/profiling.ts), the profile named so. */
  profile?: string;
}

export async function startFloor(options: FloorOptions): Promise<FloorChild> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'leadflow-floor-'));
  const intakeKey = randomBytes(16).toString('hex');
  const profile = options.profile ? profileFor(options.profile) : undefined;
  const child = fork(path.join(import.meta.dirname, 'floor-child.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', ...RUNTIME_V8_FLAGS, ...(profile?.execArgv ?? [])],
    env: {
      ...process.env,
      PORT: String(port),
      FLOOR_MODE: options.mode,
      FLOOR_COMMIT: options.commit,
      FLOOR_STORE: options.store ?? 'floor',
      FLOOR_DATA: dataDir,
      FLOOR_TARGET: options.targetUrl,
      FLOOR_INTAKE_KEY: intakeKey,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
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
      reject(new Error(`the floor exited with ${code}`));
      for (const waiting of pending.values()) waiting.reject(new Error(`the floor exited with ${code}`));
    });
  });
  const pid = child.pid as number;
  const call = <T>(cmd: string, args: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, cmd, ...args });
    });
  return {
    url,
    intakeKey,
    pid,
    call,
    resetPeak: () => resetPeakRss(pid),
    peakRssMb: () => processPeakRssMb(pid),
    cpuMs: () => processCpuMs(pid),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('stop').catch(() => undefined);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      if (profile) summariseAfterExit(profile);
    },
  };
}
