/**
 * What a piece of work allocates, measured in this process by V8's sampling heap profiler
 * (`HeapProfiler.startSampling` through `node:inspector`), counting the objects a scavenge or a
 * mark-compact already collected: without them the profile shows only what is still alive. A
 * sample stands for `SAMPLING_INTERVAL` bytes on average, so over thousands of runs the total is
 * within a percent or so.
 */
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { ROOT } from '../harness.ts';

const SAMPLING_INTERVAL = 1024;

interface SampledNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampledNode[];
}

/** The bytes `work` allocated, and the ten functions (name, file:line) that allocated most. */
export async function allocated(work: () => Promise<void>): Promise<{ bytes: number; top: [string, number][] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    // the two include flags are in V8's protocol since Node 20; @types/node's parameter type lags
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as { samplingInterval: number });
    await work();
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SampledNode } };
    const byFunction = new Map<string, number>();
    let bytes = 0;
    const walk = (node: SampledNode) => {
      bytes += node.selfSize;
      if (node.selfSize > 0) {
        const { functionName, url, lineNumber } = node.callFrame;
        // ES modules are named by file URL, CommonJS ones (a package's) by path
        const file = url.startsWith('file://')
          ? path.relative(ROOT, new URL(url).pathname)
          : url.startsWith('/')
            ? path.relative(ROOT, url)
            : url || '(native)';
        const name = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
        byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
      }
      for (const child of node.children) walk(child);
    };
    walk(profile.head);
    return { bytes, top: [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 10) };
  } finally {
    session.disconnect();
  }
}
