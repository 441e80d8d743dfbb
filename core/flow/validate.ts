/**
 * Flow validation: the document brought up to date (`migrateFlow`), the flow format's schema
 * (declared in `core/domain/flow.ts`), then the graph and every node's params against its
 * descriptor. Every problem names the node and the field. Browser-safe, so the editor can show
 * the same problems on the canvas.
 */
import type { ErrorObject } from 'ajv';
import { parse as parseScript } from 'acorn';
import { compileStatusPattern } from '../node/status-pattern.ts';
import type { NodeDescriptor } from '../node/contract.ts';
import { CODE_SCRIPT_LINE_OFFSET, wrapCodeScript } from '../node/code-sandbox.ts';
import { TemplateError, isTemplate, parseTemplate, templatePaths } from '../template/template.ts';
import { isStage } from '../domain/lead.ts';
import { parseSchedule } from '../node/schedule.ts';
import { isParamShown } from '../node/params.ts';
import type { FlowDoc, FlowInput, FlowNode } from '../domain/flow.ts';
import { validate as validateSchema } from './flow-schema-check.js';
import { migrateFlow, type DescriptorLookup, type FlowIssue } from './format.ts';
import { errorExitProblems, urlProblem } from './before-run.ts';
import { isDisabled } from './disabled.ts';

export type { DescriptorLookup, FlowIssue } from './format.ts';

/**
 * The verdict on a flow. `issues` keep it from being saved; `warnings` do not (an error exit left
 * unconnected, see before-run.ts) but are shown beside them. Both have the same shape.
 */
export type FlowValidation =
  { ok: true; flow: FlowDoc; warnings?: FlowIssue[] } | { ok: false; issues: FlowIssue[]; warnings?: FlowIssue[] };

/**
 * The most nodes and edges a flow may have. A real flow has tens; the limits keep a document
 * that is mostly graph (a chain of thousands of nodes) from costing a save more than it is worth.
 */
export const FLOW_LIMITS = { nodes: 500, edges: 2000 } as const;

/** Limits a caller may set lower or higher than {@link FLOW_LIMITS} (tests of the graph checks). */
export interface FlowLimits {
  nodes: number;
  edges: number;
}

// compiled once by `npm run schema` (bin/flow-schema-files.ts): no code is generated at load time,
// so the editor runs under a Content-Security-Policy without 'unsafe-eval'
const checkSchema = validateSchema as ((data: unknown) => data is FlowInput) & { errors?: ErrorObject[] | null };

/** Formats issues as one line each: `node "http": params.url: is required`. */
export function describeIssues(issues: FlowIssue[]): string {
  return issues.map((i) => (i.nodeId ? `node "${i.nodeId}": ${i.field}: ${i.message}` : `${i.field}: ${i.message}`)).join('\n');
}

function schemaIssue(doc: unknown, error: ErrorObject): FlowIssue {
  const parts = error.instancePath.split('/').slice(1);
  const extra =
    error.keyword === 'required'
      ? [String(error.params.missingProperty)]
      : error.keyword === 'additionalProperties'
        ? [String(error.params.additionalProperty)]
        : [];
  const message =
    error.keyword === 'required'
      ? 'is required'
      : error.keyword === 'additionalProperties'
        ? 'is not a known field'
        : (error.message ?? 'is invalid');
  if (parts[0] === 'nodes' && parts.length >= 2) {
    const node = (doc as { nodes?: { id?: unknown }[] }).nodes?.[Number(parts[1])];
    const nodeId = typeof node?.id === 'string' ? node.id : `#${parts[1]}`;
    const field = [...parts.slice(2), ...extra].join('.') || '(node)';
    return { nodeId, field, message };
  }
  const field = parts.length
    ? `${parts[0]}${parts[1] !== undefined ? `[${parts[1]}]` : ''}${[...parts.slice(2), ...extra].map((p) => '.' + p).join('')}`
    : extra.join('.') || '(flow)';
  return { field, message };
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'string' && value.trim() === '') ||
    (Array.isArray(value) && value.length === 0)
  );
}

/**
 * Every template string inside a param value, with the sub-field it sits at, in document order.
 * Iterative: a deeply nested JSON param cannot exhaust the call stack.
 */
