import { afterEach, describe, expect, it } from 'vitest';
import { removeDataDir, startRuntime, type TestRuntime } from '../support/harness.ts';

let t: TestRuntime | undefined;
afterEach(async () => {
  if (!t) return;
  await t.close();
  removeDataDir(t.dataDir);
  t = undefined;
});

describe('webmasters', () => {
  it('are created with POST like every resource, refused when they exist, and replaced with PUT', async () => {
    t = await startRuntime();
    const created = await t.api('POST', '/api/webmasters', { id: 'wm9', postbackUrl: 'http://127.0.0.1:9/pb?c={subid}' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'wm9', postbackUrl: 'http://127.0.0.1:9/pb?c={subid}' });
    const again = await t.api('POST', '/api/webmasters', { id: 'wm9' });
    expect(again.status).toBe(409);
    expect(again.body.field).toBe('id');
    const bad = await t.api('POST', '/api/webmasters', { postbackUrl: 'http://127.0.0.1:9/pb' });
    expect(bad.status).toBe(400);
    const replaced = await t.api('PUT', '/api/webmasters/wm9', { name: 'Nine' });
    expect(replaced.status).toBe(200);
    expect((await t.api('GET', '/api/webmasters/wm9')).body).toEqual({ id: 'wm9', name: 'Nine' });
  });
});
