/**
 * The command line, without the server:
 *
 *   leadflow validate <flow.json | template.json>
 *   leadflow run <flow.json | template.json> [--event <event>] [--lead <lead.json>] [--batch <batch.json>]
 *                [--call <call.json>] [--integration <integration.json | id>] [--offer <offer.json>]
 *                [--set name=value]… [--secret name=value]… [--json]
 *   leadflow rotate-secret-key [--new-key <base64 or hex of 32 bytes>]
 *   leadflow migrate
 *   leadflow export [--to <file>]
 *   leadflow import <file>
 *
 * `export` and `import` move a store between the embedded backend and PostgreSQL (cli-dump.ts,
 * runtime/store/dump.ts): every record to a dump file, secrets still sealed, and into an empty store
 * sealed under the same key.
 *
 * `migrate` brings the PostgreSQL database at `LEADFLOW_DATABASE_URL` to this version's schema
 * (each runtime also does at start; this is for doing it ahead of a rolling deploy) and prints the
 * version it is at.
 *
 * `validate` takes a flow, or an integration template (`flows/templates/*.json`): the template
 * against its schema, then each of its flows, and the settings, secrets and offer parameters the
 * flows name against those the template asks for.
 *
 * `run` sends real requests to the flow's target but changes no stored lead; it prints the
 * execution node by node (secrets redacted) and exits 1 when the flow failed. `--event` picks the
 * template's flow for that event (or checks a flow file's). What the run gets follows the event:
 * `--lead` for lead events; `--batch` for status checks (`{ ids, eids, leads: [{ id, eid, stage }] }`,
 * or `{ from, to, page }` for a date range), the leads listed there being the ones Update Lead may
 * find; `--call` for `postback.in` (`{ query, body }`), with `--lead` as the lead it may find. Each
 * Update Lead prints the lead it would change and the stage move it would make. `--integration`
 * names a file or an integration stored in `$LEADFLOW_DATA`, whose renewed secrets (a rotated
 * refresh token) are kept in its encrypted secrets (cli-integration.ts).
 *
 * `rotate-secret-key` re-seals the integration secrets in `$LEADFLOW_DATA/config.json` under a new
 * key (given, or generated), with the runtime stopped: opened with the current key
 * (`LEADFLOW_SECRET_KEY`, else the key file), sealed with the new one. A key file is replaced; a key
 * from the environment is not stored anywhere, so the new one is printed for the operator to set.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FLOW_EVENTS, type FlowEvent, type Integration, type Offer } from '../core/domain/config.ts';
import type { FlowDoc } from '../core/domain/flow.ts';
import { isStage, type Lead } from '../core/domain/lead.ts';
import type { LeadUpdate, LeadUpdateResult } from '../core/node/contract.ts';
import { flowNeeds } from '../core/flow/needs.ts';
import type { NodeRegistry } from './engine/registry.ts';
import { templateSchemaProblem } from './services/templates.ts';
import { DomainError } from '../core/domain/errors.ts';
import { Executor, type RunResult } from './engine/executor.ts';
import { createAgent } from './engine/http.ts';
import { loadNodeRegistry } from './engine/registry.ts';
import { describeIssues, validateFlow } from '../core/flow/validate.ts';
import { parseLeadInput } from './services/lead-input.ts';
import { previewLeadUpdate } from './services/test-run.ts';
import { readConfig } from './config.ts';
import { cliIntegration } from './cli-integration.ts';
import { migratePg } from './store/pg/open.ts';
import { exportCommand, importCommand } from './cli-dump.ts';
import { generateSecretKey, KEY_FILE, loadSecretKey, parseSecretKey, rotateSecretKey, secretKeyOf } from './store/secret-box.ts';

const USAGE = `usage:
  leadflow validate <flow.json | template.json>
  leadflow run <flow.json | template.json> [--event <event>] [--lead <lead.json>] [--batch <batch.json>] [--call <call.json>]
               [--integration <integration.json | stored integration id>] [--offer <offer.json>] [--set name=value]... [--secret name=value]... [--json]
  leadflow rotate-secret-key [--new-key <base64 or hex of 32 bytes>]   (with the runtime stopped)
  leadflow migrate   (the PostgreSQL schema at LEADFLOW_DATABASE_URL brought up to date)
  leadflow export [--to <file>]   (every record of the store LEADFLOW_DATABASE_URL or LEADFLOW_DATA names, secrets sealed)
  leadflow import <file>          (into that store, which must be empty and use the same LEADFLOW_SECRET_KEY)`;

/** `migrate`: the database at `LEADFLOW_DATABASE_URL` migrated to this version's schema. */
async function migrateCommand(): Promise<number> {
  const { databaseUrl } = readConfig();
  if (!databaseUrl) throw new Error('migrate needs LEADFLOW_DATABASE_URL (the embedded store migrates itself when the runtime opens it)');
  const version = await migratePg(databaseUrl);
  console.log(`the database is at schema version ${version}`);
  return 0;
}

