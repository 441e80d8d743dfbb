/**
 * What the editor's browser tests share: the editor built once, the real runtime on port 0 with a
 * temporary data folder, a local mock target that records what it gets, and a Chromium (Debian's, or
 * the one bundled in @sparticuz/chromium: test/support/chromium.ts) driven by playwright-core with a fresh profile. Nothing reaches the internet.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../runtime/runtime.ts';
import { chromiumPath } from '../support/chromium.ts';
import { TEST_ADMIN, logIn, startMockServer } from '../support/harness.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** What the editor bundle is built from: size and time of every file Vite may read, as one hash. */
function sourceFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else {
        const { size, mtimeMs } = statSync(file);
        hash.update(`${file}\0${size}\0${mtimeMs}\n`);
      }
    }
  };
  for (const dir of ['editor', 'runtime', 'nodes', 'flows']) walk(path.join(ROOT, dir));
  hash.update(readFileSync(path.join(ROOT, 'package-lock.json')));
  return hash.digest('hex');
}

/**
 * Builds `editor/dist` with Vite, as `npm run build` does — once for test files running side by
 * side: a lock folder lets one build while the others wait, and a stamp of the sources lets them
 * skip a build of the same sources (a second build would empty the folder another file's runtime
 * is serving).
 */
export async function buildEditor(): Promise<void> {
  const lock = path.join(tmpdir(), `leadflow-editor-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const stamp = path.join(ROOT, 'editor/dist/.build-stamp');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // a lock left by a killed run
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 300_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`another test run has been building the editor for 3 minutes (lock ${lock})`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    const sources = sourceFingerprint();
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === sources) return;
    const { build } = await import('vite');
    await build({ configFile: path.join(ROOT, 'editor/vite.config.ts'), logLevel: 'warn' });
    writeFileSync(stamp, sources);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface TargetRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** How a mock target answers a request: HTTP status and a JSON body. */
export type TargetAnswer = (request: TargetRequest, n: number) => { status: number; body: unknown };

/**
 * A target that records each request and, unless told otherwise, accepts every order:
 * `{ status: 'ok', id: 'T-<n>' }`.
 */
export async function startMockTarget(answer?: TargetAnswer): Promise<{ url: string; requests: TargetRequest[]; close(): Promise<void> }> {
  const requests: TargetRequest[] = [];
  const server = await startMockServer((seen) => {
    const request = { method: seen.method, url: seen.url, headers: seen.headers, body: seen.body };
    requests.push(request);
    const reply = answer ? answer(request, requests.length) : { status: 200, body: { status: 'ok', id: `T-${requests.length}` } };
    // always JSON, a string body included
    return { status: reply.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply.body) };
  });
  return { url: server.url, requests, close: () => server.stop() };
}

export interface EditorWorld {
  runtime: Runtime;
  baseUrl: string;
  target: Awaited<ReturnType<typeof startMockTarget>>;
  /** The intake key of a network source for every offer: send it as `X-Api-Key` when posting leads. */
  intakeKey: string;
  /** The admin's session cookie (`leadflow_session=…`), for calls a test makes beside the page. */
  cookie: string;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * A headless Chromium with its own profile folder, as every browser test starts one: the flags
 * that keep it off the network, 1440×900, and a locale (a browser started with none of its own —
 * the bundled Chromium under LANG=C — reports "en-US@posix", which Intl refuses).
 */
export async function launchBrowser(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: await chromiumPath(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    locale: 'en-US',
  });
}

/**
 * The runtime with one integration ("Acme CRM") pointed at the mock target (answering as `answer`
 * says, else accepting everything), and a browser page. With `empty`, the data folder holds nothing
 * but the admin — no integration, offer or source (`intakeKey` is '') — and the page is not logged
 * in: it starts at the login page, as a new integrator's does.
 */
export async function startEditorWorld(
  options: { answer?: TargetAnswer; empty?: boolean; runtime?: Partial<RuntimeOptions> } = {},
): Promise<EditorWorld> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'leadflow-editor-'));
  const profile = mkdtempSync(path.join(tmpdir(), 'leadflow-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const target = await startMockTarget(options.answer);
  // the mock target is on 127.0.0.1, which the outbound policy refuses unless told otherwise
  const runtime = await createRuntime({
    dataDir,
    logger: pino({ level: 'silent' }),
    allowPrivateTargets: true,
    adminPassword: TEST_ADMIN.password,
    ...options.runtime,
  });
  const baseUrl = await runtime.listen(0, '127.0.0.1');
  const intakeKey = options.empty ? '' : await seedAcme(runtime, target.url);
  const context = await launchBrowser(profile);
  context.setDefaultTimeout(15_000);
  // logged in as the editor logs in (POST /api/session); the context keeps the cookie for the page
  if (!options.empty) {
    const login = await context.request.post(baseUrl + '/api/session', { data: { name: TEST_ADMIN.name, password: TEST_ADMIN.password } });
    if (login.status() !== 200) throw new Error(`logging in failed: ${login.status()}`);
  }
  const cookie = await logIn(baseUrl, TEST_ADMIN.name, TEST_ADMIN.password);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    runtime,
    baseUrl,
    target,
    intakeKey,
    cookie,
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      await runtime.close();
      await target.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true });
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    },
  };
}

/** The shared world's data: offer "tea", integration "Acme CRM" at the target, a network source; answers its intake key. */
async function seedAcme(runtime: Runtime, targetUrl: string): Promise<string> {
  await runtime.offers.put({
    id: 'tea',
    name: 'Slimming tea',
    parameters: { crm_offer_id: '101', 'crm_offer_id-de': '201' },
    goals: [],
    products: [],
  });
  await runtime.integrations.create({
    id: 'acme',
    name: 'Acme CRM',
    settings: { base_url: targetUrl },
    secrets: { api_key: 'k-123-secret' },
    offers: ['tea'],
  });
  const { key } = await runtime.sources.create({ id: 'test-network', name: 'Test network', kind: 'network', offers: '*' });
  return key;
}

/** Drags a node type from the palette onto the canvas at a point of the canvas. */
export async function dragFromPalette(page: Page, type: string, at: { x: number; y: number }): Promise<void> {
  await page.locator(`.lf-palette__item[data-node-type="${type}"]`).dragTo(page.getByTestId('canvas'), { targetPosition: at });
}

/** Draws a connection from one node's output port to another's input, with the mouse. */
export async function connect(page: Page, from: string, port: string, to: string, input = 'in'): Promise<void> {
  const source = page.locator(`.react-flow__handle[data-nodeid="${from}"][data-handleid="${port}"]`);
  const target = page.locator(`.react-flow__handle[data-nodeid="${to}"][data-handleid="${input}"]`);
  const a = await source.boundingBox();
  const b = await target.boundingBox();
  if (!a || !b) throw new Error(`no handle ${from}.${port} or ${to}.${input}`);
  const before = await page.locator('.react-flow__edge').count();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length === n, before + 1);
}

/** Waits until the canvas shows this many nodes. */
export async function waitForNodeCount(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length === n, count);
}

export const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
