/**
 * Prepares a node's params for `execute`: defaults filled in, templates rendered per the
 * parameter's kind (see {@link ParamKind}).
 */
import type { NodeDescriptor, ParamSpec } from '../../core/node/contract.ts';
import { renderTemplate } from '../../core/template/template.ts';

/** Renders every string inside a JSON value as a template. */
export function renderJson(value: unknown, scope: Record<string, unknown>): unknown {
  if (typeof value === 'string') return renderTemplate(value, scope);
  if (Array.isArray(value)) return value.map((item) => renderJson(item, scope));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // own keys in Object.entries' order, without its array of pairs per object rendered
    for (const key in value) if (Object.hasOwn(value, key)) out[key] = renderJson((value as Record<string, unknown>)[key], scope);
    return out;
  }
  return value;
}

function renderParam(spec: ParamSpec, value: unknown, scope: Record<string, unknown>): unknown {
  switch (spec.kind) {
    case 'template':
    case 'secret':
      return typeof value === 'string' ? renderTemplate(value, scope) : value;
    case 'keyValue':
      return Array.isArray(value)
        ? value.map((row: { key: string; value: unknown }) => ({ key: row.key, value: renderJson(row.value, scope) }))
        : value;
    case 'json':
      return renderJson(value, scope);
    default:
      return value;
  }
}

/** Each node type's params as pairs, made once per type (they are its definition's): not once per step. */
const paramPairs = new WeakMap<NodeDescriptor['params'], [string, ParamSpec][]>();

function paramsOf(descriptor: NodeDescriptor): [string, ParamSpec][] {
  let pairs = paramPairs.get(descriptor.params);
  if (!pairs) paramPairs.set(descriptor.params, (pairs = Object.entries(descriptor.params)));
  return pairs;
}

/** The params a node's `execute` receives. */
export function renderParams(
  descriptor: NodeDescriptor,
  params: Record<string, unknown>,
  scope: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of paramsOf(descriptor)) {
    const value = params[name] === undefined ? spec.default : params[name];
    out[name] = value === undefined ? undefined : renderParam(spec, value, scope);
  }
  return out;
}
