import { stringify } from '../core/template/template.ts';
import { defineNode } from '../core/node/contract.ts';
import { param, type ParamValues } from '../core/node/params.ts';

const WITH_RIGHT = ['equals', 'not_equals', 'contains', 'not_contains', 'matches', 'gt', 'lt'] as const;

/** Declared apart from the node so the helpers below can name the params' type. */
const conditionParams = {
  left: param.template({
    label: 'Value',
    help: 'What to check, e.g. {{input.body.result}} or {{lead.country}}.',
    placeholder: '{{input.body.result}}',
    required: true,
  }),
  operator: param.select(['equals', 'not_equals', 'contains', 'not_contains', 'matches', 'exists', 'empty', 'gt', 'lt'], {
    label: 'Check',
    help: 'equals / not_equals: same text. contains / not_contains: has the text inside. matches: a regular expression. exists / empty: whether there is a value. gt / lt: greater / less than, as numbers.',
    default: 'equals',
  }),
  right: param.template({
    label: 'Compare with',
    help: 'The text, number or pattern to compare with, e.g. ok.',
    showIf: { operator: WITH_RIGHT },
  }),
};

type ConditionParams = ParamValues<typeof conditionParams>;

/**
 * Condition: sends the input on to `true` or `false`, unchanged.
 *
 * Values compare as text without surrounding spaces (`equals`, `contains` — for a list, "contains"
 * means one of its items equals the value), as numbers (`gt`, `lt`; not a number → false), or by a
 * regular expression ignoring letter case (`matches`). `exists`: the value is there (not missing or
 * null); `empty`: missing, null, blank text or an empty list.
 *
 * Ports: `in`; `true`, `false` → the input.
 */
export const condition = defineNode({
  type: 'condition',
  version: 1,
  title: 'Condition',
  category: 'read answer',
  description: 'Chooses the next step by comparing a value: equal, contains, matches a pattern, is empty, greater or less than.',
  inputs: ['in'],
  outputs: ['true', 'false'],
  params: conditionParams,
  execute({ params, input }) {
    return { port: test(params) ? 'true' : 'false', output: input };
  },
});

function test({ left, operator, right }: ConditionParams): boolean {
  const a = stringify(left).trim();
  const b = stringify(right).trim();
  switch (operator) {
    case 'equals':
      return a === b;
    case 'not_equals':
      return a !== b;
    case 'contains':
      return contains(left, a, b);
    case 'not_contains':
      return !contains(left, a, b);
    case 'matches':
      try {
        return new RegExp(b, 'i').test(a);
      } catch (error) {
        throw new Error(`Condition: "${b}" is not a valid regular expression: ${(error as Error).message}`, { cause: error });
      }
    case 'exists':
      return left !== undefined && left !== null;
    case 'empty':
      return left === undefined || left === null || a === '' || (Array.isArray(left) && left.length === 0);
    case 'gt':
    case 'lt': {
      const x = toNumber(a);
      const y = toNumber(b);
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      return operator === 'gt' ? x > y : x < y;
    }
    default:
      throw new Error(`Condition: unknown check "${String(operator)}"`);
  }
}

function contains(left: unknown, a: string, b: string): boolean {
  if (Array.isArray(left)) return left.some((item) => stringify(item).trim() === b);
  return a.includes(b);
}

function toNumber(text: string): number {
  return text === '' ? NaN : Number(text.replace(',', '.'));
}
