import { describe, expect, it } from 'vitest';
import { readConfig } from '../../runtime/config.ts';

describe('LEADFLOW_ALLOW_PRIVATE_TARGETS', () => {
  it('is on by default only while the bundled sandbox targets run (the demo), and says it was not set', () => {
    expect(readConfig({})).toMatchObject({ allowPrivateTargets: true, allowPrivateTargetsSource: 'default' });
    expect(readConfig({ LEADFLOW_SANDBOX_PORT: 'off' })).toMatchObject({
      allowPrivateTargets: false,
      allowPrivateTargetsSource: 'default',
    });
  });

  it('wins over the default either way when set', () => {
    expect(readConfig({ LEADFLOW_ALLOW_PRIVATE_TARGETS: 'false' })).toMatchObject({
      allowPrivateTargets: false,
      allowPrivateTargetsSource: 'env',
    });
    expect(readConfig({ LEADFLOW_SANDBOX_PORT: 'off', LEADFLOW_ALLOW_PRIVATE_TARGETS: 'true' })).toMatchObject({
      allowPrivateTargets: true,
      allowPrivateTargetsSource: 'env',
    });
    for (const on of ['1', 'yes', 'ON'])
      expect(readConfig({ LEADFLOW_SANDBOX_PORT: 'off', LEADFLOW_ALLOW_PRIVATE_TARGETS: on }).allowPrivateTargets).toBe(true);
    for (const off of ['0', 'no', 'Off']) expect(readConfig({ LEADFLOW_ALLOW_PRIVATE_TARGETS: off }).allowPrivateTargets).toBe(false);
  });

  it('refuses a value that is neither true nor false rather than guess', () => {
    expect(() => readConfig({ LEADFLOW_ALLOW_PRIVATE_TARGETS: 'sometimes' })).toThrow(
      'LEADFLOW_ALLOW_PRIVATE_TARGETS must be true or false, not "sometimes"',
    );
  });
});
