/**
 * The integration `leadflow run` runs as, and where what its target renews goes.
 *
 * `--integration` names a file (settings, secrets, allowed hosts as JSON) or, when no such file
 * exists, an integration stored in `$LEADFLOW_DATA`. A stored one runs with its own settings and
 * secrets (`--set` and `--secret` over them) and with the keeper the runtime uses
 * (services/kept-secrets.ts): a single-use refresh token the run spends is replaced in the
 * integration's encrypted secrets by the one the target answered, synced to disk before the access
 * token is used, audited as `integration.secret-renew` — so the runtime, started afterwards, goes on
 * with it. The data folder has one owner: run it with the runtime stopped, as `rotate-secret-key`.
 *
 * An integration given by a file or by flags has nowhere to keep a renewal: the run uses it, and
 * says on stderr that the target renewed the secret and that it was kept nowhere (never its value).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Integration } from '../core/domain/config.ts';
import type { SecretKeeper } from '../core/node/contract.ts';
import { readConfig } from './config.ts';

/** The integration a run gets, its keeper, and what to close when the run is done. */
export interface CliIntegration {
  integration: Integration;
  secrets: (integrationId: string) => SecretKeeper;
  close(): Promise<void>;
}

/** What `--integration` and the flags give. */
export interface CliIntegrationArgs {
  /** `--integration`: a file, or a stored integration's id. */
  integration?: string;
  settings: Record<string, string>;
  secrets: Record<string, string>;
  /** Reads an integration file (the CLI's own JSON reader, with its error messages). */
  readFile: (file: string) => Partial<Integration>;
}

function asIntegration(given: Partial<Integration>, settings: Record<string, string>, secrets: Record<string, string>): Integration {
  return {
    id: given.id ?? 'cli',
    name: given.name ?? 'command line',
    enabled: true,
    settings: { ...given.settings, ...settings },
    secrets: { ...given.secrets, ...secrets },
    allowedHosts: given.allowedHosts,
    offers: [],
    flows: {},
    postbackToken: '',
  };
}

/** A keeper with nowhere to keep: the renewal is used for this run, and the operator told. */
function unkeptRenewals(integration: Integration): SecretKeeper {
  return {
    async renew(name, renewal) {
      const current = integration.secrets[name];
      const { keep, result } = await renewal(current);
      if (keep !== undefined && keep !== current) {
        integration.secrets[name] = keep;
        console.error(
          `note: the target renewed the secret "${name}"; it is kept nowhere (the integration came from a file or flags). ` +
            'Run with --integration <id> of an integration stored in LEADFLOW_DATA to keep renewals in its secrets.',
        );
      }
      return result;
    },
  };
}

/**
 * The integration `run` runs as: from `--integration`'s file, or the data folder's integration of
 * that id, or from the flags alone.
 * @throws Error naming `--integration` when it is neither a file nor a stored integration.
 */
export async function cliIntegration(args: CliIntegrationArgs): Promise<CliIntegration> {
  const named = args.integration;
  if (named === undefined || existsSync(named)) {
    const integration = asIntegration(named === undefined ? {} : args.readFile(named), args.settings, args.secrets);
    return { integration, secrets: () => unkeptRenewals(integration), close: async () => {} };
  }
  const { dataDir, secretKey } = readConfig();
  const configFile = path.join(dataDir, 'config.json');
  if (!existsSync(configFile))
    throw new Error(`--integration ${named}: no such file, and ${configFile} does not exist (set LEADFLOW_DATA)`);
  // loaded only here: a run from a file or flags starts without the stores
  const [{ default: pino }, { AuditLog }, { KeptSecrets }, { FileLeases }, { openStores }] = await Promise.all([
    import('pino'),
    import('./services/audit.ts'),
    import('./services/kept-secrets.ts'),
    import('./store/file-lease.ts'),
    import('./store/index.ts'),
  ]);
  const stores = await openStores(dataDir, secretKey);
  try {
    const stored = await stores.config.getIntegration(named);
    if (!stored) throw new Error(`--integration ${named}: no such file, and no integration "${named}" in ${dataDir}`);
    const audit = new AuditLog(stores.audit, pino({ level: 'error' }, process.stderr));
    const kept = new KeptSecrets(stores.config, new FileLeases(path.join(dataDir, 'leases')), audit);
    const integration: Integration = {
      ...stored,
      enabled: true,
      settings: { ...stored.settings, ...args.settings },
      secrets: { ...stored.secrets, ...args.secrets },
    };
    return { integration, secrets: (id) => kept.forIntegration(id), close: () => stores.close() };
  } catch (error) {
    await stores.close();
    throw error;
  }
}
