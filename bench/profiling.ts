/**
 * `--profile`: a process the bench starts runs under `node --cpu-prof`, its profile written to
 * `bench/profiles/<label>.cpuprofile` when it exits, and next to it `<label>.summary.txt` — the top
 * self-time functions and files (bench/profile-summary.ts) — whose first lines are also printed.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { profileText, summariseProfile } from './profile-summary.ts';

const PROFILES = path.join(import.meta.dirname, 'profiles');
const taken = new Map<string, number>();

/** A profile of its own for one process: the `node` flags and where the profile will be. */
export function profileFor(label: string): { execArgv: string[]; file: string } {
  mkdirSync(PROFILES, { recursive: true });
  // a scenario that starts two runtimes (intake: FULL, then NORMAL) gets two profiles
  const n = (taken.get(label) ?? 0) + 1;
  taken.set(label, n);
  const name = `${label}${n > 1 ? `-${n}` : ''}.cpuprofile`;
  return { execArgv: ['--cpu-prof', '--cpu-prof-dir', PROFILES, '--cpu-prof-name', name], file: path.join(PROFILES, name) };
}

/** After the profiled process exited: writes the summary beside its profile and prints the top self times. */
export function summariseAfterExit(file: string): void {
  if (!existsSync(file)) {
    console.log(`  (no profile at ${path.relative(process.cwd(), file)}: the process did not exit on its own)`);
    return;
  }
  const summary = summariseProfile(file, 30);
  const summaryFile = file.replace(/\.cpuprofile$/, '.summary.txt');
  writeFileSync(summaryFile, profileText(summary));
  const top = summary.selfByFunction
    .slice(0, 8)
    .map((r) => `${r.pct} % ${r.name}`)
    .join('; ');
  console.log(`  profile ${path.relative(process.cwd(), file)} (${summary.busyPct} % busy): ${top}`);
}
