/**
 * The composition root: opens the stores, loads the node registry, builds the services, the job
 * queue and the Express app. `main.ts` starts it for `npm start`; the tests start it on port 0.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { pino, type Logger } from 'pino';
import type { Agent } from 'undici';
import { openStores } from './store/index.ts';
import { FileLeases } from './store/file-lease.ts';
import { projectPath } from './project-root.ts';
import type { ConfigStore, ExecutionLog as ExecutionRecords, JobQueue as JobStore, LeadStore } from './store/types.ts';
import { loadNodeRegistry, type NodeRegistry } from './engine/registry.ts';
import { createAgent } from './engine/http.ts';
import type { OutboundPolicy } from './engine/outbound-policy.ts';
import { Executor } from './engine/executor.ts';
import { InProcessTargetLimits } from './engine/target-limits.ts';
import { InProcessTokens } from './engine/shared-tokens.ts';
import type { SharedTokens, TargetLimits } from './store/coordination.ts';
import { LeadService } from './services/leads.ts';
import { FlowService } from './services/flows.ts';
import { FlowDraftService } from './services/flow-drafts.ts';
import { FlowRunner } from './services/runs.ts';
import { IntakeService } from './services/intake.ts';
import { DeliveryHandler } from './services/delivery.ts';
import { CircuitBreakers, type BreakerOptions } from './services/circuit-breakers.ts';
import { PostbackSender } from './services/postbacks-out.ts';
import { InboundPostbacks } from './services/postback-in.ts';
import { IntegrationService } from './services/integrations.ts';
import { KeptSecrets } from './services/kept-secrets.ts';
import { OfferService } from './services/offers.ts';
import { SourceService } from './services/sources.ts';
import { ABORT_SETTLE_MS, DEFAULT_RETRY, JobQueue, type RetryPolicy } from './services/queue.ts';
import { DEFAULT_RETENTION, ExecutionRetention, type RetentionPolicy } from './services/execution-retention.ts';
import { HttpDrain } from './http/draining.ts';
import { StatusChecks } from './services/status-checks.ts';
import type { CheckTurnOptions } from './services/check-turns.ts';
import { intakeKeyOutOfUrl, leadRoutes } from './http/leads.ts';
import { leadExportRoutes } from './http/lead-export.ts';
import { LeadExport } from './services/lead-export.ts';
import { sourceRoutes } from './http/sources.ts';
import { checkRoutes } from './http/checks.ts';
import { IntegrationRemovals } from './services/integration-removal.ts';
import { postbackRoutes } from './http/postbacks.ts';
import { nodeRoutes } from './http/nodes.ts';
import { flowRoutes } from './http/flows.ts';
import { flowDraftRoutes } from './http/flow-drafts.ts';
import { testRunRoutes } from './http/test-runs.ts';
import { integrationRoutes } from './http/integrations.ts';
import { offerRoutes } from './http/offers.ts';
import { webmasterRoutes } from './http/webmasters.ts';
import { editorStaticRoutes } from './http/editor-static.ts';
import { overviewRoutes } from './http/overview.ts';
import { OverviewService } from './services/overview.ts';
import { TestPostbacks } from './services/test-postback.ts';
import { DEMO_INTEGRATION, DEMO_SOURCE } from './seed.ts';
import { executionRoutes } from './http/executions.ts';
import { ExecutionLog } from './services/executions.ts';
import { templateRoutes } from './http/templates.ts';
import { TemplateService } from './services/templates.ts';
import { homeRoutes } from './http/home.ts';
import { AuditLog } from './services/audit.ts';
import { ResendService } from './services/resend.ts';
import { auditRoutes } from './http/audit.ts';
import { DashboardService } from './services/dashboard.ts';
import { dashboardRoutes } from './http/dashboard.ts';
import { LongWork } from './services/long-work.ts';
import { BulkResend, DEFAULT_BULK_PACE, type BulkPace } from './services/bulk-resend.ts';
import { workRoutes } from './http/work.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { cors } from './http/cors.ts';
import { securityHeaders } from './http/security-headers.ts';
import { appServer } from './http/app-server.ts';
import { bodyParsers, bodyTooLarge } from './http/body-limits.ts';
import { authMiddleware, requireUser } from './http/auth.ts';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from './http/auth-rate-limit.ts';
import { sessionRoutes } from './http/session.ts';
import { userRoutes } from './http/users.ts';
import { UserService } from './services/users.ts';
import { SessionService } from './services/sessions.ts';

export interface RuntimeOptions {
  dataDir: string;
  /** How targets reach this runtime, for the postback URLs shown. Set from the port when listening if omitted. */
  publicUrl?: string;
  /** Jobs (deliveries, postbacks) handled at once, all integrations together (each also within its own `concurrency`). */
  workers?: number;
  /** Each integration's circuit breaker: transient failures in a row that open it, and how long it stays open before a probe. */
  breaker?: Partial<BreakerOptions>;
  retry?: Partial<RetryPolicy>;
  /** How often the queue looks for due jobs besides being woken. */
  pollMs?: number;
  /** How long a claimed job is this process's without a heartbeat (`DEFAULT_LEASE_MS` unless given). */
  leaseMs?: number;
  logger?: Logger;
  /**
   * Flows and postbacks may reach private, loopback and other internal addresses
   * (`LEADFLOW_ALLOW_PRIVATE_TARGETS`). Off unless given: public addresses only. Link-local and
   * metadata addresses are refused either way.
   */
  allowPrivateTargets?: boolean;
  /** Origins a browser may call the API from besides the runtime's own (`LEADFLOW_CORS_ORIGINS`); none unless given. */
  corsOrigins?: string[];
  /**
   * Middleware mounted before the routes, after the body parsers. For tests only: one that sets
   * `res.locals.user` stands in for the session middleware (the audit log's actor).
   */
  beforeRoutes?: RequestHandler[];
  /**
   * The first admin's password on a data folder with no user yet (`LEADFLOW_ADMIN_PASSWORD`);
   * when omitted a password is generated and given to {@link RuntimeOptions.announce} once.
   */
  adminPassword?: string;
  /** Where the generated admin password is printed: the console (stdout), never the log. */
  announce?: (text: string) => void;
  /** Express' `trust proxy` (`LEADFLOW_TRUST_PROXY`): off unless given. */
  trustProxy?: boolean | number | string;
  /** Failed logins allowed per account and per address. */
  loginLimits?: Partial<LoginLimits>;
  /**
   * The execution log's retention (`LEADFLOW_EXECUTION_RETENTION_DAYS`, `…_PER_INTEGRATION`):
   * 30 days and no count limit unless given; pruned from `listen` on, in batches.
   */
  executionRetention?: Partial<RetentionPolicy>;
  /**
   * How long {@link Runtime.close} lets running deliveries finish before it aborts them and puts
   * their jobs back in the queue (`LEADFLOW_SHUTDOWN_GRACE_MS`); {@link DEFAULT_SHUTDOWN_GRACE_MS}
   * unless given.
   */
  shutdownGraceMs?: number;
  /**
   * The configuration store to use instead of the data folder's `config.json` — one that other
   * runtimes share (a PostgreSQL one); the leads, the queue and the logs stay the data folder's.
   * What this runtime caches of it follows its `onChange`.
   */
  configStore?: ConfigStore;
  /** How bulk work (a bulk resend) paces itself: leads per write and the pause between writes ({@link DEFAULT_BULK_PACE} unless given). */
  bulkPace?: Partial<BulkPace>;
  /**
   * The PostgreSQL database the stores live on (`LEADFLOW_DATABASE_URL`); unset: the embedded
   * store in `dataDir`. Several runtimes on one database share the queue, the status checks' turns,
   * the targets' limits and the Auth Token logins.
   */
  databaseUrl?: string;
  /** Connections in the database pool (`LEADFLOW_DATABASE_POOL`, 10 by default). */
  databasePool?: number;
  /**
   * How the status checks take turns with other runtime processes on the same store (the store's
   * check leases, this process's holder name, the lease length): the embedded store's in-process
   * leases unless given; PostgreSQL's when several processes share a database.
   */
  checkTurns?: CheckTurnOptions;
  /**
   * Each target's rate and concurrency limits; in this process only unless given. Several runtimes
   * on one PostgreSQL database share them with `PgTargetLimits` (store/pg/target-limits.ts). The
   * runtime closes it on {@link Runtime.close} (the pool stays the caller's).
   */
  targetLimits?: TargetLimits;
  /**
   * The tokens nodes log in for (Auth Token), one login at a time per key; in this process only
   * unless given. Several runtimes on one database share them with `PgSharedTokens`
   * (store/pg/shared-tokens.ts). Closed like {@link RuntimeOptions.targetLimits}.
   */
  sharedTokens?: SharedTokens;
}

