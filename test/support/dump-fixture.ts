/**
 * A store with real history for the export/import tests (test/store/dump.test.ts), written and
 * read through the public store interfaces only: configuration with secrets, flows with versions,
 * users, sources with keys; thousands of leads with stage history, intake keys and duplicate
 * keys; jobs queued, running, done and failed (one with a sealed checkpoint); executions linked to
 * leads; audit entries; checkpoints. {@link storeSnapshot} reads all of it back, so two stores can
 * be compared whole.
 */
import { duplicateValues } from '../../core/domain/duplicates.ts';
import type { Integration, Source } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Lead, LeadInput } from '../../core/domain/lead.ts';
import { leadSearchTerms } from '../../core/domain/lead-search.ts';
import type { Stores } from '../../runtime/store/index.ts';
import type { NewExecution } from '../../runtime/store/types.ts';

export const INTEGRATION: Integration = {
  id: 'crm',
  name: 'Demo CRM',
  enabled: true,
  settings: { base_url: 'http://127.0.0.1:9/api' },
  secrets: { api_key: 'clear-api-key-7f3a91', hmac_secret: 'clear-hmac-c41e77' },
  offers: ['slim-tea'],
  flows: { 'lead.new': 'crm-send' },
  postbackToken: 'tok-abc',
};

const SOURCE: Source = {
  id: 'net',
  kind: 'network',
  offers: '*',
  keys: [{ id: 'net-k1', hash: 'a'.repeat(64), hint: 'lfk_AbCd', created_at: '2026-12-01T10:00:00.000Z' }],
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-01T10:00:00.000Z',
};

const flow = (url: string): FlowDoc => ({
  id: 'crm-send',
  name: 'Send',
  event: 'lead.new',
  version: 0,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'http', type: 'http-request', position: { x: 250, y: 0 }, params: { method: 'POST', url } },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'http', targetHandle: 'in' }],
});

const input = (n: number): LeadInput => ({
  offer: 'slim-tea',
  wm: `wm${n % 7}`,
  name: `Lead ${n}`,
  phone: `+4915100${String(n).padStart(6, '0')}`,
  phoneE164: `+4915100${String(n).padStart(6, '0')}`,
  email: `lead${n}@example.com`,
  country: 'de',
  meta: { landing: 'v2', n, quiz: { answers: [n % 3, 1] } },
  goods: [{ product: 'tea-30', count: 1 + (n % 3), price: 39.5 }],
});

const execution = (leadId: number): NewExecution => ({
  flowId: 'crm-send',
  flowVersion: 2,
  integrationId: 'crm',
  event: 'lead.new',
  leadId,
  state: leadId % 5 === 0 ? 'error' : 'success',
  test: false,
  ...(leadId % 5 === 0 ? { error: { code: 'http_error', message: 'HTTP 502', nodeId: 'http', retryable: true } } : {}),
  trigger: { lead: { id: leadId } },
  steps: [
    {
      nodeId: 'lead',
      type: 'lead-in',
      state: 'ok',
      port: 'out',
      output: { id: leadId },
      startedAt: '2026-12-01T10:00:00.000Z',
      durationMs: 0.1,
      attempts: 1,
      http: [],
      logs: [],
    },
  ],
  startedAt: new Date().toISOString(),
  durationMs: 4.5,
});

