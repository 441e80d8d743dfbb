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
 * | `LEADFLOW_ADMIN_PASSWORD` | (generated) | the first admin's password on a data folder with no user yet; without it one is generated and printed once to the console |
 * | `LEADFLOW_TRUST_PROXY` | off | Express' `trust proxy`: `true` (trust every hop), a number of hops, or addresses/`loopback`; set it when a TLS proxy sits in front, so cookies get `Secure` and addresses are the client's |
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
  /** Private and loopback targets allowed (see `engine/outbound-policy.ts`). */
  allowPrivateTargets: boolean;
  /** Where that came from, for the start-up log. */
  allowPrivateTargetsSource: 'env' | 'default';
  /** The first admin's password, when given. */
  adminPassword: string | undefined;
  /** Express' `trust proxy` setting. */
  trustProxy: boolean | number | string;
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${value}"`);
  return n;
}

function flag(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name} must be true or false, not "${value}"`);
}

/** `LEADFLOW_TRUST_PROXY`: off by default; true/false, a hop count, or what Express takes (addresses, `loopback`). */
function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value.trim() === '') return false;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(v)) return flag('LEADFLOW_TRUST_PROXY', v);
  return v;
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
    sandboxPort,
    publicUrl: (env.LEADFLOW_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    workers: Math.max(1, integer('LEADFLOW_WORKERS', env.LEADFLOW_WORKERS, 32)),
    logLevel: env.LOG_LEVEL || 'info',
    // the bundled sandbox targets listen on 127.0.0.1: the demo cannot work without reaching them
    allowPrivateTargets: allowPrivateSet ? flag('LEADFLOW_ALLOW_PRIVATE_TARGETS', allowPrivate) : sandboxPort !== undefined,
    allowPrivateTargetsSource: allowPrivateSet ? 'env' : 'default',
    adminPassword: env.LEADFLOW_ADMIN_PASSWORD || undefined,
    trustProxy: trustProxy(env.LEADFLOW_TRUST_PROXY),
  };
}
