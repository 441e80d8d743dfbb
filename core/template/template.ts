/**
 * The template syntax of node parameters. Small on purpose: paths and a few filters; anything
 * more belongs in a Code node.
 *
 * - `{{lead.phone}}`, `{{offer.params.crm_offer_id}}`, `{{nodes.http.body.items[0].id}}`: a path into the scope.
 *   Roots: `lead`, `offer`, `integration`, `secrets`, `input`, `nodes`, `trigger`, `batch`, `item`, `now`.
 * - `{{lead.delivery_key}}`: in a lead event's flow, the idempotency key of this send (`<store id>-<lead id>-<event>`),
 *   the same on every retry and after a restart, another for another lead, event or data folder; send it where the
 *   target takes one (an order id field, an `Idempotency-Key` header). A test run gets a fresh one each time.
 * - `{{lead.phone | digits}}`, `{{now | date:"Y-m-d H:i:s"}}`, `{{lead.sub1 | default:"none"}}`: filters, left to right.
 * - A template that is one expression and nothing else keeps the value's type (`"{{lead.goods}}"` is the array);
 *   any other template is a string, objects written as JSON, missing values as nothing.
 *
 * - A filter's argument is a quoted text, a number, or a path: `{{batch.page | gte:input.body.totalPages}}`.
 *
 * Filters (filters.ts): `digits`, `upper`, `lower`, `trim`, `urlencode` (PHP's), `json`, `default:"x"`,
 * `date:"Y-m-d H:i:s"` (PHP's format, optional time zone: `date:"H:i","Europe/Berlin"`), `join:","`, `number`;
 * arithmetic and comparison `add`, `sub`, `mul`, `div`, `eq`, `ne`, `gt`, `gte`, `lt`, `lte`; value helpers
 * `split`, `first_name`, `last_name`, `replace`, `slice`, `uuid`, `random`, `e164`, `md5`, `sha1`, `sha256`.
 */
import { FILTERS, stringify } from './filters.ts';

export { FILTERS, stringify };

export const TEMPLATE_ROOTS = ['lead', 'offer', 'integration', 'secrets', 'input', 'nodes', 'trigger', 'batch', 'item', 'now'] as const;

export type PathSegment = string | number;

/** A filter's argument: a literal, or a path into the scope (`gte:input.body.totalPages`). */
export type FilterArg = string | number | { path: PathSegment[] };

export interface FilterCall {
  name: string;
  args: FilterArg[];
}

export interface TemplateExpression {
  /** The path, or undefined when the expression starts with a literal. */
  path?: PathSegment[];
  literal?: string | number;
  filters: FilterCall[];
  /** The expression's text, between the braces. */
  source: string;
}

export interface ParsedTemplate {
  parts: (string | TemplateExpression)[];
  /** True when the template is one expression, so it renders to the value's own type. */
  single: boolean;
}

/** A template that cannot be parsed, or names an unknown root or filter. `offset` is into the template text. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const IDENT = /[A-Za-z0-9_$-]/;

function parseExpression(source: string, base: number): TemplateExpression {
  let i = 0;
  const fail = (message: string): never => {
    throw new TemplateError(`${message} in {{${source}}}`, base + i);
  };
  const spaces = () => {
    while (i < source.length && /\s/.test(source[i])) i++;
  };
  const quoted = (): string => {
    const quote = source[i++];
    let value = '';
    while (i < source.length && source[i] !== quote) {
      if (source[i] === '\\' && i + 1 < source.length) i++;
      value += source[i++];
    }
    if (i >= source.length) fail('unclosed quote');
    i++;
    return value;
  };
  const word = (): string => {
    const start = i;
    while (i < source.length && IDENT.test(source[i])) i++;
    return source.slice(start, i);
  };
  const literal = (): string | number | undefined => {
    if (source[i] === '"' || source[i] === "'") return quoted();
    const match = /^-?\d+(\.\d+)?/.exec(source.slice(i));
    if (match) {
      i += match[0].length;
      return Number(match[0]);
    }
    return undefined;
  };

  const pathAt = (): PathSegment[] => {
    const path: PathSegment[] = [];
    const root = word();
    if (!root) fail('expected a path such as lead.phone');
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(root)) {
      fail(`unknown root "${root}" (use one of ${TEMPLATE_ROOTS.join(', ')})`);
    }
    path.push(root);
    while (i < source.length) {
      if (source[i] === '.') {
        i++;
        const segment = word();
        if (!segment) fail('expected a name after "."');
        path.push(/^\d+$/.test(segment) ? Number(segment) : segment);
      } else if (source[i] === '[') {
        i++;
        spaces();
        const key = source[i] === '"' || source[i] === "'" ? quoted() : word();
        spaces();
        if (source[i] !== ']' || key === '') fail('expected ] after an index');
        i++;
        path.push(/^\d+$/.test(key) ? Number(key) : key);
      } else break;
    }
    return path;
  };
  /** A filter argument: a literal, or a path when it starts with a root (`input.body.total`). */
  const argument = (): FilterArg | undefined => {
    const value = literal();
    if (value !== undefined) return value;
    const start = i;
    const root = word();
    i = start;
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(root)) return undefined;
    return { path: pathAt() };
  };

  spaces();
  const expression: TemplateExpression = { filters: [], source: source.trim() };
  const head = literal();
  if (head !== undefined) {
    expression.literal = head;
  } else {
    const path = pathAt();
    expression.path = path;
  }
  spaces();
  while (i < source.length) {
    if (source[i] !== '|') fail(`unexpected "${source[i]}"`);
    i++;
    spaces();
    const name = word();
    if (!Object.hasOwn(FILTERS, name)) fail(`unknown filter "${name}" (filters: ${Object.keys(FILTERS).join(', ')})`);
    const call: FilterCall = { name, args: [] };
    spaces();
    if (source[i] === ':') {
      do {
        i++;
        spaces();
        const arg = argument();
        if (arg === undefined) fail(`filter "${name}" expects a quoted argument, a number or a path`);
        call.args.push(arg as FilterArg);
        spaces();
      } while (source[i] === ',');
    }
    expression.filters.push(call);
    spaces();
  }
  return expression;
}

