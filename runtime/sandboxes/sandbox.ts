/**
 * What the sandbox targets share: listening on a local port, the fate of a lead decided by its
 * phone's last digit (so a test, or a person trying a template, knows what will happen), the
 * timers that move leads on, and fire-and-forget postbacks.
 *
 * | last digit | what the target does with the lead, one step every `stepMs` |
 * |---|---|
 * | 0–3 | wait → approve |
 * | 4 | wait → approve → cancel (a return) where the kind has returns, else like 0–3 |
 * | 5 | wait → hold → approve |
 * | 6–7 | wait → cancel |
 * | 8 | wait → hold (and stays there) |
 * | 9 | wait → trash |
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** Our stages as a sandbox thinks of its own statuses; each kind names them its own way. */
export type SandboxStage = 'wait' | 'hold' | 'approve' | 'cancel' | 'trash';

/** The stages a lead with this phone goes through, the first one at once. */
export function fateOf(phone: string, options: { returns?: boolean } = {}): SandboxStage[] {
  const digit = Number(phone.replace(/\D/g, '').slice(-1) || '0');
  if (digit === 4 && options.returns) return ['wait', 'approve', 'cancel'];
  if (digit <= 4) return ['wait', 'approve'];
  if (digit === 5) return ['wait', 'hold', 'approve'];
  if (digit <= 7) return ['wait', 'cancel'];
  if (digit === 8) return ['wait', 'hold'];
  return ['wait', 'trash'];
}

/** Moves records through their stages on timers; `close` stops them all. */
export class Lifecycle<T> {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly stepMs: number,
    private readonly onStep: (record: T, stage: SandboxStage) => void,
  ) {}

  /** Schedules the stages after the first (which the record already has), one per step. */
  start(record: T, stages: SandboxStage[]): void {
    const next = (i: number) => {
      if (i >= stages.length) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.onStep(record, stages[i]);
        next(i + 1);
      }, this.stepMs);
      this.timers.add(timer);
    };
    next(1);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** A sandbox target once it listens. */
export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Express, port: number, host: string, onClose: () => void = () => {}): Promise<Listening> {
  const server: Server = app.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      onClose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Calls a postback URL and forgets it: a runtime that is down misses it, as with a real target. */
export async function callPostback(url: string): Promise<void> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch {
    // the runtime may be restarting; a real target would retry, the sandbox goes on
  }
}

/** Fills `{name}` macros of a URL with URL-encoded values; unknown macros become empty. */
export function fillMacros(template: string, values: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(values[name] ?? '')));
}

/** The fields of a request: the JSON or form body (express parsed it), as text. */
export function fieldsOf(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

export function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}

export function digitsOf(value: unknown): string {
  return text(value).replace(/\D/g, '');
}

/** The time as targets of this region write it: `Y-m-d H:i:s` in UTC. */
export function ymdHis(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Reads `Y-m-d H:i:s` (UTC), ISO 8601 or epoch seconds; NaN when it is none of them. */
export function parseTime(value: unknown): number {
  const raw = text(value);
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?$/.test(raw)) return Date.parse(`${raw.replace(' ', 'T')}Z`);
  return Date.parse(raw);
}