/** Writes the store's history; answers a job id whose payload holds a sealed checkpoint. */
export async function writeHistory(stores: Stores, leads: number): Promise<{ checkpointJob: number; checkpointLead: number }> {
  const { config } = stores;
  await config.putOffer({ id: 'slim-tea', name: 'Slim tea', parameters: { price: '39' }, goals: [], products: [] } as never);
  await config.putIntegration(INTEGRATION);
  await config.putWebmaster({ id: 'wm1' } as never);
  await config.putSource(SOURCE);
  await config.saveFlowVersion(flow('/v1'), 'anna');
  await config.saveFlowVersion(flow('/v2'), 'boris', { message: 'new path' });
  await config.putFlowDraft({
    flowId: 'crm-send',
    userId: 'u-1',
    savedBy: 'anna',
    savedAt: new Date().toISOString(),
    baseVersion: 2,
    doc: { ...flow('/v3'), version: 2 },
  });
  await config.putUser({
    id: 'u-1',
    name: 'anna',
    role: 'integrator',
    passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
    disabled: false,
    createdAt: '2026-12-01T10:00:00.000Z',
  });
  await config.putSession({
    idHash: 'h'.repeat(64),
    userId: 'u-1',
    createdAt: '2026-12-01T10:00:00.000Z',
    expiresAt: '2099-12-09T10:00:00.000Z',
  });

  const ids: number[] = [];
  for (let start = 1; start <= leads; start += 250) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(250, leads - start + 1) }, async (_, i) => {
        const n = start + i;
        const jobs = [{ kind: 'lead.new' as const, integrationId: 'crm', key: `dk-${n}` }];
        if (n % 10 !== 0) return (await stores.leads.insertLead(input(n), 'crm', jobs, 'net')).id;
        const check = { offer: 'slim-tea', values: duplicateValues(['phone'], input(n)), since: new Date(0), action: 'refuse' as const };
        const once = await stores.leads.insertLeadOnce(
          input(n),
          'crm',
          jobs,
          { source: 'net', bodyHash: `b${n}`, idempotencyKey: `idem-${n}`, orderId: `o-${n}` },
          check,
        );
        return once.lead!.id;
      }),
    );
    ids.push(...batch);
  }
  await stores.leads.recordIntakeAnswer(ids[9], 201, { id: ids[9], url: 'https://pay.example/x' });
  // two thirds sent (with their external id), a part of those approved with a keyed postback
  for (let start = 0; start < ids.length; start += 250) {
    await Promise.all(
      ids.slice(start, start + 250).map(async (id) => {
        if (id % 3 === 0) return;
        const at = new Date().toISOString();
        await stores.leads.updateLead(
          id,
          { eid: `E${id}`, stage: 'wait', history: { at, from: 'new', stage: 'wait', source: 'delivery' } },
          [],
        );
        if (id % 4 !== 0) return;
        await stores.leads.updateLead(
          id,
          {
            stage: 'approve',
            status: 'confirmed',
            payout: 12.5,
            history: { at, from: 'wait', stage: 'approve', source: 'status-check', status: 'confirmed', payout: 12.5 },
            handoffs: id % 8 === 0 ? ['fulfil'] : undefined,
          },
          [{ kind: 'postback.out', leadId: id, integrationId: 'crm', key: `pb-${id}`, payload: { url: `https://t.example/pb?id=${id}` } }],
        );
      }),
    );
  }
  // jobs in every state: most done, some failed, some running under a lease, the rest queued
  const claimed = await stores.jobs.claimJobs(['lead.new'], 500, new Date(Date.now() + 1000), [], { worker: 'w-old', leaseMs: 60_000 });
  for (const job of claimed.slice(0, 300)) await stores.jobs.completeJob(job.id, { sent: true });
  for (const job of claimed.slice(300, 350)) await stores.jobs.failJob(job.id, 'HTTP 502', undefined);
  for (const job of claimed.slice(350, 400)) await stores.jobs.failJob(job.id, 'timeout', new Date(Date.now() + 3_600_000));
  const checkpointJob = claimed[400].id;
  await stores.jobs.saveJobProgress('w-old', checkpointJob, {
    resume: stores.seal.seal({ outputs: { login: { cookie: 'sess=1' } } }, checkpointJob),
  });

  for (let start = 0; start < ids.length; start += 500) {
    await Promise.all(
      ids
        .slice(start, start + 500)
        .filter((id) => id % 2 === 0)
        .map((id) => stores.executions.insertExecution(execution(id))),
    );
  }
  await stores.executions.insertExecution({
    ...execution(ids[1]),
    event: 'status.processing',
    leadId: undefined,
    leadIds: [ids[1], ids[2], ids[3]],
  });
  for (let n = 0; n < 25; n++) {
    await stores.audit.appendAudit({
      at: new Date().toISOString(),
      actor: { id: 'u-1', name: 'anna', role: 'integrator' },
      action: 'flow.save',
      resourceType: 'flow',
      resourceId: `f-${n}`,
      before: { v: n },
      after: { v: n + 1 },
    });
  }
  await stores.checkpoints.setCheckpoint('crm/status.processing', '2026-12-01T09:00:00.000Z');
  return { checkpointJob, checkpointLead: claimed[400].leadId! };
}

/** Every lead, newest first, page by page. */
async function allLeads(stores: Stores): Promise<Lead[]> {
  const leads: Lead[] = [];
  for (;;) {
    const last = leads.at(-1);
    const page = await stores.leads.listLeads({ limit: 500, ...(last ? { after: { createdAt: last.created_at, id: last.id } } : {}) });
    leads.push(...page);
    if (page.length < 500) return leads;
  }
}

/** What the store answers through its interfaces: everything {@link writeHistory} wrote, whole or sampled. */
export async function storeSnapshot(stores: Stores, sealed: { checkpointJob: number; checkpointLead: number }) {
  const leads = await allLeads(stores);
  const samples = [1, 2, 3, 8, 10, 16, 500, 1500, leads.length];
  const jobs = await Promise.all(samples.map((id) => stores.jobs.jobsOfLead(id)));
  const executions = [];
  for (let before: number | undefined; ;) {
    const page = await stores.executions.listExecutions({ integrationId: 'crm', limit: 500, ...(before ? { before } : {}) });
    executions.push(...page);
    if (page.length < 500) break;
    before = page.at(-1)!.id;
  }
  const sealedJob = (await stores.jobs.jobsOfLead(sealed.checkpointLead)).find((job) => job.id === sealed.checkpointJob);
  return {
    storeId: await stores.storeId(),
    offers: await stores.config.listOffers(),
    integrations: await stores.config.listIntegrations(),
    webmasters: await stores.config.listWebmasters(),
    sources: await stores.config.listSources(),
    byKey: (await stores.config.findSourceByKeyHash('a'.repeat(64)))?.id,
    flows: await stores.config.listFlows(),
    firstVersion: await stores.config.getFlowVersion('crm-send', 1),
    drafts: await stores.config.listFlowDrafts({}),
    users: await stores.config.listUsers(),
    session: await stores.config.getSession('h'.repeat(64)),
    leads,
    history: await Promise.all(samples.map((id) => stores.leads.history(id))),
    handoffs: await Promise.all(samples.map((id) => stores.leads.handoffsOf(id))),
    byEid: await stores.leads.findLeadByEid('crm', 'E500'),
    search: await stores.leads.listLeads({ search: leadSearchTerms('lead1500@example.com', ['de']) }),
    approved: await stores.leads.listLeads({ stage: 'approve', limit: 500 }),
    stageCounts: await stores.leads.stageCounts('2000-01-01T00:00:00.000Z'),
    jobs,
    deliveries: await stores.jobs.deliveryCounts('crm'),
    executions,
    linked: await stores.executions.listExecutions({ leadId: 2 }),
    audit: await stores.audit.listAudit({ limit: 500 }),
    checkpoint: await stores.checkpoints.getCheckpoint('crm/status.processing'),
    sealedJob,
    // the checkpoint sealed to its job's id opens in the store it was moved to
    resumed: sealedJob && stores.seal.open(sealedJob.payload.resume as string, sealedJob.id),
  };
}
