/**
 * The code sandbox's contract: what a Code node's script is given, the limits it runs under, and
 * how a run ends. The runtime implements {@link CodeRunner} with QuickJS in worker threads
 * (`runtime/engine/code-sandbox*.ts`); the editor reads the limits and the script's wrapping for
 * its syntax check.
 */
import type { Lead } from '../domain/lead.ts';
import type { OfferView } from './contract.ts';

/** The limits a Code node's script runs under; each is a param of the node. */
export interface CodeLimits {
  /** Heap of the script's QuickJS runtime, in MB. */
  memoryMb: number;
  /** Wall-clock deadline of the whole run (compile unless compiled ahead, run, every promise job), in ms. */
  timeoutMs: number;
  /** QuickJS stack, in KB: bounds recursion. */
  stackKb: number;
  /** The result as JSON text, in KB (UTF-8). */
  outputKb: number;
}

/** Safe defaults: 32 MB, 1 s, 256 KB of stack, 1 MB of JSON out. */
export const CODE_LIMITS: Readonly<CodeLimits> = { memoryMb: 32, timeoutMs: 1000, stackKb: 256, outputKb: 1024 };

/** Each limit a run can hit, named in the node's error (`code_limit: memory`), with the param that sets it. */
export const CODE_LIMIT_PARAMS = { memory: 'memoryMb', time: 'timeoutMs', stack: 'stackKb', output: 'outputKb' } as const;
export type CodeLimitName = keyof typeof CODE_LIMIT_PARAMS;

/**
 * What a script sees besides `helpers`: the node's input, the lead, the offer (parameters resolved
 * for the lead's country) and the integration's settings. Never secrets.
 */
export interface CodeGlobals {
  input: unknown;
  lead?: Lead;
  offer?: OfferView;
  settings: Record<string, string>;
}

/**
 * Why a run failed:
 * - `syntax`: the script does not compile;
 * - `exception`: it threw (or its promise rejected);
 * - `limit`: it hit one of its {@link CodeLimits} (`limit` says which);
 * - `result`: it returned something that is not JSON, or its promise never settles;
 * - `sandbox`: the sandbox itself failed (a bug, not the script's fault).
 * `line` and `column` are 1-based, in the script as written.
 */
export interface CodeError {
  kind: 'syntax' | 'exception' | 'limit' | 'result' | 'sandbox';
  limit?: CodeLimitName;
  message: string;
  line?: number;
  column?: number;
}

/** A finished run: the JSON value the script returned, or why it failed; `logs` either way. */
export type CodeOutcome =
  { ok: true; value: unknown; logs: string[]; durationMs: number } | { ok: false; error: CodeError; logs: string[]; durationMs: number };

/**
 * Runs Code node scripts in a sandbox (QuickJS): isolated runs — nothing of one run reaches
 * another (a fresh interpreter per run, or one where nothing shared can change: the runtime's warm
 * stages) —, nothing reachable but the globals given and the helpers. Never rejects for what a
 * script does.
 */
export interface CodeRunner {
  /**
   * `keys`: signing keys by name, never given to the script — `helpers.key(name)` is a placeholder
   * only the hash helpers replace with the key. `owner`: whose script it is (the integration's id,
   * given by the runtime, not by the node), so one owner's slow scripts hold at most its share of
   * the sandbox and the others' still run.
   */
  run(script: string, globals: CodeGlobals, limits: CodeLimits, keys?: Record<string, string>, owner?: string): Promise<CodeOutcome>;
}

/** The names a script's body is given, in order: `input`, `lead`, `offer`, `integration`, `helpers`. */
export const CODE_PARAMS = ['input', 'lead', 'offer', 'integration', 'helpers'] as const;

/**
 * The program a Code node's script becomes: the body of an async function of {@link CODE_PARAMS}.
 * The script starts on the second line, at column 1, so a position in the program is the same
 * position in the script one line down.
 */
export function wrapCodeScript(script: string): string {
  return `(async function (${CODE_PARAMS.join(', ')}) {\n${script}\n})`;
}

/** Lines before the script in {@link wrapCodeScript}'s program. */
export const CODE_SCRIPT_LINE_OFFSET = 1;