/** How long running deliveries may finish at shutdown, unless the options say otherwise. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** What {@link Runtime.close} came to. */
export interface CloseReport {
  /** Running jobs aborted after the grace period and put back in the queue. */
  released: number;
  /** Requests still unanswered when the grace period was over, whose connections were cut. */
  unanswered: number;
}

export interface Runtime {
  app: Express;
  config: ConfigStore;
  leads: LeadStore;
  /** The job queue's store (deliveries, postbacks): what the queue claims from. */
  jobs: JobStore;
  /** The execution log's store. */
  executions: ExecutionRecords;
  registry: NodeRegistry;
  flows: FlowService;
  integrations: IntegrationService;
  offers: OfferService;
  /** Who posts leads, and their intake keys. */
  sources: SourceService;
  checks: StatusChecks;
  /** The audit log of configuration changes and sensitive actions. */
  audit: AuditLog;
  /** The outbound policy every request the runtime makes is checked against. */
  outbound: OutboundPolicy;
  log: Logger;
  /** Starts the job queue and listens; resolves with the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /**
   * The graceful stop (what SIGTERM does): stops accepting connections and answers every request
   * already received (a later one on a kept-alive connection gets a 503, `Connection: close`);
   * claims no more jobs and lets the running ones finish for `graceMs`
   * ({@link RuntimeOptions.shutdownGraceMs}), then aborts them — their requests cancelled, their
   * executions recorded as `interrupted`, no stage moved — and puts their jobs back in the queue,
   * due at once and the attempt not counted; then closes the store, every write committed.
   */
  close(options?: { graceMs?: number }): Promise<CloseReport>;
}

