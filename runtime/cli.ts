/**
 * The command line, without the server:
 *
 *   leadflow validate <flow.json>
 *   leadflow run <flow.json> --lead <lead.json> [--integration <integration.json>] [--offer <offer.json>]
 *                [--set name=value]… [--secret name=value]… [--json]
 *   leadflow rotate-secret-key [--new-key <base64 or hex of 32 bytes>]
 *
 * `run` sends real requests to the flow's target but changes no stored lead; it prints the
 * execution node by node (secrets redacted) and exits 1 when the flow failed.
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
import type { Integration, Offer } from '../core/domain/config.ts';
import type { Lead } from '../core/domain/lead.ts';
import { DomainError } from '../core/domain/errors.ts';
import { Executor, type RunResult } from './engine/executor.ts';
import { createAgent } from './engine/http.ts';
import { loadNodeRegistry } from './engine/registry.ts';
import { describeIssues, validateFlow } from '../core/flow/validate.ts';
import { parseLeadInput } from './services/lead-input.ts';
import { previewLeadUpdate } from './services/runs.ts';
import { readConfig } from './config.ts';
import { generateSecretKey, KEY_FILE, loadSecretKey, parseSecretKey, rotateSecretKey, secretKeyOf } from './store/secret-box.ts';

const USAGE = `usage:
  leadflow validate <flow.json>
  leadflow run <flow.json> --lead <lead.json> [--integration <integration.json>] [--offer <offer.json>]
               [--set name=value]... [--secret name=value]... [--json]
  leadflow rotate-secret-key [--new-key <base64 or hex of 32 bytes>]   (with the runtime stopped)`;

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

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      lead: { type: 'string' },
      integration: { type: 'string' },
      offer: { type: 'string' },
      set: { type: 'string', multiple: true },
      secret: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'new-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, file] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === 'rotate-secret-key') return rotateCommand(values['new-key']);
  if (!file) throw new Error(`${command} needs a flow file\n${USAGE}`);
  const registry = await loadNodeRegistry();
  const checked = validateFlow(readJson(file, 'flow'), registry);

  if (command === 'validate') {
    if (checked.ok) {
      console.log(`${file}: valid (${checked.flow.event}, ${checked.flow.nodes.length} nodes)`);
      return 0;
    }
    console.error(`${file}: invalid\n${describeIssues(checked.issues)}`);
    return 1;
  }
  if (command !== 'run') throw new Error(`unknown command "${command}"\n${USAGE}`);
  if (!checked.ok) {
    console.error(`${file}: invalid\n${describeIssues(checked.issues)}`);
    return 1;
  }
  if (!values.lead) throw new Error('run needs --lead <lead.json>');
  const now = new Date().toISOString();
  const input = parseLeadInput(readJson(values.lead, 'lead'));
  const given = values.integration ? (readJson(values.integration, 'integration') as Partial<Integration>) : {};
  const integration: Integration = {
    id: given.id ?? 'cli',
    name: given.name ?? 'command line',
    enabled: true,
    settings: { ...given.settings, ...pairs(values.set, 'set') },
    secrets: { ...given.secrets, ...pairs(values.secret, 'secret') },
    allowedHosts: given.allowedHosts,
    offers: [],
    flows: {},
    postbackToken: '',
  };
  // a trial send, like a test run: a delivery key of its own, which no real delivery ever carries
  const delivery_key = `cli-test-${randomBytes(6).toString('hex')}`;
  const lead: Lead = { ...input, id: 0, integration: integration.id, stage: 'new', created_at: now, updated_at: now, delivery_key };
  const offer = values.offer
    ? (readJson(values.offer, 'offer') as Offer)
    : { id: input.offer, name: input.offer, parameters: {}, goals: [], products: [] };

  const agent = createAgent();
  try {
    const executor = new Executor({ registry, agent });
    const result = await executor.run(
      { flow: checked.flow, event: checked.flow.event, integration, lead, offer, trigger: lead, test: true },
      {
        leads: {
          // nothing is stored: say what the change would do to the lead given
          update: async (change) => previewLeadUpdate(lead, change),
        },
        postbacks: { send: async () => {} },
      },
    );
    console.log(values.json ? JSON.stringify(result.execution, null, 2) : formatTrace(result));
    return result.error ? 1 : 0;
  } finally {
    await agent.close();
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
