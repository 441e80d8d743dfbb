/**
 * The runtime's configuration, read from the environment once, here and nowhere else.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `PORT` | 3000 | the runtime's HTTP port (editor, API, postbacks) |
 * | `HOST` | 0.0.0.0 | the address it listens on |
 * | `LEADFLOW_DATA` | ./data | where the embedded store keeps its files |
 * | `LEADFLOW_SANDBOX_PORT` | 3001 | the demo sandbox target's port; `off` to not start it |
 * | `LEADFLOW_PUBLIC_URL` | http://localhost:PORT | how targets reach us, for the postback URLs we show |
 * | `LEADFLOW_WORKERS` | 32 | deliveries and postbacks run at once |
 * | `LOG_LEVEL` | info | pino's level |
 */
import path from 'node:path';

export interface RuntimeConfig {
  port: number;
  host: string;
  dataDir: string;
  sandboxPort: number | undefined;
  publicUrl: string;
  workers: number;
  logLevel: string;
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${value}"`);
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const port = integer('PORT', env.PORT, 3000);
  const sandbox = env.LEADFLOW_SANDBOX_PORT;
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.LEADFLOW_DATA || './data'),
    sandboxPort: sandbox === 'off' ? undefined : integer('LEADFLOW_SANDBOX_PORT', sandbox, 3001),
    publicUrl: (env.LEADFLOW_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    workers: Math.max(1, integer('LEADFLOW_WORKERS', env.LEADFLOW_WORKERS, 32)),
    logLevel: env.LOG_LEVEL || 'info',
  };
}
