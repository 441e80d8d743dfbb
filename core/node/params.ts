/**
 * Parameter builders: a node declares its params with `param.text(…)`, `param.select([…], …)` and
 * the like, and `defineNode` reads the type of every value `execute` receives off the declaration,
 * so no node writes an interface of its params by hand. Each builder returns a plain
 * {@link ParamSpec} (what `GET /api/nodes` sends the editor); the value's type rides along only in
 * the type system.
 *
 * @example
 * const params = {
 *   method: param.select(['GET', 'POST'] as const, { label: 'Method', help: '…', default: 'POST' }),
 *   url: param.template({ label: 'URL', help: '…', required: true }),
 *   timeoutMs: param.number({ label: 'Timeout (ms)', help: '…', default: 10000, min: 1 }),
 * };
 * type P = ParamValues<typeof params>; // { method: 'GET' | 'POST'; url: unknown; timeoutMs: number }
 */
import type { Stage } from '../domain/lead.ts';

/**
 * How a parameter is edited and how the engine prepares it before `execute`:
 * - `text`, `select`, `number`, `boolean`, `code`: given to the node as written;
 * - `template`: rendered (`{{lead.phone | digits}}`); a template that is one expression keeps the value's type;
 * - `secret`: a template that may name `{{secrets.x}}`; the form never shows a stored secret;
 * - `keyValue`: rows of `{ key, value }`, each value rendered as a template;
 * - `json`: any JSON value whose strings are rendered as templates;
 * - `statusTable`: rows of `{ match, value, stage }` for Map Status.
 */
export type ParamKind = 'text' | 'template' | 'secret' | 'select' | 'number' | 'boolean' | 'keyValue' | 'json' | 'code' | 'statusTable';

/** One parameter of a node, as the editor draws it and the validator checks it. Nodes build it with {@link param}. */
export interface ParamSpec {
  kind: ParamKind;
  label?: string;
  help?: string;
  /** Used when the flow leaves the parameter out. */
  default?: unknown;
  /** A required parameter must be present and not empty. */
  required?: boolean;
  /** The choices of a `select`. */
  options?: readonly string[];
  /** Show (and validate) the parameter only when other parameters have these values. */
  showIf?: Record<string, string | readonly string[]>;
  /** Bounds of a `number`. */
  min?: number;
  max?: number;
  /** Placeholder text in the form. */
  placeholder?: string;
  /** A `text` with a syntax of its own, checked on save: `schedule` (an interval such as 10m, or cron). */
  format?: 'schedule';
}

/** One row of a `keyValue` parameter. */
export interface KeyValue {
  key: string;
  value: unknown;
}

/** How Map Status compares a raw value: the whole value, one of a comma list, or a regular expression. */
export type StatusMatch = 'exact' | 'list' | 'pattern';

/** One row of a `statusTable` parameter. */
export interface StatusRule {
  match: StatusMatch;
  value: string;
  stage: Stage;
}

declare const VALUE: unique symbol;

/** A {@link ParamSpec} that knows, in the type system only, the type of the value `execute` gets. */
export type Param<T> = ParamSpec & { readonly [VALUE]?: T };

/** What every builder takes: the spec without its kind, the default typed as the value. */
export interface ParamOptions<T> {
  label?: string;
  help?: string;
  /** Used when the flow leaves the parameter out; `execute` then always gets a value. */
  default?: T;
  /** A required parameter must be present and not empty (where shown). */
  required?: boolean;
  showIf?: Record<string, string | readonly string[]>;
  placeholder?: string;
}

export interface NumberOptions extends ParamOptions<number> {
  min?: number;
  max?: number;
}

export interface TextOptions extends ParamOptions<string> {
  /** A syntax of its own, checked on save: `schedule` (an interval such as 10m, or cron). */
  format?: 'schedule';
}

/** Whether a declaration's options give a default (a `default` that cannot be undefined). */
type HasDefault<O> = O extends { default?: infer D } ? (undefined extends D ? false : true) : false;

/**
 * Whether `execute` always gets a value: with a default, or when required and always shown (a
 * parameter hidden by `showIf` is not checked, so it may be missing).
 */
type Given<T, O> =
  HasDefault<O> extends true ? T : O extends { required: true } ? (O extends { showIf: object } ? T | undefined : T) : T | undefined;

/** The value type a param declaration carries. */
export type ParamValue<S> = S extends Param<infer T> ? T : unknown;

/** The params `execute` receives for a declaration: defaults filled in, templates rendered. */
export type ParamValues<S extends Record<string, ParamSpec>> = { [K in keyof S]: ParamValue<S[K]> };

function spec<T>(kind: ParamKind, options: object): Param<T> {
  return { kind, ...options } as Param<T>;
}

/**
 * The builders, one per {@link ParamKind}. A template (and a secret, a template that may name
 * `{{secrets.x}}`) renders to `unknown`: one that is a single expression keeps its value's type,
 * so the node coerces it. JSON renders every string inside it, so it is `unknown` too.
 */
export const param = {
  /** Text given to the node as written. */
  text: <O extends TextOptions>(options: O): Param<Given<string, O>> => spec('text', options),
  /** A template rendered against the run (`{{lead.phone | digits}}`). */
  template: <O extends ParamOptions<string>>(options: O): Param<Given<unknown, O>> => spec('template', options),
  /** A template that may name `{{secrets.x}}`; the form never shows a stored secret. */
  secret: <O extends ParamOptions<string>>(options: O): Param<Given<unknown, O>> => spec('secret', options),
  /** One of `options`; the value's type is their union. */
  select: <const T extends readonly string[], O extends ParamOptions<T[number]> = ParamOptions<T[number]>>(
    options: T,
    rest: O,
  ): Param<Given<T[number], O>> => spec('select', { ...rest, options }),
  number: <O extends NumberOptions>(options: O): Param<Given<number, O>> => spec('number', options),
  boolean: <O extends ParamOptions<boolean>>(options: O): Param<Given<boolean, O>> => spec('boolean', options),
  /** Rows of `{ key, value }`, each value rendered as a template. */
  keyValue: <O extends ParamOptions<KeyValue[]>>(options: O): Param<Given<KeyValue[], O>> => spec('keyValue', options),
  /** Any JSON value whose strings are rendered as templates. */
  json: <O extends ParamOptions<unknown>>(options: O): Param<Given<unknown, O>> => spec('json', options),
  /** A Code node's script, given as written. */
  code: <O extends ParamOptions<string>>(options: O): Param<Given<string, O>> => spec('code', options),
  /** Rows of `{ match, value, stage }` for Map Status. */
  statusTable: <O extends ParamOptions<StatusRule[]>>(options: O): Param<Given<StatusRule[], O>> => spec('statusTable', options),
};

/** The params as written in the flow with the declared defaults filled in, nothing rendered. */
export function withDefaults(specs: Record<string, ParamSpec>, params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = params[name] === undefined ? spec.default : params[name];
  return out;
}

/**
 * Whether a parameter applies given the others' values (its `showIf`, defaults counted): the form
 * shows only these, and only these are validated.
 */
export function isParamShown(spec: ParamSpec, params: Record<string, unknown>, all: Record<string, ParamSpec>): boolean {
  if (!spec.showIf) return true;
  return Object.entries(spec.showIf).every(([name, wanted]) => {
    const value = params[name] ?? all[name]?.default;
    return Array.isArray(wanted) ? wanted.includes(value as string) : value === wanted;
  });
}
