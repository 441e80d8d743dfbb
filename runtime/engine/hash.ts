/** The {@link Hasher} nodes use: Node's crypto, plain hashes and HMACs. */
import { createHash, createHmac } from 'node:crypto';
import type { Hasher } from '../../core/node/contract.ts';

export const hasher: Hasher = {
  digest(algorithm, data, encoding, key) {
    const hash = key === undefined || key === '' ? createHash(algorithm) : createHmac(algorithm, key);
    return hash.update(data, 'utf8').digest(encoding);
  },
};
