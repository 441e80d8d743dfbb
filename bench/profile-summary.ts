/**
 * Where a `node --cpu-prof` profile spent its time: self time by function and by file
 * (node_modules package or project file), inclusive time by function, and the busy time split by
 * where it entered the project (each sample counted once, under the outermost project function on
 * its stack and the project function it called next: the parts add up to the busy time, where
 * inclusive times nest and overlap), top N each. The bench
 * writes one next to each profile it takes (`--profile`, bench/harness.ts); by hand:
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile [N]`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(import.meta.dirname, '..') + '/';

function where(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0)
    return url
      .slice(nm + 13)
      .split('/')
      .slice(0, url.slice(nm + 13).startsWith('@') ? 2 : 1)
      .join('/');
  const root = url.indexOf(ROOT);
  return root >= 0 ? url.slice(root + ROOT.length) : url;
}

/** One ranking: a name and its share of the sampled time, highest first. */
export interface Ranked {
  name: string;
  pct: number;
}

export interface ProfileSummary {
  /** Seconds sampled (busy and idle). */
  sampledSeconds: number;
  /** Share of the samples not idle (the program, GC), %. */
  busyPct: number;
  selfByFunction: Ranked[];
  selfByFile: Ranked[];
  inclusiveByFunction: Ranked[];
  /** Share of the busy time, %: the outermost project function on the stack ` > ` the next one, or where a sample outside the project was. */
  busyByEntry: Ranked[];
}

/** Whether a frame is the project's own code (the bench's compiled runtime, or the sources), not a library's or Node's. */
const isProject = (url: string) => url.includes(ROOT) && !url.includes('/node_modules/');

/** Reads a `.cpuprofile` and ranks where its time went. */
export function summariseProfile(file: string, top = 30): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === '(idle)') idle += us;
    const fn = `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(where(url), (byFile.get(where(url)) ?? 0) + us);
  }
  // inclusive time: every function on a sample's stack gets the sample once
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = (byId.get(at) as ProfileNode).callFrame;
      if (!url) continue;
      const fn = `${functionName || '(anonymous)'} ${where(url)}`;
      if (seen.has(fn)) continue;
      seen.add(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    }
  }
  // busy time by entry: a partition of the samples, by the two outermost project frames
  const byEntry = new Map<string, number>();
  for (const [id, us] of self) {
    const leaf = (byId.get(id) as ProfileNode).callFrame;
    if (leaf.functionName === '(idle)') continue;
    const project: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = (byId.get(at) as ProfileNode).callFrame;
      if (isProject(url)) project.unshift(`${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`);
    }
    const entry =
      project.length > 0 ? project.slice(0, 2).join(' > ') : `(outside the project) ${leaf.url ? where(leaf.url) : leaf.functionName}`;
    byEntry.set(entry, (byEntry.get(entry) ?? 0) + us);
  }
  const rank = (map: Map<string, number>, of = total): Ranked[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, pct: Math.round((us / of) * 1000) / 10 }));
  return {
    sampledSeconds: Math.round(total / 1e4) / 100,
    busyPct: Math.round(((total - idle) / total) * 1000) / 10,
    selfByFunction: rank(byFunction),
    selfByFile: rank(byFile),
    inclusiveByFunction: rank(inclusive),
    busyByEntry: rank(byEntry, total - idle),
  };
}

/** The summary as text, one ranking after the other. */
export function profileText(summary: ProfileSummary): string {
  const show = (title: string, ranked: Ranked[]) =>
    `\n${title} (of ${summary.sampledSeconds} s sampled, ${summary.busyPct} % busy)\n` +
    ranked.map((r) => `${r.pct.toFixed(1).padStart(5)} %  ${r.name}`).join('\n');
  return (
    show('self time by function', summary.selfByFunction) +
    '\n' +
    show('self time by file', summary.selfByFile) +
    '\n' +
    show('inclusive time by function', summary.inclusiveByFunction) +
    '\n' +
    `\nbusy time by where it entered the project (outermost project function > the next; of the busy time)\n` +
    summary.busyByEntry.map((r) => `${r.pct.toFixed(1).padStart(5)} %  ${r.name}`).join('\n') +
    '\n'
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(profileText(summariseProfile(process.argv[2], Number(process.argv[3] ?? 30))));
}