/** `rotate-secret-key`: the data folder's secrets re-sealed under a new key. */
async function rotateCommand(newKey: string | undefined): Promise<number> {
  const config = readConfig();
  const file = path.join(config.dataDir, 'config.json');
  if (!existsSync(file)) throw new Error(`no ${file}: set LEADFLOW_DATA to the runtime's data folder`);
  const keyFile = path.join(config.dataDir, KEY_FILE);
  if (!config.secretKey && !existsSync(keyFile))
    throw new Error(`no LEADFLOW_SECRET_KEY and no key file ${keyFile}: nothing to rotate from`);
  const current = await loadSecretKey(config.dataDir, config.secretKey);
  const generated = newKey === undefined ? generateSecretKey() : undefined;
  const next = secretKeyOf(parseSecretKey(newKey ?? (generated as string), '--new-key'), 'the new key');
  const fromEnv = config.secretKey !== undefined;
  const id = await rotateSecretKey(config.dataDir, current, next, { writeKeyFile: !fromEnv });
  console.log(`the secrets in ${file} are sealed under key ${id} now (they were under ${current.id})`);
  if (!fromEnv) console.log(`the key file ${keyFile} holds the new key`);
  else if (generated) console.log(`start the runtime with LEADFLOW_SECRET_KEY=${generated} (shown once; the old key no longer opens them)`);
  else console.log('start the runtime with LEADFLOW_SECRET_KEY set to the new key');
  return 0;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`the ${what} file ${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

function pairs(values: string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values ?? []) {
    const at = item.indexOf('=');
    if (at < 1) throw new Error(`--${option} takes name=value, not "${item}"`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

function short(value: unknown, max = 300): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return '—';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** The trace as an integrator reads it: one block per node. */
function formatTrace(result: RunResult): string {
  const { execution } = result;
  const lines = [
    `flow ${execution.flowId} v${execution.flowVersion} (${execution.event}): ${execution.state} in ${execution.durationMs} ms`,
  ];
  for (const step of execution.steps) {
    lines.push(
      '',
      `● ${step.nodeId} [${step.type}] ${step.state}${step.port ? ` → ${step.port}` : ''} ${step.durationMs} ms${step.attempts > 1 ? `, ${step.attempts} attempts` : ''}`,
    );
    lines.push(`  input:  ${short(step.input)}`);
    lines.push(`  output: ${short(step.output)}`);
    if (step.error) lines.push(`  error:  ${step.error.code}: ${step.error.message}`);
    for (const exchange of step.http) {
      lines.push(`  http:   ${exchange.request.method} ${exchange.request.url}`);
      if (exchange.request.body) lines.push(`          body ${short(exchange.request.body)}`);
      lines.push(
        exchange.response
          ? `          ← ${exchange.response.status} ${short(exchange.response.body)} (${exchange.durationMs} ms)`
          : `          ← ${exchange.outcome}: ${exchange.error} (${exchange.durationMs} ms)`,
      );
    }
    for (const log of step.logs) lines.push(`  log:    ${log}`);
  }
  if (result.response) lines.push('', `response: ${result.response.status} ${short(result.response.body)}`);
  if (result.error)
    lines.push(
      '',
      `failed at ${result.error.nodeId ?? '-'}: ${result.error.code}: ${result.error.message}${result.error.retryable ? ' (retryable)' : ''}`,
    );
  return lines.join('\n');
}

interface TemplateDoc {
  flows: unknown[];
  settings?: { name: string }[];
  secrets?: { name: string }[];
  offerParameters?: { name: string }[];
}

/** An integration template rather than a flow: it holds a list of flows. */
function isTemplate(doc: unknown): doc is TemplateDoc {
  return doc !== null && typeof doc === 'object' && Array.isArray((doc as TemplateDoc).flows);
}

/** `validate` of a template: its schema, each flow, and the names its flows use that it does not ask for. */
function validateTemplate(file: string, template: TemplateDoc, registry: NodeRegistry): number {
  const problem = templateSchemaProblem(template);
  if (problem) {
    console.error(`${file}: not a valid template: ${problem}`);
    return 1;
  }
  const asked = (list: { name: string }[] | undefined) => new Set((list ?? []).map((f) => f.name));
  const declared = {
    settings: asked(template.settings),
    secrets: asked(template.secrets),
    offerParameters: asked(template.offerParameters),
  };
  let failed = 0;
  console.log(`${file}: template with ${template.flows.length} flows`);
  for (const [i, doc] of template.flows.entries()) {
    const checked = validateFlow(doc, registry);
    const name = (doc as { id?: string }).id ?? `flows[${i}]`;
    if (!checked.ok) {
      failed++;
      console.error(`  ${name}: invalid\n${describeIssues(checked.issues).replace(/^/gm, '    ')}`);
      continue;
    }
    const needs = flowNeeds(checked.flow);
    const undeclared = (['settings', 'secrets', 'offerParameters'] as const).flatMap((kind) =>
      needs[kind].filter((n) => !declared[kind].has(n)).map((n) => `${kind} "${n}"`),
    );
    if (undeclared.length) {
      failed++;
      console.error(`  ${name}: names ${undeclared.join(', ')}, which the template does not ask for`);
      continue;
    }
    console.log(`  ${name}: valid (${checked.flow.event}, ${checked.flow.nodes.length} nodes)`);
  }
  return failed ? 1 : 0;
}

/** The flow to run: the file's own, or the template's flow for `--event`. */
function flowToRun(doc: unknown, event: string | undefined): unknown {
  if (event !== undefined && !(FLOW_EVENTS as readonly string[]).includes(event))
    throw new Error(`--event must be one of ${FLOW_EVENTS.join(', ')}, not "${event}"`);
  if (!isTemplate(doc)) {
    const own = (doc as { event?: unknown } | null)?.event;
    if (event !== undefined && own !== event) throw new Error(`the flow handles ${String(own)}, not ${event}`);
    return doc;
  }
  const events = (template: TemplateDoc) => template.flows.map((f) => (f as { event?: string }).event);
  if (event === undefined) throw new Error(`a template holds one flow per event: name one with --event (${events(doc).join(', ')})`);
  const found = doc.flows.find((f) => (f as { event?: string }).event === event);
  if (!found) throw new Error(`the template has no ${event} flow (it has ${events(doc).join(', ')})`);
  return found;
}

/** A sample lead; `id`, `eid` and `stage` in the file say which stored lead it stands for (a postback's). */
function leadOf(file: string, integrationId: string): Lead {
  const now = new Date().toISOString();
  const raw = readJson(file, 'lead') as { id?: unknown; eid?: unknown; stage?: unknown } | null;
  const { id, eid, stage, ...fields } = raw ?? {};
  const lead: Lead = { ...parseLeadInput(fields), id: 0, integration: integrationId, stage: 'new', created_at: now, updated_at: now };
  if (Number.isSafeInteger(Number(id))) lead.id = Number(id);
  if (eid !== undefined) lead.eid = String(eid);
  if (isStage(String(stage))) lead.stage = String(stage) as Lead['stage'];
  return lead;
}

/** Our leads a status batch lists (`leads: [{ id, eid, stage }]`), as the leads Update Lead may find. */
function leadsOfBatch(batch: unknown, integrationId: string): Lead[] {
  const rows = (batch as { leads?: unknown } | null)?.leads;
  if (!Array.isArray(rows)) return [];
  const now = new Date().toISOString();
  return rows.map((row: { id?: unknown; eid?: unknown; stage?: unknown }, i) => {
    const stage = isStage(String(row.stage)) ? (String(row.stage) as Lead['stage']) : 'wait';
    const id = Number(row.id);
    if (!Number.isSafeInteger(id)) throw new Error(`the batch's leads[${i}] needs a numeric id`);
    return {
      id,
      eid: row.eid === undefined ? undefined : String(row.eid),
      stage,
      offer: '',
      integration: integrationId,
      created_at: now,
      updated_at: now,
    };
  });
}

