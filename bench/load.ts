// autocannon ships no types: its declaration named here, so a project reaching this file from outside bench/ (the tests) has it
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- a script declaring a module cannot be imported
/// <reference path="./autocannon.d.ts" />
/**
 * The load generator, in its own process so that making the load costs the runtime nothing but
 * the CPU it shares with it. Takes one JSON argument ({@link LoadSpec}) and prints one JSON line
 * ({@link LoadResult}).
 *
 * As fast as it goes: autocannon, `connections` closed-loop connections. At a fixed rate:
 * autocannon's `overallRate` is not used, because its limiter lets each connection send its
 * per-second quota back to back at the top of every second — "1,000/s over 100 connections"
 * arrives as a burst of 1,000 requests each second, and the latency measured is that burst's
 * queue. A fixed rate here is paced instead: one request every 1/rate s (open loop, over an undici
 * pool of `connections`), each latency counted from when the request was due, so a stall on
 * either side is not hidden (no coordinated omission).
 *
 * Given several URLs (runtimes doing the same work, on one database), the connections and the
 * requests are spread evenly over them: a connection each in turn, a paced request each in turn.
 *
 * Latencies are taken from every response (autocannon's own summary has no p95), in ms with
 * sub-ms precision; only 2xx answers count towards them.
 */
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { percentile } from './stats.ts';

export interface LoadSpec {
  /** Where to post; several: spread evenly over them. */
  url: string | string[];
  /** Headers sent besides `content-type` (the intake key). */
  headers?: Record<string, string>;
  /** JSON posted with every request. */
  body: unknown;
  connections: number;
  /** Seconds to run; or `amount` requests in all. */
  duration?: number;
  amount?: number;
  /** Requests per second over all connections; absent for as fast as it goes. */
  overallRate?: number;
  /** Use autocannon's own `overallRate` limiter (bursts at the top of each second) instead of pacing. */
  autocannonRate?: boolean;
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Open-loop load at `overallRate` for `duration` s: each request is sent when it is due, whatever came back. */
async function paced(
  spec: LoadSpec & { overallRate: number },
  record: (ms: number) => void,
): Promise<Omit<LoadResult, 'p50' | 'p95' | 'p99' | 'max' | 'seconds' | 'perSecond'>> {
  const urls = [spec.url].flat().map((u) => new URL(u));
  const pools = urls.map(
    (url, i) => new Pool(url.origin, { connections: share(spec.connections, urls.length, i), pipelining: 1, keepAliveTimeout: 30_000 }),
  );
  const body = JSON.stringify(spec.body);
  const total = spec.amount ?? Math.round(spec.overallRate * (spec.duration ?? 10));
  const interval = 1000 / spec.overallRate;
  const counts = { requests: 0, ok: 0, non2xx: 0, errors: 0, timeouts: 0 };
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const send = (due: number) => {
    const n = counts.requests++ % urls.length;
    const task = pools[n]
      .request({ method: 'POST', path: urls[n].pathname, headers: { 'content-type': 'application/json', ...spec.headers }, body })
      .then(async (answer) => {
        await answer.body.dump();
        if (answer.statusCode >= 200 && answer.statusCode < 300) {
          counts.ok++;
          record(performance.now() - due);
        } else counts.non2xx++;
      })
      .catch(() => {
        counts.errors++;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
    // timers are ~1 ms coarse: sleep until the next request is due, then send all that are due
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + sent * interval - performance.now() - 0.5)));
  }
  await Promise.all(inFlight);
  await Promise.all(pools.map((pool) => pool.close()));
  return counts;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const record = (ms: number) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  };
  const started = performance.now();
  let counts: { requests: number; ok: number; non2xx: number; errors: number; timeouts: number };
  if (spec.overallRate && !spec.autocannonRate) counts = await paced(spec as LoadSpec & { overallRate: number }, record);
  else counts = await cannon(spec, record);
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, count).sort();
  const round = (n: number) => Math.round(n * 100) / 100;
  const out: LoadResult = {
    ...counts,
    seconds: round(seconds),
    perSecond: Math.round(counts.ok / seconds),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : NaN),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** `total` spread over `parts`: part `i`'s share (the first ones take the remainder). */
function share(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

/**
 * Closed-loop load with autocannon: `connections` connections, each sending its next request when
 * the last is answered; over several URLs, one autocannon each with its share of the connections
 * (and of `amount`), run at once.
 */
async function cannon(spec: LoadSpec, record: (ms: number) => void) {
  const urls = [spec.url].flat();
  const parts = await Promise.all(
    urls.map((url, i) =>
      cannonAt(
        {
          ...spec,
          url,
          connections: share(spec.connections, urls.length, i),
          amount: spec.amount === undefined ? undefined : share(spec.amount, urls.length, i),
          overallRate: spec.overallRate === undefined ? undefined : spec.overallRate / urls.length,
        },
        record,
      ),
    ),
  );
  return parts.reduce((a, b) => ({
    requests: a.requests + b.requests,
    ok: a.ok + b.ok,
    non2xx: a.non2xx + b.non2xx,
    errors: a.errors + b.errors,
    timeouts: a.timeouts + b.timeouts,
  }));
}

async function cannonAt(spec: LoadSpec & { url: string }, record: (ms: number) => void) {
  const instance = autocannon({
    url: spec.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: JSON.stringify(spec.body),
    connections: spec.connections,
    // autocannon refuses keys present with an undefined value
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.duration ?? 10 }),
    ...(spec.overallRate !== undefined ? { overallRate: spec.overallRate } : {}),
    timeout: 30,
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) record(ms);
  });
  const result = await instance;
  return { requests: result.requests.sent, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts };
}

await main();
