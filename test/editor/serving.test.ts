/**
 * How the runtime serves the built editor, over real HTTP: compressed as the browser accepts
 * (brotli, gzip), hashed assets cached for a year as immutable, index.html revalidated on every
 * load; and the bundle: the entry chunk and what it loads at once hold neither acorn (the script
 * parser) nor the Ajv flow validation, which come in chunks of their own.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../runtime/runtime.ts';
import { TEST_ADMIN } from '../support/harness.ts';
import { buildEditor } from './browser.ts';

const DIST = fileURLToPath(new URL('../../editor/dist/', import.meta.url));

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

let runtime: Runtime;
let baseUrl = '';
let dataDir = '';
let manifest: Record<string, ManifestChunk>;

/** A GET with exactly the headers given (no automatic decompression): status, headers, raw body size. */
function get(route: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: number }>((resolve, reject) => {
    request(baseUrl + route, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  await buildEditor();
  manifest = JSON.parse(readFileSync(path.join(DIST, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  dataDir = mkdtempSync(path.join(tmpdir(), 'leadflow-serving-'));
  runtime = await createRuntime({ dataDir, logger: pino({ level: 'silent' }), adminPassword: TEST_ADMIN.password });
  baseUrl = await runtime.listen(0, '127.0.0.1');
}, 240_000);

afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const entry = () => Object.values(manifest).find((c) => c.isEntry) as ManifestChunk;

/** The entry and every chunk it imports statically: what the first page loads. */
function loadedAtOnce(): string[] {
  const seen = new Set<string>();
  const walk = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const next of manifest[key]?.imports ?? []) walk(next);
  };
  walk(Object.keys(manifest).find((k) => manifest[k].isEntry) as string);
  return [...seen].map((key) => manifest[key].file);
}

describe('the editor as served', () => {
  it('is compressed with brotli or gzip, as the browser accepts', async () => {
    const script = '/' + entry().file;
    const brotli = await get(script, { 'accept-encoding': 'br, gzip' });
    const gzip = await get(script, { 'accept-encoding': 'gzip' });
    const plain = await get(script);
    expect([brotli.status, gzip.status, plain.status]).toEqual([200, 200, 200]);
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(brotli.bytes).toBeLessThan(plain.bytes / 2);
    expect(gzip.bytes).toBeLessThan(plain.bytes / 2);
    expect(brotli.headers.vary).toContain('Accept-Encoding');
  });

  it('caches hashed assets for a year as immutable, and revalidates index.html on every load', async () => {
    const script = await get('/' + entry().file, { 'accept-encoding': 'gzip' });
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const style = Object.values(manifest).flatMap((c) => (c as { css?: string[] }).css ?? [])[0];
    expect((await get('/' + style)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const page of ['/', '/index.html']) {
      const html = await get(page, { 'accept-encoding': 'gzip' });
      expect(html.status).toBe(200);
      expect(html.headers['cache-control']).toBe('no-cache');
    }
    // Vite's manifest is for the build, not for browsers
    expect((await get('/.vite/manifest.json')).status).toBe(404);
  });

  it('keeps acorn and the Ajv flow validation out of what the first page loads', () => {
    const atOnce = loadedAtOnce();
    expect(atOnce).toContain(entry().file);
    const text = (file: string) => readFileSync(path.join(DIST, file), 'utf8');
    // markers: acorn's option name, Ajv's standalone messages
    const acorn = (file: string) => text(file).includes('ecmaVersion');
    const ajv = (file: string) => text(file).includes('must have required property');
    expect(atOnce.filter(acorn)).toEqual([]);
    expect(atOnce.filter(ajv)).toEqual([]);
    // they are in the build, in chunks of their own that the first page does not load
    const all = Object.values(manifest).map((c) => c.file);
    const parser = all.filter(acorn);
    const validation = all.filter(ajv);
    expect(parser.length).toBeGreaterThan(0);
    expect(validation.length).toBeGreaterThan(0);
    expect(parser.some((f) => /acorn-/.test(f))).toBe(true);
  });
});
