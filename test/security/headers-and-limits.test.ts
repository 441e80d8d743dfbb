/**
 * The runtime's edge, against the real runtime: the security headers on every answer (and the
 * editor still working under its Content-Security-Policy, in a real browser), CORS closed unless
 * origins are configured, each route's body limit, and the limits on a lead's custom fields —
 * each refusal naming the field, and nothing stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../runtime/config.ts';
import { removeDataDir, startRuntime, type TestRuntime, cleanUpAfterEach } from '../support/harness.ts';
import { buildEditor, dragFromPalette, startEditorWorld, waitForNodeCount, type EditorWorld } from '../editor/browser.ts';

const cleanups = cleanUpAfterEach();

async function runtime(options: Parameters<typeof startRuntime>[0] = {}): Promise<TestRuntime> {
  const t = await startRuntime(options);
  cleanups.push(
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  return t;
}

function expectSecurityHeaders(headers: Headers): void {
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  // no inline script, no script from elsewhere (eval stays until the kernel's validator is precompiled)
  expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|\*|http)/);
  expect(csp).toContain("script-src-attr 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'self'");
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(headers.get('x-powered-by')).toBeNull();
}

function corsHeaders(headers: Headers): string[] {
  const names: string[] = [];
  headers.forEach((_value, name) => names.push(name));
  return names.filter((name) => name.startsWith('access-control-'));
}

describe('security headers', () => {
  it('are on API answers, errors included', async () => {
    const t = await runtime();
    for (const path of ['/api/health', '/api/integrations', '/api/no-such-route']) {
      expectSecurityHeaders((await fetch(t.url + path)).headers);
    }
    const refused = await fetch(`${t.url}/api/leads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(refused.status).toBe(400);
    expectSecurityHeaders(refused.headers);
  });
});

describe('the editor under its Content-Security-Policy', () => {
  let world: EditorWorld;
  const violations: string[] = [];

  beforeAll(async () => {
    await buildEditor();
    world = await startEditorWorld();
    await world.context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const seen = ((window as unknown as { cspViolations?: string[] }).cspViolations ??= []);
        seen.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    world.page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('serves the page with the headers, and the editor builds a flow without a single violation', async () => {
    const { page, baseUrl } = world;
    const response = await page.goto(`${baseUrl}/#/flows`);
    const headers = new Headers(response?.headers() ?? {});
    expectSecurityHeaders(headers);
    expect(headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-inline'");

    await page.getByTestId('new-flow').click();
    await page.locator('#new-flow-name').fill('CSP check');
    await page.getByTestId('create-flow').click();
    await page.getByTestId('flow-title').filter({ hasText: 'CSP check' }).waitFor();
    await waitForNodeCount(page, 1);
    await dragFromPalette(page, 'http-request', { x: 700, y: 420 });
    await waitForNodeCount(page, 2);
    // React Flow places the nodes with inline styles: a blocked style would leave them unplaced
    const box = await page.locator('.react-flow__node').nth(1).boundingBox();
    expect(box?.width).toBeGreaterThan(0);

    const inPage = await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []);
    expect([...inPage, ...violations]).toEqual([]);
  });
});

describe('CORS', () => {
  it('is closed by default: no Access-Control header for any origin, and no preflight answered', async () => {
    const t = await runtime();
    const simple = await fetch(`${t.url}/api/integrations`, { headers: { origin: 'https://evil.example', cookie: t.cookie } });
    expect(simple.status).toBe(200);
    expect(corsHeaders(simple.headers)).toEqual([]);
    const preflight = await fetch(`${t.url}/api/integrations`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(corsHeaders(preflight.headers)).toEqual([]);
  });

  it('answers the preflight of a listed origin and no other', async () => {
    const t = await runtime({
      corsOrigins: readConfig({ LEADFLOW_CORS_ORIGINS: 'https://crm.example, https://ops.example/' }).corsOrigins,
    });
    const preflight = (origin: string) =>
      fetch(`${t.url}/api/integrations`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const listed = await preflight('https://ops.example');
    expect(listed.status).toBe(204);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://ops.example');
    expect(listed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(listed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');

    const unlisted = await preflight('https://evil.example');
    expect(unlisted.status).toBe(403);
    expect(corsHeaders(unlisted.headers)).toEqual([]);

    const simple = await fetch(`${t.url}/api/integrations`, { headers: { origin: 'https://crm.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('https://crm.example');
    expect(simple.headers.get('vary')).toMatch(/origin/i);
    const other = await fetch(`${t.url}/api/integrations`, { headers: { origin: 'https://crm.example.evil' } });
    expect(corsHeaders(other.headers)).toEqual([]);
  });

  it('LEADFLOW_CORS_ORIGINS refuses an entry that is not an origin', () => {
    expect(readConfig({}).corsOrigins).toEqual([]);
    expect(() => readConfig({ LEADFLOW_CORS_ORIGINS: 'https://crm.example/path' })).toThrow(/not an origin/);
    expect(() => readConfig({ LEADFLOW_CORS_ORIGINS: '*' })).toThrow(/not an origin/);
  });
});

describe('body limits', () => {
  const lead = (extra: Record<string, unknown> = {}) => ({ offer: 'tea', phone: '+4915123456780', ...extra });

  it('a lead over 64 KB is refused with 413 naming the limit, and nothing is stored', async () => {
    const t = await runtime();
    const answer = await t.api('POST', '/api/leads', lead({ comment: 'x'.repeat(70 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: 'too_large', field: '(body)' });
    expect(answer.body.message).toContain('64 KB');
    // the route's other spellings, which Express routes the same, have the same limit
    for (const path of ['/API/Leads', '/api/leads/'])
      expect((await t.api('POST', path, lead({ comment: 'x'.repeat(70 * 1024) }))).status).toBe(413);
    expect((await t.api('GET', '/api/leads')).body.leads).toEqual([]);
  });

  it('a postback over 64 KB is refused with 413', async () => {
    const t = await runtime();
    const answer = await t.api('POST', '/postback/crm?token=x', { pad: 'x'.repeat(70 * 1024) });
    expect(answer.status).toBe(413);
    expect(answer.body.message).toContain('64 KB');
  });

  it('a flow save may be larger (up to 2 MB), and is refused with 413 beyond it', async () => {
    const t = await runtime();
    const big = await t.api('POST', '/api/flows', { id: 'big', name: 'Big', pad: 'x'.repeat(1024 * 1024) });
    expect(big.status).not.toBe(413);
    const huge = await t.api('POST', '/api/flows', { id: 'huge', name: 'Huge', pad: 'x'.repeat(2 * 1024 * 1024 + 10) });
    expect(huge.status).toBe(413);
    expect(huge.body.message).toContain('2 MB');
  });
});

describe('a lead’s custom fields', () => {
  const lead = (extra: Record<string, unknown>) => ({ offer: 'tea', phone: '+4915123456780', ...extra });

  async function refused(t: TestRuntime, body: unknown, field: string): Promise<string> {
    const answer = await t.api('POST', '/api/leads', body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_field', field });
    return answer.body.message;
  }

  it('too deep, too long, too many or too large: refused naming the field, nothing stored', async () => {
    const t = await runtime();
    expect(await refused(t, lead({ meta: { a: { b: { c: { d: { e: { f: 1 } } } } } } }), 'meta.a.b.c.d.e')).toMatch(/deeper than 5/);
    expect(await refused(t, lead({ landing: { a: { b: { c: { d: { e: 1 } } } } } }), 'landing.a.b.c.d')).toMatch(/deeper/);
    expect(await refused(t, lead({ meta: { note: 'x'.repeat(2049) } }), 'meta.note')).toMatch(/2048 characters/);
    expect(await refused(t, lead({ meta: { list: ['ok', 'y'.repeat(3000)] } }), 'meta.list[1]')).toMatch(/longer/);
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, i]));
    expect(await refused(t, lead({ meta: many }), 'meta.k200')).toMatch(/more than 200/);
    const large = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'z'.repeat(2000)]));
    expect(await refused(t, lead({ meta: large }), 'meta')).toMatch(/16 KB/);
    expect((await t.api('GET', '/api/leads')).body.leads).toEqual([]);
  });

  it('__proto__, constructor and prototype keys are refused wherever they are', async () => {
    const t = await runtime();
    await refused(t, `{"offer":"tea","phone":"+4915123456780","meta":{"a":{"__proto__":{"admin":true}}}}`, 'meta.a.__proto__');
    await refused(t, `{"offer":"tea","phone":"+4915123456780","__proto__":{"admin":true}}`, '__proto__');
    await refused(t, lead({ meta: { constructor: { prototype: { x: 1 } } } }), 'meta.constructor');
    await refused(t, lead({ extra: [{ prototype: 1 }] }), 'extra[0].prototype');
    expect((await t.api('GET', '/api/leads')).body.leads).toEqual([]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('within the limits they are kept as before', async () => {
    const t = await runtime();
    await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' });
    const answer = await t.api('POST', '/api/leads', lead({ landing: 'a1', meta: { a: { b: { c: { d: 'deep enough' } } } } }));
    expect(answer.status).not.toBe(400);
    expect(answer.status).not.toBe(413);
  });
});