function templatesIn(root: unknown, rootField: string, out: { field: string; text: string }[]): void {
  const stack: { value: unknown; field: string }[] = [{ value: root, field: rootField }];
  while (stack.length) {
    const { value, field } = stack.pop() as { value: unknown; field: string };
    if (typeof value === 'string') {
      if (isTemplate(value) || value.includes('}}')) out.push({ field, text: value });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], field: `${field}[${i}]` });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], field: `${field}.${entries[i][0]}` });
    }
  }
}

function checkParams(node: FlowNode, descriptor: NodeDescriptor, nodeIds: Set<string>, issues: FlowIssue[]): void {
  const add = (field: string, message: string) => issues.push({ nodeId: node.id, field: `params.${field}`, message });
  for (const name of Object.keys(node.params)) {
    if (!Object.hasOwn(descriptor.params, name)) add(name, `is not a parameter of ${descriptor.title}`);
  }
  for (const [name, spec] of Object.entries(descriptor.params)) {
    if (!isParamShown(spec, node.params, descriptor.params)) continue;
    const value = node.params[name] ?? spec.default;
    if (isEmpty(value)) {
      if (spec.required) add(name, 'is required');
      continue;
    }
    switch (spec.kind) {
      case 'select':
        if (!spec.options?.includes(value as string)) add(name, `must be one of ${spec.options?.join(', ')}`);
        break;
      case 'number': {
        const n = value as number;
        if (typeof n !== 'number' || !Number.isFinite(n)) add(name, 'must be a number');
        else if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
          add(name, `must be between ${spec.min} and ${spec.max}`);
        break;
      }
      case 'boolean':
        if (typeof value !== 'boolean') add(name, 'must be true or false');
        break;
      case 'text':
      case 'code':
      case 'template':
      case 'secret':
        if (typeof value !== 'string' && spec.kind !== 'template') add(name, 'must be text');
        else if (spec.format === 'schedule') {
          try {
            parseSchedule(value as string);
          } catch (error) {
            add(name, (error as Error).message);
          }
        }
        break;
      case 'keyValue':
        if (!Array.isArray(value) || value.some((row) => typeof row !== 'object' || row === null || typeof row.key !== 'string')) {
          add(name, 'must be a list of { key, value } rows');
        }
        break;
      case 'statusTable':
        if (!Array.isArray(value)) {
          add(name, 'must be a list of { match, value, stage } rows');
          break;
        }
        value.forEach((row: { match?: unknown; value?: unknown; stage?: unknown }, i: number) => {
          if (!['exact', 'list', 'pattern'].includes(row?.match as string)) add(`${name}[${i}].match`, 'must be exact, list or pattern');
          if (typeof row?.value !== 'string') add(`${name}[${i}].value`, 'must be text');
          if (!isStage(row?.stage)) add(`${name}[${i}].stage`, 'must be a stage: new, wait, hold, approve, cancel or trash');
          if (row?.match === 'pattern' && typeof row.value === 'string') {
            // Map Status runs patterns with RE2 (linear time): what RE2 cannot compile, e.g. a
            // backreference or a lookahead, is refused here rather than failing every run
            try {
              compileStatusPattern(row.value);
            } catch (error) {
              add(
                `${name}[${i}].value`,
                `is not a valid pattern (RE2 syntax: no backreferences or lookaround): ${(error as Error).message}`,
              );
            }
          }
        });
        break;
      case 'json':
        break;
    }
    if (spec.kind === 'code' && typeof value === 'string') {
      const problem = checkScriptSyntax(value);
      if (problem) add(name, `line ${problem.line}, column ${problem.column}: ${problem.message}`);
    }
    if (spec.kind === 'text' || spec.kind === 'code' || spec.kind === 'select' || spec.kind === 'statusTable') continue;
    // a param named url is the address a node calls (HTTP Request, Auth Token)
    if (name === 'url' && spec.kind === 'template' && typeof value === 'string') {
      const problem = urlProblem(value);
      if (problem) add(name, problem);
    }
    const found: { field: string; text: string }[] = [];
    templatesIn(value, name, found);
    for (const { field, text } of found) {
      try {
        parseTemplate(text);
        for (const path of templatePaths(text)) {
          if (path[0] === 'secrets' && !descriptor.usesSecrets)
            add(
              field,
              `${descriptor.title} cannot read secrets; only the nodes that build requests (JSON Build, Form/Query Build, Sign, HTTP Request, Auth Token) and a Code node's signing keys can`,
            );
          if (path[0] === 'nodes' && path[1] !== undefined && !nodeIds.has(String(path[1])))
            add(field, `names node "${path[1]}", which is not in this flow`);
        }
      } catch (error) {
        if (error instanceof TemplateError) add(field, error.message);
        else throw error;
      }
    }
  }
}

