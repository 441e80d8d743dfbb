import { stringify } from '../core/template/template.ts';
import { defineNode, type StatusRule } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { isStage, STAGES } from '../core/domain/lead.ts';
import { isObject } from '../core/node/values.ts';
import { compileStatusPattern } from '../core/node/status-pattern.ts';

/**
 * Map Status: turns the target's raw status into our stage. Rows are tried top to bottom; the
 * first that matches wins. `exact`: the whole value; `list`: any of a comma list; `pattern`: a
 * regular expression with RE2 semantics (re2js: linear time in the status's length, so a pattern
 * like `(a+)+$` cannot stall a run; backreferences and lookaround are refused when the flow is
 * saved). All compare without regard to letter case; rows with an empty value are
 * skipped.
 *
 * The target's own status is kept beside the stage: `status` is the raw value as text, and
 * `statusCode` the target's status code when the Status code param names one (AlterCPA's numeric
 * `status` beside its `stage` text, a CRM's `status_id` beside its `status_name`), so neither is lost.
 *
 * Ports:
 * - `out` → `{ ...input, stage, status, statusCode? }`;
 * - `unknown` (no row matched and no default) → the same with `stage` undefined, failure
 *   `unknown_status` (not retryable).
 */
export const mapStatus = defineNode({
  type: 'map-status',
  version: 1,
  title: 'Map Status',
  category: 'read answer',
  description: 'Translates the target\'s status (e.g. "confirmed", "rejected") into our stage: wait, hold, approve, cancel, trash.',
  inputs: ['in'],
  outputs: ['out', 'unknown'],
  params: {
    value: param.template({
      label: 'Target status',
      help: "Where the target's status is. {{input.status}} fits after Extract with a field named status.",
      default: '{{input.status}}',
    }),
    code: param.template({
      label: 'Target status code',
      help: "Where the target's status code is, when it sends one beside the status text, e.g. {{input.status_id}}. Kept on the lead beside the stage (Update Lead's Status code). Empty: none.",
      default: '',
    }),
    rules: param.statusTable({
      label: 'Rules',
      help: 'Checked from the top; the first match decides. exact: the whole status, e.g. approved. list: any of several, e.g. new,processing,call. pattern: a regular expression, e.g. ^reject. Letter case does not matter.',
      default: [
        { match: 'list', value: 'new,processing,pending,wait', stage: 'wait' },
        { match: 'list', value: 'hold,delayed', stage: 'hold' },
        { match: 'list', value: 'approved,confirmed,accepted,success', stage: 'approve' },
        { match: 'list', value: 'cancel,cancelled,canceled,rejected,declined', stage: 'cancel' },
        { match: 'list', value: 'trash,spam,invalid,duplicate', stage: 'trash' },
      ],
    }),
    default: param.select(['', ...STAGES], {
      label: 'Otherwise',
      help: 'The stage for a status no rule knows. Empty: take the "unknown" exit, so you notice a new status.',
      default: '',
    }),
  },
  execute({ params, input }) {
    const raw = params.value;
    const status = stringify(raw);
    const rule = (params.rules ?? []).find((row) => matches(row, status));
    const stage = rule?.stage ?? (params.default || undefined);
    if (stage !== undefined && !isStage(stage)) {
      throw new Error(`Map Status: "${stage}" is not a stage (use one of ${STAGES.join(', ')})`);
    }
    const code = stringify(params.code).trim();
    const output = { ...(isObject(input) ? input : {}), stage, status, ...(code !== '' ? { statusCode: code } : {}) };
    if (stage !== undefined) return { output };
    return {
      port: 'unknown',
      output,
      failure: { code: 'unknown_status', message: `no rule for status "${status}"`, retryable: false },
    };
  },
});

function matches(rule: StatusRule, status: string): boolean {
  const expected = String(rule.value ?? '').trim();
  if (expected === '') return false;
  const actual = status.trim().toLowerCase();
  switch (rule.match) {
    case 'exact':
      return actual === expected.toLowerCase();
    case 'list':
      return expected.split(',').some((item) => item.trim() !== '' && item.trim().toLowerCase() === actual);
    case 'pattern':
      try {
        return compileStatusPattern(expected).test(status);
      } catch (error) {
        throw new Error(`Map Status: the pattern "${expected}" is not a valid regular expression: ${(error as Error).message}`, {
          cause: error,
        });
      }
    default:
      throw new Error(`Map Status: unknown match "${String(rule.match)}" (use exact, list or pattern)`);
  }
}