const cache = new Map<string, ParsedTemplate>();

/**
 * Parses a template, with a cache: flows render the same templates for every lead.
 * @throws TemplateError naming the problem and where it is.
 */
export function parseTemplate(template: string): ParsedTemplate {
  const cached = cache.get(template);
  if (cached) return cached;
  const parts: (string | TemplateExpression)[] = [];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{{', at);
    if (open < 0) {
      parts.push(template.slice(at));
      break;
    }
    if (open > at) parts.push(template.slice(at, open));
    const close = template.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('"{{" without "}}"', open);
    parts.push(parseExpression(template.slice(open + 2, close), open + 2));
    at = close + 2;
  }
  const expressions = parts.filter((p) => typeof p !== 'string');
  const single = expressions.length === 1 && parts.every((p) => typeof p !== 'string' || p.trim() === '');
  const parsed = { parts: single ? expressions : parts, single };
  if (cache.size > 5000) cache.clear();
  cache.set(template, parsed);
  return parsed;
}

/** True when the text holds at least one `{{…}}`. */
export function isTemplate(value: string): boolean {
  return value.includes('{{');
}

/**
 * Parses a bare path relative to some value (`body.items[0].id`), as Extract's fields are written.
 * @throws TemplateError when it is not a path.
 */
export function parsePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const re = /\s*(?:\.?([A-Za-z0-9_$-]+)|\[\s*(?:"([^"]*)"|'([^']*)'|(\d+))\s*\])/y;
  let at = 0;
  const source = text.trim();
  while (at < source.length) {
    re.lastIndex = at;
    const match = re.exec(source);
    if (!match || (at > 0 && source[at] !== '.' && source[at] !== '[') || (at === 0 && source[0] === '.')) {
      throw new TemplateError(`not a path: "${text}" (write it like body.items[0].id)`, at);
    }
    const key = match[1] ?? match[2] ?? match[3] ?? match[4];
    segments.push(/^\d+$/.test(key) ? Number(key) : key);
    at = re.lastIndex;
  }
  return segments;
}

/** Follows a path into a value; missing steps give undefined. */
export function resolvePath(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || current === undefined) return undefined;
    if (typeof current !== 'object' && typeof current !== 'string') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function evaluate(expression: TemplateExpression, scope: Record<string, unknown>): unknown {
  let value = expression.path ? resolvePath(scope, expression.path) : expression.literal;
  for (const filter of expression.filters) {
    const args = filter.args.map((arg) => (typeof arg === 'object' ? resolvePath(scope, arg.path) : arg));
    value = FILTERS[filter.name].run(value, args, scope);
  }
  return value;
}

/**
 * Renders a template against a scope.
 * @example renderTemplate('+{{lead.phone | digits}}', { lead: { phone: '8 (900) 1' } }) // "+89001"
 */
export function renderTemplate(template: string, scope: Record<string, unknown>): unknown {
  if (!isTemplate(template)) return template;
  const parsed = parseTemplate(template);
  if (parsed.single) return evaluate(parsed.parts[0] as TemplateExpression, scope);
  let out = '';
  for (const part of parsed.parts) out += typeof part === 'string' ? part : stringify(evaluate(part, scope));
  return out;
}

/** Every path a template names, for validation and the editor's completion. */
export function templatePaths(template: string): PathSegment[][] {
  if (!isTemplate(template)) return [];
  const paths: PathSegment[][] = [];
  for (const part of parseTemplate(template).parts) {
    if (typeof part === 'string') continue;
    if (part.path) paths.push(part.path);
    for (const filter of part.filters) for (const arg of filter.args) if (typeof arg === 'object') paths.push(arg.path);
  }
  return paths;
}