/** A syntax error in a Code node's script: 1-based line and column in the script as written. */
export interface ScriptProblem {
  message: string;
  line: number;
  column: number;
}

/**
 * Checks a Code node's script the way the sandbox will compile it (the body of an async function,
 * see {@link wrapCodeScript}), with acorn: browser-safe, so the editor marks the same spot.
 * @example checkScriptSyntax('const a = ;') // { message: 'Unexpected token', line: 1, column: 11 }
 */
export function checkScriptSyntax(script: string): ScriptProblem | undefined {
  const program = wrapCodeScript(script);
  const lines = script.split('\n').length;
  const place = (line: number, column: number): { line: number; column: number } => {
    const inScript = line - CODE_SCRIPT_LINE_OFFSET;
    // past the script's end (a brace never closed): its last line
    return inScript > lines
      ? { line: lines, column: script.split('\n')[lines - 1].length + 1 }
      : { line: Math.max(inScript, 1), column: column + 1 };
  };
  try {
    const ast = parseScript(program, { ecmaVersion: 2024, sourceType: 'script', locations: true });
    const [statement] = ast.body;
    const fn = statement?.type === 'ExpressionStatement' ? statement.expression : undefined;
    // `}); (function () {` would close the function early and run outside it
    if (ast.body.length !== 1 || fn?.type !== 'FunctionExpression' || fn.end !== program.length - 1) {
      const end = fn?.loc?.end ?? statement?.loc?.end ?? { line: 1, column: 0 };
      return { message: 'a closing brace ends the script early', ...place(end.line, end.column - 1) };
    }
    return undefined;
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    if (!(error instanceof SyntaxError) || !loc) throw error;
    const message = error.message.replace(/ \(\d+:\d+\)$/, '');
    // acorn stumbles on the wrapper's closing `})` when the script leaves a bracket open
    const unclosed = loc.line - CODE_SCRIPT_LINE_OFFSET > lines;
    return {
      message: unclosed ? `the script ends before every {, ( and [ is closed (${message})` : message,
      ...place(loc.line, loc.column),
    };
  }
}

/**
 * Validates a flow document: brought to the current format and node versions first, then schema,
 * node types, one trigger that fits the event, edges between existing ports, no cycles, every
 * non-trigger node reachable, and every param against its node. The flow it answers is the
 * migrated one.
 */
