/**
 * `--profile`: a process the bench starts runs under `node --cpu-prof`, its profile written to
 * `bench/profiles/<label>.cpuprofile` when it exits, and next to it `<label>.summary.txt` — the top
 * self-time functions and files (bench/profile-summary.ts) — whose first lines are also printed.
 *
 * `--cpu-prof` writes one profile per thread, and under tsx the module loader runs in a thread of
 * its own: each process profiles into a folder of its own, and the busiest profile (the main
 * thread's) is the one kept.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { profileText, summariseProfile } from './profile-summary.ts';

const PROFILES = path.join(import.meta.dirname, 'profiles');
const taken = new Map<string, number>();

/** A profile of its own for one process: the `node` flags, the folder it writes to and where the kept profile will be. */
export function profileFor(label: string): { execArgv: string[]; dir: string; file: string } {
  // a scenario that starts two runtimes (intake: FULL, then NORMAL) gets two profiles
  const n = (taken.get(label) ?? 0) + 1;
  taken.set(label, n);
  const name = `${label}${n > 1 ? `-${n}` : ''}`;
  const dir = path.join(PROFILES, `${name}.threads`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { execArgv: ['--cpu-prof', '--cpu-prof-dir', dir], dir, file: path.join(PROFILES, `${name}.cpuprofile`) };
}

/** After the profiled process exited: keeps its main thread's profile, writes the summary beside it and prints the top self times. */
export function summariseAfterExit(profile: { dir: string; file: string }): void {
  const threads = existsSync(profile.dir) ? readdirSync(profile.dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (threads.length === 0) {
    console.log(`  (no profile in ${path.relative(process.cwd(), profile.dir)}: the process did not exit on its own)`);
    return;
  }
  const busiest = threads
    .map((f) => {
      const summary = summariseProfile(path.join(profile.dir, f), 30);
      return { f, summary, busy: summary.sampledSeconds * summary.busyPct };
    })
    .sort((a, b) => b.busy - a.busy)[0];
  renameSync(path.join(profile.dir, busiest.f), profile.file);
  rmSync(profile.dir, { recursive: true, force: true });
  const { summary } = busiest;
  writeFileSync(profile.file.replace(/\.cpuprofile$/, '.summary.txt'), profileText(summary));
  const top = summary.selfByFunction
    .filter((r) => r.name !== '(idle) (native)')
    .slice(0, 8)
    .map((r) => `${r.pct} % ${r.name}`)
    .join('; ');
  console.log(`  profile ${path.relative(process.cwd(), profile.file)} (${summary.busyPct} % busy): ${top}`);
}
