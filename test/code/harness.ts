/**
 * Runs the Code node the way the engine does — params rendered against lead, offer, integration
 * and (for its signing keys) secrets — with the process's real sandbox.
 */
import { code } from '../../nodes/code.ts';
import type { NodeResult } from '../../core/node/contract.ts';
import type { CodeRunner } from '../../core/node/code-sandbox.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { hasher } from '../../runtime/engine/hash.ts';
import { renderParams } from '../../runtime/engine/params.ts';
import { sharedCodeRunner } from '../../runtime/engine/code-sandbox-pool.ts';
import { integration, offerFor, sampleLead, secrets } from '../nodes/context.ts';

export interface CodeRun {
  result: NodeResult;
  logs: string[];
}

/** Runs `script` in a Code node once. `params` are the node's other params (limits, keys). */
export async function runCode(
  script: string,
  options: { input?: unknown; lead?: Lead; params?: Record<string, unknown>; runner?: CodeRunner } = {},
): Promise<CodeRun> {
  const lead = options.lead ?? sampleLead();
  const offer = offerFor(lead);
  const input = 'input' in options ? options.input : lead;
  const scope = { lead, offer, integration, secrets, input, nodes: {}, trigger: lead, now: new Date() };
  const params = renderParams(code, { script, ...options.params }, scope);
  const logs: string[] = [];
  const unused = () => {
    throw new Error('the Code node must not use this');
  };
  const result = await code.execute({
    node: { id: 'code', type: 'code' },
    event: 'lead.new',
    params: params as never,
    input,
    lead,
    offer,
    integration,
    trigger: lead,
    signal: new AbortController().signal,
    http: { send: unused },
    hash: hasher,
    leads: { update: unused },
    postbacks: { send: unused },
    respond: unused,
    nextPage: unused,
    log: (line) => void logs.push(line),
    addSecret: unused,
    code: options.runner ?? sharedCodeRunner(),
  } as Parameters<typeof code.execute>[0]);
  return { result, logs };
}

/** A run that must work: its output. */
export async function outputOf(script: string, options: Parameters<typeof runCode>[1] = {}): Promise<unknown> {
  const { result } = await runCode(script, options);
  if (result.failure) throw new Error(`expected the script to work, it failed: ${result.failure.code}: ${result.failure.message}`);
  return result.output;
}
