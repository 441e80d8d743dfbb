/**
 * What SIGTERM and SIGINT do to a running runtime process: the graceful stop of
 * {@link Runtime.close} (answers every request received, lets running deliveries finish for the
 * grace period, then aborts them and puts their jobs back in the queue, closes the store), then
 * exit 0. `main.ts` installs it; so does the crash test's runtime process.
 */
import type { Logger } from 'pino';
import { ABORT_SETTLE_MS } from './services/queue.ts';
import type { Runtime } from './runtime.ts';

/** Past the grace period and the aborts' settling, how long the stop may still take before the process gives up on it. */
const WATCHDOG_MARGIN_MS = 5_000;

export interface SignalOptions {
  graceMs: number;
  log: Logger;
  /** Run after the runtime closed, before the exit (the sandbox targets stop there). */
  after?: () => Promise<void>;
}

/**
 * Installs the handlers. A second signal during the stop exits at once (status 1): nothing is lost
 * even then — the running jobs are taken again once their lease runs out — but they wait for it.
 */
export function closeOnSignals(runtime: Runtime, options: SignalOptions): void {
  let closing = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (closing) {
      options.log.warn('%s again: exiting now; the deliveries still running are taken again when their lease runs out', signal);
      process.exit(1);
    }
    closing = true;
    options.log.info('%s: stopping (running deliveries get %d ms to finish)', signal, options.graceMs);
    // a stop that hangs (a store that never closes) must not keep the process from ending
    setTimeout(
      () => {
        options.log.error('the stop took too long: exiting; running deliveries are taken again when their lease runs out');
        process.exit(1);
      },
      options.graceMs + ABORT_SETTLE_MS + WATCHDOG_MARGIN_MS,
    ).unref();
    try {
      const report = await runtime.close({ graceMs: options.graceMs });
      if (report.released > 0)
        options.log.warn('aborted %d running deliveries after the grace period; they are queued again', report.released);
      if (report.unanswered > 0)
        options.log.warn('%d requests were still unanswered after the grace period; their connections were closed', report.unanswered);
      await options.after?.();
    } catch (error) {
      options.log.error({ err: error }, 'stopping failed');
      process.exit(1);
    }
    options.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