export function validateFlow(input: unknown, nodes: DescriptorLookup, limits: FlowLimits = FLOW_LIMITS): FlowValidation {
  // counted before anything walks the document, so an oversized one is refused at once
  const counted = (input ?? {}) as { nodes?: unknown; edges?: unknown };
  const over: FlowIssue[] = [];
  if (Array.isArray(counted.nodes) && counted.nodes.length > limits.nodes) {
    over.push({ field: 'nodes', message: `the flow has ${counted.nodes.length} nodes; at most ${limits.nodes} are allowed` });
  }
  if (Array.isArray(counted.edges) && counted.edges.length > limits.edges) {
    over.push({ field: 'edges', message: `the flow has ${counted.edges.length} edges; at most ${limits.edges} are allowed` });
  }
  if (over.length) return { ok: false, issues: over };
  const migrated = migrateFlow(input, nodes);
  if (!migrated.ok) return migrated;
  const doc = migrated.doc;
  if (!checkSchema(doc)) {
    return { ok: false, issues: (checkSchema.errors ?? []).map((e) => schemaIssue(doc, e)) };
  }
  // a new flow has no version until the store numbers it
  const flow = doc as FlowDoc;
  const issues: FlowIssue[] = [];
  const byId = new Map<string, FlowNode>();
  for (const node of flow.nodes) {
    if (byId.has(node.id)) issues.push({ nodeId: node.id, field: 'id', message: 'is used by two nodes' });
    byId.set(node.id, node);
  }
  const triggers: FlowNode[] = [];
  const nodeIds = new Set(byId.keys());
  for (const node of flow.nodes) {
    const descriptor = nodes.get(node.type);
    if (!descriptor) {
      issues.push({ nodeId: node.id, field: 'type', message: `"${node.type}" is not a known node type` });
      continue;
    }
    if (descriptor.category === 'trigger') {
      triggers.push(node);
      if (isDisabled(node))
        issues.push({ nodeId: node.id, field: 'disabled', message: 'a trigger cannot be disabled: nothing would start the flow' });
      if (descriptor.events && !descriptor.events.includes(flow.event)) {
        issues.push({
          nodeId: node.id,
          field: 'type',
          message: `${descriptor.title} cannot start a ${flow.event} flow (it starts ${descriptor.events.join(', ')})`,
        });
      }
    }
    // a disabled node never runs, so its params are never used (core/flow/disabled.ts)
    if (!isDisabled(node)) checkParams(node, descriptor, nodeIds, issues);
  }
  if (triggers.length !== 1) {
    issues.push({
      field: 'nodes',
      message:
        triggers.length === 0
          ? 'the flow needs a trigger node (such as Lead In)'
          : `the flow has ${triggers.length} triggers; it needs exactly one`,
    });
  }
  const edgeIds = new Set<string>();
  const outgoing = new Map<string, string[]>();
  const hasInput = new Set<string>();
  const connected = new Set<string>();
  flow.edges.forEach((edge, i) => {
    const at = `edges[${i}]`;
    if (edgeIds.has(edge.id)) issues.push({ field: `${at}.id`, message: `"${edge.id}" is used by two edges` });
    edgeIds.add(edge.id);
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source) issues.push({ field: `${at}.source`, message: `no node "${edge.source}"` });
    if (!target) issues.push({ field: `${at}.target`, message: `no node "${edge.target}"` });
    if (!source || !target) return;
    const sourceDescriptor = nodes.get(source.type);
    const targetDescriptor = nodes.get(target.type);
    if (sourceDescriptor) {
      const ports = [...sourceDescriptor.outputs, ...(source.settings?.onError === 'error-port' ? ['error'] : [])];
      if (!ports.includes(edge.sourceHandle)) {
        issues.push({
          nodeId: source.id,
          field: `${at}.sourceHandle`,
          message: `"${edge.sourceHandle}" is not an output of ${sourceDescriptor.title} (outputs: ${ports.join(', ')})`,
        });
      }
    }
    if (targetDescriptor && !targetDescriptor.inputs.includes(edge.targetHandle)) {
      issues.push({
        nodeId: target.id,
        field: `${at}.targetHandle`,
        message: `"${edge.targetHandle}" is not an input of ${targetDescriptor.title}`,
      });
    }
    const targets = outgoing.get(edge.source);
    if (targets) targets.push(edge.target);
    else outgoing.set(edge.source, [edge.target]);
    hasInput.add(edge.target);
    connected.add(`${edge.source}\u0000${edge.sourceHandle}`);
  });
  const warnings: FlowIssue[] = [];
  for (const node of flow.nodes) {
    const descriptor = nodes.get(node.type);
    if (!descriptor) continue;
    const exits = errorExitProblems(node, descriptor, connected);
    issues.push(...exits.errors);
    warnings.push(...exits.warnings);
  }
  for (const node of flow.nodes) {
    const descriptor = nodes.get(node.type);
    if (descriptor && descriptor.inputs.length > 0 && !hasInput.has(node.id)) {
      issues.push({ nodeId: node.id, field: `inputs.${descriptor.inputs[0]}`, message: 'is not connected: nothing leads to this node' });
    }
  }
  // a cycle would run forever: reject it (For Each runs its branch per item without one)
  const cyclic = firstCycle(flow.nodes, outgoing);
  if (cyclic !== undefined) issues.push({ nodeId: cyclic, field: 'edges', message: 'is part of a cycle; flows run forward only' });
  return issues.length ? { ok: false, issues, warnings } : { ok: true, flow, warnings };
}

/**
 * The first node, in document order, from which a depth-first walk meets a cycle (the same node
 * the recursive walk named), or undefined. Iterative, with its own stack: a long chain cannot
 * exhaust the call stack.
 */
function firstCycle(nodes: readonly FlowNode[], outgoing: ReadonlyMap<string, readonly string[]>): string | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    state.set(start.id, 'visiting');
    // each frame: a node and how many of its targets have been walked
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const targets = outgoing.get(frame.id) ?? [];
      if (frame.next === targets.length) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      const target = targets[frame.next++];
      const seen = state.get(target);
      if (seen === 'visiting') return start.id;
      if (seen === undefined) {
        state.set(target, 'visiting');
        stack.push({ id: target, next: 0 });
      }
    }
  }
  return undefined;
}
