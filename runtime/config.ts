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
 * | `LEADFLOW_ALLOW_PRIVATE_TARGETS` | on only while the sandbox targets run | flows and postbacks may reach private, loopback and other internal addresses (never link-local/metadata) |
 * | `LEADFLOW_CORS_ORIGINS` | (none) | comma list of origins a browser may call the API from (`https://crm.example.com`); unset: CORS closed |
 * | `LEADFLOW_DEMO_INTAKE_KEY` | generated, printed once | the demo source's intake key (at least 24 characters), for scripts and the README's curl example |
 * | `LEADFLOW_DATABASE_URL` | unset: the embedded store in the data folder | PostgreSQL for every store (`postgres://user:password@host:5432/db`), shared by every runtime on it; migrated on start |
 * | `LEADFLOW_DATABASE_POOL` | 10 | connections each runtime opens to that database |
 * | `LEADFLOW_SECRET_KEY` | a key file `secret.key` in the data folder | the key integration secrets are sealed with in `config.json`: 32 bytes as base64 or hex |
 * | `LEADFLOW_ADMIN_PASSWORD` | (generated) | the first admin's password on a data folder with no user yet; without it one is generated and printed once to the console |
 * | `LEADFLOW_TRUST_PROXY` | off | Express' `trust proxy`: `true` (trust every hop), a number of hops, or addresses/`loopback`; set it when a TLS proxy sits in front, so cookies get `Secure` and addresses are the client's |
 * | `LEADFLOW_EXECUTION_RETENTION_DAYS` | 30 | execution log records older than this many days are pruned in the background; 0 keeps them whatever their age |
 * | `LEADFLOW_EXECUTION_RETENTION_PER_INTEGRATION` | (none) | each integration keeps at most its newest this many execution records |
 * | `LEADFLOW_SHUTDOWN_GRACE_MS` | 10000 | on SIGTERM/SIGINT, how long running deliveries may finish before they are aborted and their jobs put back in the queue |
 * | `LOG_LEVEL` | info | pino's level |
 */
import path from 'node:path';
import { parseSecretKey } from './store/secret-box.ts';

export interface RuntimeConfig {
  port: number;
  host: string;
  dataDir: string;
  sandboxPort: number | undefined;
  publicUrl: string;
  workers: number;
  logLevel: string;
  /** Private and loopback targets allowed (see `engine/outbound-policy.ts`). */
  allowPrivateTargets: boolean;
  /** Where that came from, for the start-up log. */
  allowPrivateTargetsSource: 'env' | 'default';
  /** Origins allowed by CORS; empty: none. */
  corsOrigins: string[];
  /** The demo source's intake key; undefined: generated when the demo source is made. */
  demoIntakeKey: string | undefined;
  /** `LEADFLOW_DATABASE_URL`: PostgreSQL for every store; undefined: the embedded store. */
  databaseUrl: string | undefined;
  /** `LEADFLOW_DATABASE_POOL`: connections to that database. */
  databasePool: number | undefined;
  /** `LEADFLOW_SECRET_KEY`'s 32 bytes; unset: the data folder's key file (see `store/secret-box.ts`). */
  secretKey: Buffer | undefined;
  /** The first admin's password, when given. */
  adminPassword: string | undefined;
  /** Express' `trust proxy` setting. */
  trustProxy: boolean | number | string;
  /** The execution log's retention (see `services/execution-retention.ts`): days (0: no age limit) and a count per integration. */
  executionRetention: { days: number; perIntegration: number | undefined };
  /** How long a shutdown lets running deliveries finish (ms). */
  shutdownGraceMs: number;
}

/** `LEADFLOW_SECRET_KEY` parsed; throws, naming the variable, when it is not 32 bytes of base64 or hex. */
export function secretKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const value = env.LEADFLOW_SECRET_KEY;
  return value === undefined || value === '' ? undefined : parseSecretKey(value, 'LEADFLOW_SECRET_KEY');
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${value}"`);
  return n;
}

/** A whole number of at least 1, or undefined when unset. */
function optionalPositive(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = integer(name, value, 0);
  if (n < 1) throw new Error(`${name} must be at least 1, not "${value}"`);
  return n;
}

function flag(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name} must be true or false, not "${value}"`);
}

/** `LEADFLOW_CORS_ORIGINS`: each entry must be an origin (scheme, host, port), nothing more. */
function origins(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const entry of list) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || url.origin === 'null' || url.origin !== entry.replace(/\/$/, '')) {
      throw new Error(`LEADFLOW_CORS_ORIGINS: "${entry}" is not an origin such as https://crm.example.com`);
    }
  }
  return list.map((o) => o.replace(/\/$/, ''));
}

/** `LEADFLOW_TRUST_PROXY`: off by default; true/false, a hop count, or what Express takes (addresses, `loopback`). */
function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value.trim() === '') return false;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(v)) return flag('LEADFLOW_TRUST_PROXY', v);
  return v;
}

/** `LEADFLOW_DATABASE_URL`: a postgres:// or postgresql:// URL, or unset. */
function databaseUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    url = undefined;
  }
  // the value holds the database password: the error never repeats it
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) {
    throw new Error('LEADFLOW_DATABASE_URL must be a postgres://user:password@host:port/database URL');
  }
  return value.trim();
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const port = integer('PORT', env.PORT, 3000);
  const sandbox = env.LEADFLOW_SANDBOX_PORT;
  const sandboxPort = sandbox === 'off' ? undefined : integer('LEADFLOW_SANDBOX_PORT', sandbox, 3001);
  const allowPrivate = env.LEADFLOW_ALLOW_PRIVATE_TARGETS;
  const allowPrivateSet = allowPrivate !== undefined && allowPrivate !== '';
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.LEADFLOW_DATA || './data'),
    databaseUrl: databaseUrl(env.LEADFLOW_DATABASE_URL),
    databasePool: optionalPositive('LEADFLOW_DATABASE_POOL', env.LEADFLOW_DATABASE_POOL),
    sandboxPort,
    publicUrl: (env.LEADFLOW_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    workers: Math.max(1, integer('LEADFLOW_WORKERS', env.LEADFLOW_WORKERS, 32)),
    logLevel: env.LOG_LEVEL || 'info',
    // the bundled sandbox targets listen on 127.0.0.1: the demo cannot work without reaching them
    allowPrivateTargets: allowPrivateSet ? flag('LEADFLOW_ALLOW_PRIVATE_TARGETS', allowPrivate) : sandboxPort !== undefined,
    allowPrivateTargetsSource: allowPrivateSet ? 'env' : 'default',
    corsOrigins: origins(env.LEADFLOW_CORS_ORIGINS),
    demoIntakeKey: env.LEADFLOW_DEMO_INTAKE_KEY || undefined,
    secretKey: secretKeyFromEnv(env),
    adminPassword: env.LEADFLOW_ADMIN_PASSWORD || undefined,
    trustProxy: trustProxy(env.LEADFLOW_TRUST_PROXY),
    executionRetention: {
      days: integer('LEADFLOW_EXECUTION_RETENTION_DAYS', env.LEADFLOW_EXECUTION_RETENTION_DAYS, 30),
      perIntegration: optionalPositive('LEADFLOW_EXECUTION_RETENTION_PER_INTEGRATION', env.LEADFLOW_EXECUTION_RETENTION_PER_INTEGRATION),
    },
    shutdownGraceMs: integer('LEADFLOW_SHUTDOWN_GRACE_MS', env.LEADFLOW_SHUTDOWN_GRACE_MS, 10_000),
  };
}
