/**
 * `config.json` as a file: its shape, its name in the data folder, and the lowdb adapter that seals
 * integration secrets on their way in and opens them on their way out (secret-box.ts). Kept apart
 * from lowdb.ts, the store over it, so what reaches the disk reads in one place.
 */
import fs from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import type { Integration, Offer, Source, Webmaster } from '../../core/domain/config.ts';
import type { FlowDraft, StoredFlow, StoredSession, StoredUser } from './types.ts';
import { openIntegration, sealIntegration, writePrivateFile, type SecretKey } from './secret-box.ts';

/** The shape of `config.json`. */
export interface ConfigData {
  offers: Offer[];
  integrations: Integration[];
  webmasters: Webmaster[];
  /** Who posts leads, with their intake keys' hashes. */
  sources: Source[];
  flows: StoredFlow[];
  /** Unpublished work, one per flow per user. */
  drafts: FlowDraft[];
  users: StoredUser[];
  sessions: StoredSession[];
}

/** The file name inside the data folder. */
export const CONFIG_FILE = 'config.json';

/**
 * `config.json` as lowdb reads and writes it, with integration secrets sealed in the file and clear
 * in memory. Writes are atomic (a temporary file renamed over the old one) with mode 0600.
 */
export class SealedConfigFile implements Adapter<ConfigData> {
  /** Set by `read` when the file held a secret in clear (written before sealing existed). */
  sawPlainSecret = false;

  constructor(
    private readonly file: string,
    private readonly key: SecretKey,
  ) {}

  async read(): Promise<ConfigData | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const data = JSON.parse(text) as ConfigData;
    if (Array.isArray(data.integrations)) {
      data.integrations = data.integrations.map((i) => openIntegration(this.key, i, () => (this.sawPlainSecret = true)));
    }
    return data;
  }

  write(data: ConfigData): Promise<void> {
    const sealed = { ...data, integrations: data.integrations.map((i) => sealIntegration(this.key, i)) };
    return writePrivateFile(this.file, JSON.stringify(sealed, null, 2));
  }
}

/** A file with nothing in it yet. */
export function emptyConfig(): ConfigData {
  return { offers: [], integrations: [], webmasters: [], sources: [], flows: [], drafts: [], users: [], sessions: [] };
}