/** Finds the lead a change names among those known to the run, and says what the change would do. */
function previewAmong(known: Lead[], runLead: Lead | undefined, report: string[]) {
  return async (change: LeadUpdate): Promise<LeadUpdateResult | undefined> => {
    const by = change.oid !== undefined ? `oid ${change.oid}` : change.eid !== undefined ? `eid ${change.eid}` : "the run's lead";
    const lead =
      change.oid !== undefined
        ? known.find((l) => String(l.id) === String(change.oid))
        : change.eid !== undefined
          ? known.find((l) => l.eid === change.eid)
          : runLead;
    if (!lead) {
      report.push(`update ${by}: no such lead${change.stage ? ` (would have asked for ${change.stage})` : ''}`);
      return undefined;
    }
    const preview = previewLeadUpdate(lead, change);
    const detail = [
      change.status && `status ${change.status}`,
      change.statusCode && `code ${change.statusCode}`,
      change.reason && `reason ${change.reason}`,
    ]
      .filter(Boolean)
      .join(', ');
    report.push(
      `update ${by} → lead ${lead.id}: ${preview.stageChanged ? `${lead.stage} → ${preview.lead.stage}` : `stays ${lead.stage}${change.stage ? ` (${change.stage} refused or the same)` : ''}`}${detail ? `; ${detail}` : ''}`,
    );
    return preview;
  };
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      event: { type: 'string' },
      lead: { type: 'string' },
      batch: { type: 'string' },
      call: { type: 'string' },
      integration: { type: 'string' },
      offer: { type: 'string' },
      set: { type: 'string', multiple: true },
      secret: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'new-key': { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === 'rotate-secret-key') return rotateCommand(values['new-key']);
  if (command === 'migrate') return migrateCommand();
  if (command === 'export') return exportCommand(values.to);
  if (command === 'import') return importCommand(file);
  if (!file) throw new Error(`${command} needs a flow or template file\n${USAGE}`);
  const registry = await loadNodeRegistry();
  const doc = readJson(file, 'flow');

  if (command === 'validate') {
    if (isTemplate(doc)) return validateTemplate(file, doc, registry);
    const checked = validateFlow(doc, registry);
    if (checked.ok) {
      console.log(`${file}: valid (${checked.flow.event}, ${checked.flow.nodes.length} nodes)`);
      return 0;
    }
    console.error(`${file}: invalid\n${describeIssues(checked.issues)}`);
    return 1;
  }
  if (command !== 'run') throw new Error(`unknown command "${command}"\n${USAGE}`);
  const checked = validateFlow(flowToRun(doc, values.event), registry);
  if (!checked.ok) {
    console.error(`${file}: invalid\n${describeIssues(checked.issues)}`);
    return 1;
  }
  const flow: FlowDoc = { ...checked.flow, version: checked.flow.version ?? 0 };
  const event: FlowEvent = flow.event;
  const given = await cliIntegration({
    integration: values.integration,
    settings: pairs(values.set, 'set'),
    secrets: pairs(values.secret, 'secret'),
    readFile: (f) => readJson(f, 'integration') as Partial<Integration>,
  });
  const { integration } = given;
  let lead: Lead | undefined;
  let trigger: unknown;
  let known: Lead[] = [];
  if (event.startsWith('status.')) {
    if (!values.batch) throw new Error(`a ${event} flow runs on a batch: give --batch <batch.json>`);
    trigger = readJson(values.batch, 'batch');
    known = leadsOfBatch(trigger, integration.id);
  } else if (event === 'postback.in') {
    if (!values.call) throw new Error('a postback.in flow runs on a call: give --call <call.json> ({"query": {…}, "body": {…}})');
    const call = readJson(values.call, 'call') as { query?: unknown; body?: unknown } | null;
    trigger = { query: call?.query ?? {}, body: call?.body ?? {} };
    if (values.lead) {
      const known0 = leadOf(values.lead, integration.id);
      known = [known0.stage === 'new' ? { ...known0, stage: 'wait' } : known0];
    }
  } else {
    if (!values.lead) throw new Error(`a ${event} flow runs on a lead: give --lead <lead.json>`);
    // a trial send, like a test run: a delivery key of its own, which no real delivery ever carries
    lead = { ...leadOf(values.lead, integration.id), delivery_key: `cli-test-${randomBytes(6).toString('hex')}` };
    trigger = lead;
    known = [lead];
  }
  const offer = values.offer
    ? (readJson(values.offer, 'offer') as Offer)
    : lead && { id: lead.offer, name: lead.offer, parameters: {}, goals: [], products: [] };

  const agent = createAgent();
  const report: string[] = [];
  try {
    const executor = new Executor({ registry, agent, secrets: given.secrets });
    const result = await executor.run(
      { flow, event, integration, lead, offer, trigger, batch: event.startsWith('status.') ? trigger : undefined, test: true },
      {
        // nothing is stored: say what each change would do to the leads the run knows of
        leads: { update: previewAmong(known, lead, report) },
        postbacks: { send: async ({ url }) => void report.push(`postback (not sent): ${url}`) },
      },
    );
    if (values.json) console.log(JSON.stringify({ ...result.execution, wouldUpdate: report }, null, 2));
    else
      console.log(
        formatTrace(result) + (report.length ? `\n\nwould do (nothing was changed):\n${report.map((l) => `  ${l}`).join('\n')}` : ''),
      );
    return result.error ? 1 : 0;
  } finally {
    await agent.close();
    await given.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof DomainError || error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  },
);
