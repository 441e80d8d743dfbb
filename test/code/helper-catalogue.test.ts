/**
 * The kernel's catalogue of Code helpers (what the editor completes `helpers.` with) names exactly
 * what a script finds on `helpers` in the real sandbox: none missing, none extra.
 */
import { describe, expect, it } from 'vitest';
import { CODE_HELPERS } from '../../core/node/code-helpers.ts';
import { outputOf } from './harness.ts';

describe('the helper catalogue', () => {
  it('lists the same helpers a script finds on helpers in the sandbox', async () => {
    const inSandbox = (await outputOf('return Object.keys(helpers);')) as string[];
    expect([...inSandbox].sort()).toEqual(Object.keys(CODE_HELPERS).sort());
  });

  it('gives every helper a signature that starts with its name and a line of what it does', () => {
    for (const [name, entry] of Object.entries(CODE_HELPERS)) {
      expect(entry.signature.startsWith(`${name}(`), name).toBe(true);
      expect(entry.doc.length, name).toBeGreaterThan(5);
    }
  });
});
