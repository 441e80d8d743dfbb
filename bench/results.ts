/**
 * Collecting the bench's figures: one {@link Row} per measurement, printed as it comes, then as a
 * table, and written to `bench/results.json` with the machine and the options they were taken with.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { LoadResult } from './load.ts';
import type { BenchOptions } from './options.ts';
import { percentile } from './stats.ts';

/** One measurement, as the table shows it and `results.json` keeps it (extra figures by name). */
export interface Row {
  scenario: string;
  /** e.g. "2,345 leads/s" */
  throughput?: number;
  unit?: string;
  p50?: number;
  p95?: number;
  p99?: number;
  /** What the latencies measure. */
  latency?: string;
  peakRssMb?: number;
  target?: string;
  met?: boolean;
  notes?: string;
  /** Runtime CPU (user + system) per lead or request, ms. */
  cpuMsPerLead?: number;
  /** This row measures the hand-written floor (bench/floor/): the key leadflow's rows compare to. */
  floor?: string;
  /** This leadflow row is compared to the floor row with this key (the same load on the same work). */
  versus?: string;
  /** leadflow ÷ floor, filled in from the two rows when the run ends (throughput: higher is better; the rest: lower is). */
  vsFloor?: { floor: string; throughput?: number; p50?: number; p99?: number; cpuMsPerLead?: number };
  /** This row measures leadflow on the embedded store: the key its PostgreSQL rows compare to. */
  embedded?: string;
  /** This PostgreSQL row is compared to the embedded store's row with this key. */
  versusEmbedded?: string;
  /** this row ÷ the embedded store's, filled in like {@link Row.vsFloor}. */
  vsEmbedded?: { embedded: string; throughput?: number; p50?: number; p99?: number; cpuMsPerLead?: number };
  /** The machine's 1-minute load average when the row was reported. */
  loadAverage1m?: number;
  [key: string]: unknown;
}

/** `a / b` to 0.01, or undefined when either is missing. */
function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || !(b > 0) ? undefined : round2(a / b);
}

/** "0.31× /s, p99 3.6×, CPU 3.9×" */
function vsText(v: Row['vsFloor'] | Row['vsEmbedded']): string {
  if (!v) return '';
  const x = (n: number | undefined) => (n === undefined ? '-' : `${n}×`);
  return `${x(v.throughput)} /s, p99 ${x(v.p99)}, CPU ${x(v.cpuMsPerLead)}`;
}

export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Percentiles of raw samples, rounded to 0.01. */
export function summary(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = Float64Array.from(values).sort();
  return { p50: round2(percentile(sorted, 50)), p95: round2(percentile(sorted, 95)), p99: round2(percentile(sorted, 99)) };
}

/** The latencies of a load run. */
export function pick(r: LoadResult) {
  return { p50: r.p50, p95: r.p95, p99: r.p99 };
}

export class Results {
  readonly rows: Row[] = [];
  /** `os.loadavg()` when the bench started: other work on the machine skews every figure. */
  readonly loadAtStart = os.loadavg().map(round2);

  report(row: Row): void {
    row.loadAverage1m = round2(os.loadavg()[0]);
    this.rows.push(row);
    const lat = row.p50 === undefined ? '' : ` p50 ${fmt(row.p50)} p95 ${fmt(row.p95)} p99 ${fmt(row.p99)} ms`;
    console.log(
      `  ✓ ${row.scenario}: ${row.throughput === undefined ? '-' : `${fmt(row.throughput)} ${row.unit}`}${lat}${row.peakRssMb ? `, peak RSS ${row.peakRssMb} MB` : ''}`,
    );
  }

  /** Fills in every compared row's {@link Row.vsFloor} and {@link Row.vsEmbedded} from the rows they name. */
  compareToFloors(): void {
    const floors = new Map(this.rows.filter((r) => r.floor).map((r) => [r.floor as string, r]));
    const embedded = new Map(this.rows.filter((r) => r.embedded).map((r) => [r.embedded as string, r]));
    const ratios = (row: Row, base: Row) => ({
      throughput: ratio(row.throughput, base.throughput),
      p50: ratio(row.p50, base.p50),
      p99: ratio(row.p99, base.p99),
      cpuMsPerLead: ratio(row.cpuMsPerLead, base.cpuMsPerLead),
    });
    for (const row of this.rows) {
      const floor = row.versus === undefined ? undefined : floors.get(row.versus);
      if (floor) row.vsFloor = { floor: row.versus as string, ...ratios(row, floor) };
      const base = row.versusEmbedded === undefined ? undefined : embedded.get(row.versusEmbedded);
      if (base) row.vsEmbedded = { embedded: row.versusEmbedded as string, ...ratios(row, base) };
    }
  }

  printTable(): void {
    this.compareToFloors();
    const head = ['scenario', 'throughput', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU ms', 'peak RSS', 'vs floor', 'vs embedded', 'target', ''];
    const body = this.rows.map((r) => [
      r.scenario,
      r.throughput === undefined ? '-' : `${fmt(r.throughput)} ${r.unit}`,
      fmt(r.p50),
      fmt(r.p95),
      fmt(r.p99),
      fmt(r.cpuMsPerLead),
      r.peakRssMb ? `${r.peakRssMb} MB` : '-',
      r.floor ? `floor "${r.floor}"` : vsText(r.vsFloor),
      r.embedded ? `embedded "${r.embedded}"` : vsText(r.vsEmbedded),
      r.target ?? '',
      r.met === undefined ? (r.target ? 'n/a' : '') : r.met ? 'met' : 'NOT met',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) =>
      '| ' + cells.map((c, i) => (i >= 1 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
    console.log('\n' + line(head));
    console.log('|' + widths.map((w, i) => (i >= 1 && i <= 6 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
    for (const b of body) console.log(line(b));
    console.log('\nnotes:');
    for (const r of this.rows) {
      if (r.latency || r.notes)
        console.log(`- ${r.scenario}: ${[r.latency && `latency = ${r.latency}`, r.notes].filter(Boolean).join('; ')}`);
    }
  }

  /** Writes `results.json`: when and where the bench ran, with what options, every row, and the error that stopped it. */
  write(file: string, run: { started: number; seconds: number; options: BenchOptions; failed: unknown }): void {
    const { options } = run;
    this.compareToFloors();
    const results = {
      startedAt: new Date(run.started).toISOString(),
      seconds: round2(run.seconds),
      quick: options.quick,
      machine: {
        cores: os.cpus().length,
        availableParallelism: os.availableParallelism(),
        // 1, 5 and 15 minutes: the machine is shared, and a busy one slows every figure here
        loadAverageAtStart: this.loadAtStart,
        loadAverageAtEnd: os.loadavg().map(round2),
        cpu: os.cpus()[0]?.model.trim(),
        memoryMb: Math.round(os.totalmem() / 2 ** 20),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      options: {
        targetDelayMs: options.delayMs,
        connections: options.connections,
        syncRate: options.syncRate,
        growthRate: options.growthRate,
        postgres: options.postgres,
        synchronous: options.synchronous,
        ...options.size,
      },
      scenarios: this.rows,
      error: run.failed ? String(run.failed instanceof Error ? run.failed.stack : run.failed) : undefined,
    };
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  }
}
