/**
 * `npm start`: the runtime on PORT (3000) with its store in LEADFLOW_DATA (./data), the demo
 * sandbox target on LEADFLOW_SANDBOX_PORT (3001) wired to the demo integration, and one sandbox
 * target per template kind on the next six ports (3002–3007).
 */
import { pino } from 'pino';
import { readConfig } from './config.ts';
import { createRuntime } from './runtime.ts';
import { closeOnSignals } from './shutdown.ts';
import { DEMO_CREDENTIALS, DEMO_INTEGRATION, DEMO_SOURCE, seedDemo, seedDemoSource } from './seed.ts';
import { startDemoCrm, type DemoCrm } from './sandboxes/demo-crm.ts';
import { startSandboxTargets } from './sandboxes/index.ts';

const settings = readConfig();
const log = pino({ level: settings.logLevel });
const runtime = await createRuntime({
  dataDir: settings.dataDir,
  databaseUrl: settings.databaseUrl,
  databasePool: settings.databasePool,
  publicUrl: settings.publicUrl,
  workers: settings.workers,
  logger: log,
  allowPrivateTargets: settings.allowPrivateTargets,
  corsOrigins: settings.corsOrigins,
  adminPassword: settings.adminPassword,
  trustProxy: settings.trustProxy,
  executionRetention: settings.executionRetention,
  shutdownGraceMs: settings.shutdownGraceMs,
});
if (!settings.allowPrivateTargets) {
  log.info('outbound policy: flows and postbacks reach public addresses only (LEADFLOW_ALLOW_PRIVATE_TARGETS=true allows private ones)');
} else if (settings.allowPrivateTargetsSource === 'default') {
  log.warn(
    'outbound policy: private and loopback targets ALLOWED because the bundled sandbox targets run (demo mode); ' +
      'before exposing this runtime set LEADFLOW_SANDBOX_PORT=off or LEADFLOW_ALLOW_PRIVATE_TARGETS=false. Metadata addresses stay refused',
  );
} else {
  log.warn('outbound policy: private and loopback targets ALLOWED (LEADFLOW_ALLOW_PRIVATE_TARGETS); metadata addresses stay refused');
}

let sandbox: DemoCrm | undefined;
if (settings.sandboxPort !== undefined) {
  sandbox = await startDemoCrm(settings.sandboxPort, { ...DEMO_CREDENTIALS, stepMs: 15_000 });
  // the demo's target and tracker are on 127.0.0.1: under a policy refusing loopback its webmaster
  // could not even be saved, and nothing could reach them
  if (!settings.allowPrivateTargets) {
    log.warn('the demo is not seeded and the sandbox targets are out of reach: the outbound policy refuses 127.0.0.1');
  } else if (await seedDemo(runtime, sandbox.url)) log.info('seeded the demo integration "%s"', DEMO_INTEGRATION);
  const demo = await runtime.config.getIntegration(DEMO_INTEGRATION);
  if (demo) {
    const generated = await seedDemoSource(runtime, settings.demoIntakeKey);
    // straight to the console, not through the logger: the key is shown this once, and logs are
    // kept and shipped; it is stored only as a hash, so it cannot be shown again
    if (generated) {
      process.stdout.write(
        `\nDemo intake key of source "${DEMO_SOURCE}" (webmaster wm1), shown this once:\n\n  ${generated}\n\n` +
          `Post leads with  -H "X-Api-Key: ${generated}"  (set LEADFLOW_DEMO_INTAKE_KEY to choose it; rotate it in the editor's Sources screen)\n\n`,
      );
    } else if (settings.demoIntakeKey) log.info('demo source "%s" takes the key from LEADFLOW_DEMO_INTAKE_KEY', DEMO_SOURCE);
  }
  if (demo) sandbox.setPostbackUrl(`http://127.0.0.1:${settings.port}/postback/${DEMO_INTEGRATION}?token=${demo.postbackToken}`);
  log.info('demo sandbox target (CRM and tracker) on %s', sandbox.url);
}

// one sandbox target per template kind, on the ports after the demo's
const targets = settings.sandboxPort === undefined ? [] : await startSandboxTargets(settings.sandboxPort + 1, { stepMs: 15_000 });
for (const t of targets) {
  // credentials stay out of the log, even the sandboxes' own: the README's table lists them
  log.info(
    'sandbox target "%s" (%s) on %s; for its template: settings %j, secrets %j (values in the README), offer parameters %j',
    t.kind,
    t.title,
    t.url,
    t.settings,
    Object.keys(t.secrets),
    t.offerParameters,
  );
}

const url = await runtime.listen(settings.port, settings.host);
log.info('leadflow on %s — data in %s', url, settings.dataDir);
log.info(
  'log in at %s as an account of config.json (the first admin is "admin": the password printed on the console at its creation, or LEADFLOW_ADMIN_PASSWORD)',
  url,
);

closeOnSignals(runtime, {
  graceMs: settings.shutdownGraceMs,
  log,
  async after() {
    await sandbox?.close();
    for (const t of targets) await t.close();
  },
});