const EDITOR_DIST = projectPath('editor/dist/');

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const log = options.logger ?? pino({ level: 'info' });
  const stores = await openStores(options.dataDir, undefined, {
    url: options.databaseUrl,
    poolSize: options.databasePool,
    onError: (error) => log.error({ err: error }, 'database: a background connection failed'),
  });
  // on a shared database: what the runtimes share, unless the options give their own
  const shared = 'shared' in stores ? stores.shared : undefined;
  const { leads, jobs, executions } = stores;
  const config = options.configStore ?? stores.config;
  const audit = new AuditLog(stores.audit, log);
  const registry = await loadNodeRegistry();
  const outbound: OutboundPolicy = { allowPrivate: options.allowPrivateTargets === true };
  // one agent for every outgoing request (nodes and postbacks), so one policy covers them all
  const agent: Agent = createAgent(outbound);
  // what targets renew (rotated refresh tokens) goes to the integration's secrets, one renewal at a time
  const kept = new KeptSecrets(config, new FileLeases(path.join(options.dataDir, 'leases')), audit);
  const limits = options.targetLimits ?? shared?.targetLimits ?? new InProcessTargetLimits();
  const tokens = options.sharedTokens ?? shared?.sharedTokens ?? new InProcessTokens();
  const executor = new Executor({ registry, agent, store: executions, secrets: (id) => kept.forIntegration(id), limits, tokens });

  let queue: JobQueue | undefined;
  const wake = () => queue?.wake();
  const publicUrl = { value: options.publicUrl ?? '' };

  let checks: StatusChecks | undefined;
  const refreshChecks = () => {
    void checks?.refresh().catch((error) => log.error({ err: error }, 'status checks: refreshing the schedules failed'));
  };
  const leadService = new LeadService(config, leads, jobs, executions, wake, audit);
  const flows = new FlowService(config, registry, refreshChecks, audit);
  // what this runtime keeps of the configuration follows the store: its own writes and, on a shared
  // database, every other runtime's (the status checks' timers only once it listens)
  let following = false;
  const stopFollowing = config.onChange?.((change) => {
    flows.forget(change);
    if (following && (change.kind === 'integration' || change.kind === 'flow' || change.kind === 'all')) refreshChecks();
  });
  const runner = new FlowRunner(config, leads, jobs, executions, stores, leadService, flows, executor, wake, audit, registry);
  const sources = new SourceService(config, audit);
  const intake = new IntakeService(config, leads, runner, sources, wake);
  const inbound = new InboundPostbacks(config, runner);
  const breakers = new CircuitBreakers(options.breaker, log);
  const integrations = new IntegrationService(
    config,
    () => publicUrl.value,
    registry,
    outbound,
    refreshChecks,
    audit,
    (id) => jobs.deliveryCounts(id),
    (id) => breakers.view(id),
  );
  const longWork = new LongWork();
  checks = new StatusChecks(
    config,
    leads,
    stores.checkpoints,
    runner,
    registry,
    log,
    longWork,
    options.checkTurns ?? (shared && { leases: shared.checkLeases }),
  );
  const offers = new OfferService(
    config,
    outbound,
    audit,
    async (offerId) => (await leads.listLeads({ offer: offerId, limit: 1 })).length > 0,
    refreshChecks,
  );
  const sessions = new SessionService(config);
  const users = new UserService(config, sessions, audit);
  sessions.bind(users);
  const admin = await users.ensureAdmin(options.adminPassword);
  if (admin?.generated) {
    const announce = options.announce ?? ((text: string) => process.stdout.write(text + '\n'));
    // printed once, to the console only: the log file never holds it, and it is not stored anywhere
    announce(
      `leadflow: created the admin account "${admin.name}" with the password ${admin.generated}\n` +
        '  log in with it, then change it in Users (or set LEADFLOW_ADMIN_PASSWORD on a fresh data folder). It is not shown again.',
    );
  } else if (admin) log.info('created the admin account "%s" with the password from LEADFLOW_ADMIN_PASSWORD', admin.name);

  const delivery = new DeliveryHandler(leads, runner, stores.seal, {
    breakers,
    integrations: () => config.listIntegrations(),
    slots: { limits, integration: (id) => config.getIntegration(id) },
  });
  queue = new JobQueue(jobs, [delivery, new PostbackSender(config, leads, agent)], {
    concurrency: options.workers ?? 32,
    pollMs: options.pollMs ?? 500,
    leaseMs: options.leaseMs,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    log,
  });
  // another runtime on the database queued a job (a lead it took in, a postback it heard): wake now, not at the next poll
  const stopWaking = 'onJobsQueued' in stores ? stores.onJobsQueued(wake) : undefined;

  const retention = new ExecutionRetention(executions, config, { ...DEFAULT_RETENTION, ...options.executionRetention }, log);
  const drain = new HttpDrain();
  const app = express();
  app.disable('x-powered-by');
  // ahead of every other middleware: a request arriving while the runtime shuts down is refused unread
  app.use(drain.middlewareFor(app));
  app.set('query parser', 'extended');
  // first of all: an intake key in the URL never reaches anything that records URLs
  app.use(intakeKeyOutOfUrl);
  app.use(securityHeaders());
  app.use(cors(options.corsOrigins ?? []));
  // each route under its own body limit (body-limits.ts): intake and postbacks small, flow saves large
  app.use(bodyParsers());
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(authMiddleware(sessions));
  for (const middleware of options.beforeRoutes ?? []) app.use(middleware);
  // the routes machines call at volume (postbacks, the lead intake) come first, so a lead does not
  // walk the management routers ahead of them. The order only moves routers whose paths no other
  // router before them shares: what answers a request, and what an OPTIONS of a path lists, stay
  // the same; export.csv is still matched before /api/leads/:id
  app.use(postbackRoutes(inbound));
  app.use(leadExportRoutes(new LeadExport(config, executions, leadService, audit)));
  app.use(leadRoutes(intake, leadService, new ResendService(leads, jobs, wake, audit, (query) => leadService.selection(query))));
  app.get('/api/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(sessionRoutes(users, sessions, { ...DEFAULT_LOGIN_LIMITS, ...options.loginLimits }));
  app.use(userRoutes(users));
  app.use(checkRoutes(checks, integrations));
  app.use(templateRoutes(new TemplateService(config, flows, integrations)));
  // the management API the editor uses
  app.use(nodeRoutes(registry));
  const drafts = new FlowDraftService(config, flows, integrations);
  app.use(flowRoutes(flows, drafts));
  app.use(flowDraftRoutes(drafts));
  app.use(testRunRoutes(flows, leadService, runner));
  app.use(integrationRoutes(integrations, new IntegrationRemovals(config, integrations, flows)));
  app.use(offerRoutes(offers));
  app.use(webmasterRoutes(offers, new TestPostbacks(config, agent, audit)));
  app.use(sourceRoutes(sources, intake));
  app.use(overviewRoutes(new OverviewService(config, leads, jobs, { integration: DEMO_INTEGRATION, source: DEMO_SOURCE })));
  app.use(executionRoutes(new ExecutionLog(executions), runner));
  app.use(auditRoutes(audit));
  app.use(dashboardRoutes(new DashboardService(config, leads, jobs, breakers, checks)));
  app.use(
    workRoutes(
      longWork,
      new BulkResend(leads, jobs, longWork, audit, wake, (query) => leadService.selection(query), {
        ...DEFAULT_BULK_PACE,
        ...options.bulkPace,
      }),
    ),
  );
  if (existsSync(EDITOR_DIST + 'index.html')) {
    app.use(editorStaticRoutes(EDITOR_DIST));
  } else {
    app.use('/', (req, res, next) => (req.path === '/' ? requireUser(req, res, next) : next()), homeRoutes(flows, integrations));
  }
  app.use(notFound);
  app.use(bodyTooLarge);
  app.use(errorHandler(log));

  let server: Server | undefined;
  return {
    app,
    config,
    leads,
    jobs,
    executions,
    registry,
    flows,
    integrations,
    offers,
    sources,
    checks,
    audit,
    outbound,
    log,
    async listen(port, host = '0.0.0.0') {
      server = appServer(app).listen(port, host);
      drain.watch(server);
      await once(server, 'listening');
      const address = server.address() as AddressInfo;
      const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${address.port}`;
      if (!publicUrl.value) publicUrl.value = url;
      await queue.start();
      retention.start();
      following = true;
      await checks.refresh();
      return url;
    },
    async close(given = {}) {
      const graceMs = given.graceMs ?? options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
      following = false;
      stopFollowing?.();
      // the intake and the queue wind down side by side: an answer in flight is not held up by a
      // delivery, and the leads it stores stay queued for the next start
      const [unanswered] = await Promise.all([
        server ? drain.close(server, graceMs + ABORT_SETTLE_MS) : 0,
        checks.stop(),
        retention.stop(),
        queue.stop({ graceMs }),
      ]);
      // the aborted requests are closing already; a socket still open is not waited for
      await Promise.race([agent.close(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      await agent.destroy().catch(() => undefined);
      stopWaking?.();
      await Promise.all([limits.close(), tokens.close()]);
      await stores.close();
      return { released: queue.releasedCount, unanswered };
    },
  };
}
