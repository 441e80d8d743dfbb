/**
 * What a template gives before the flow runs, for the editor's live preview under each template
 * field: rendered by the same renderer as a run ({@link renderTemplate}), against a sample lead,
 * its offer and the integration's settings, or the reason it cannot be yet — a path that names
 * nothing, a filter that fails, a value only the run knows (`{{nodes.send.body.id}}`: known when
 * the run reaches Send order, or taken from the last test run when there was one). Secrets are
 * never known to the editor: they preview masked.
 */
import { TemplateError, parseTemplate, renderTemplate, stringify, type PathSegment, type TemplateExpression } from './template.ts';

/** The mask a secret previews as. */
export const SECRET_MASK = '••••••';

/** What a preview knows. */
export interface PreviewScope {
  /** The values known before a run: `lead`, `offer`, `integration`, `now`, and `trigger`, `batch` when there are samples of them. */
  known: Record<string, unknown>;
  /** Names of the secrets the node may read (they preview masked); undefined when the node cannot read secrets. */
  secrets?: readonly string[];
  /** Each earlier node's output in the last test run, by node id. */
  lastRun?: Readonly<Record<string, unknown>>;
  /** This node's input in the last test run, when it ran. */
  lastInput?: { value: unknown };
  /** The node whose output is this node's input (the nearest before it), if any. */
  inputFrom?: string;
  /** How the editor names a node ("Send order"), to say when a value becomes known. */
  titleOf(nodeId: string): string;
  /** Every field a root may have though the sample leaves it empty (`lead`: the lead type's fields). */
  fields?: Readonly<Record<string, readonly string[]>>;
}

/**
 * A preview: the value and how it is written (`text`), with notes (a value taken from the last
 * test run, an empty field), or the reason there is none yet. `runTime` marks a reason that only
 * a run removes (not the author's mistake).
 */
export type TemplatePreview =
  { ok: true; value: unknown; text: string; masked: boolean; notes: string[] } | { ok: false; reason: string; runTime: boolean };

type Lookup = { value: unknown; masked?: boolean; note?: string } | { reason: string; runTime?: boolean };

const RUN_ONLY: Record<string, string> = {
  item: 'the current item is known when For Each runs',
  batch: 'the batch is known when the status check runs',
  trigger: 'what starts the flow is known when it runs',
};

const written = (path: readonly PathSegment[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

/** The key among `keys` nearest to a mistyped one (one or two letters off), for "did you mean". */
function nearest(word: string, keys: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length];
  };
  let best: string | undefined;
  let bestDistance = 3;
  for (const key of keys) {
    const d = distance(word.toLowerCase(), key.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return best;
}

/** Follows `path` from `start` (which sits at `path[0..from]`), naming the first step that finds nothing. */
function follow(start: unknown, path: readonly PathSegment[], from: number, fields?: readonly string[], what?: string): Lookup {
  let current = start;
  for (let i = from; i < path.length; i++) {
    const segment = path[i];
    if (current === null || current === undefined) return { value: undefined };
    if (typeof current !== 'object' && typeof current !== 'string') {
      return { reason: `${written(path.slice(0, i))} is ${JSON.stringify(current)}, which has no “${segment}”` };
    }
    const holder = current as Record<string | number, unknown>;
    if (typeof current === 'object' && !Array.isArray(current) && !Object.hasOwn(holder, segment)) {
      // a field the root may have (the lead type's), only empty in this sample
      if (i === 1 && fields?.includes(String(segment))) return { value: undefined, note: `${written(path)} is empty for this ${what}` };
      const keys = Object.keys(holder).concat(i === 1 ? (fields ?? []) : []);
      const guess = typeof segment === 'string' ? nearest(segment, keys) : undefined;
      return {
        reason: `${written(path.slice(0, i))} has no “${segment}”${guess ? ` (did you mean ${guess}?)` : keys.length && keys.length <= 8 ? ` (it has ${keys.join(', ')})` : ''}`,
      };
    }
    current = holder[segment];
  }
  return { value: current };
}

function lookup(path: readonly PathSegment[], scope: PreviewScope): Lookup {
  const root = String(path[0]);
  if (root === 'secrets') {
    if (!scope.secrets) return { reason: 'this node cannot read secrets' };
    const name = path[1];
    if (name === undefined) return { reason: 'name a secret: {{secrets.NAME}}' };
    if (!scope.secrets.includes(String(name))) {
      const guess = nearest(String(name), scope.secrets);
      return {
        reason: `the test integration has no secret “${name}”${guess ? ` (did you mean ${guess}?)` : scope.secrets.length ? ` (it has ${scope.secrets.join(', ')})` : ''}`,
      };
    }
    return { value: SECRET_MASK, masked: true };
  }
  if (root === 'nodes') {
    const id = path[1];
    if (id === undefined) return { reason: 'name a node: {{nodes.ID.field}}' };
    if (scope.lastRun && Object.hasOwn(scope.lastRun, id)) {
      const found = follow(scope.lastRun[id], path, 2);
      return 'reason' in found ? found : { ...found, note: `${written(path)} is from the last test run` };
    }
    return { reason: `known when the run reaches ${scope.titleOf(String(id))}`, runTime: true };
  }
  if (root === 'input') {
    if (scope.lastInput) {
      const found = follow(scope.lastInput.value, path, 1);
      return 'reason' in found ? found : { ...found, note: 'input is from the last test run' };
    }
    return {
      reason: scope.inputFrom ? `known when the run reaches ${scope.titleOf(scope.inputFrom)}` : 'known when the run gets here',
      runTime: true,
    };
  }
  if (!Object.hasOwn(scope.known, root) || scope.known[root] === undefined) {
    return { reason: RUN_ONLY[root] ?? `${root} is known when the flow runs`, runTime: true };
  }
  const what = root === 'lead' ? 'sample lead' : root;
  return follow(scope.known[root], path, 1, scope.fields?.[root], what);
}

function pathsOf(expression: TemplateExpression): PathSegment[][] {
  const paths = expression.path ? [expression.path] : [];
  for (const filter of expression.filters) for (const arg of filter.args) if (typeof arg === 'object') paths.push(arg.path);
  return paths;
}

/**
 * Previews a template for a node (see {@link PreviewScope}).
 * @example previewTemplate('{{lead.phone | digits}}', scope) // { ok: true, value: '4915112345678', text: '4915112345678', … }
 */
export function previewTemplate(template: string, scope: PreviewScope): TemplatePreview {
  let parsed;
  try {
    parsed = parseTemplate(template);
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, reason: error.message, runTime: false };
    throw error;
  }
  const notes: string[] = [];
  let masked = false;
  const values: unknown[] = [];
  for (const part of parsed.parts) {
    if (typeof part === 'string') {
      values.push(part);
      continue;
    }
    // the scope this expression renders against: its paths checked first, secrets masked
    const local: Record<string, unknown> = { ...scope.known };
    let secret = false;
    for (const path of pathsOf(part)) {
      const found = lookup(path, scope);
      if ('reason' in found) return { ok: false, reason: found.reason, runTime: found.runTime === true };
      if (found.note && !notes.includes(found.note)) notes.push(found.note);
      if (found.masked) secret = true;
    }
    if (secret) {
      // whatever a filter makes of a secret is as secret as the secret
      masked = true;
      values.push(SECRET_MASK);
      continue;
    }
    local.nodes = scope.lastRun ?? {};
    if (scope.lastInput) local.input = scope.lastInput.value;
    try {
      values.push(renderTemplate(`{{${part.source}}}`, local));
    } catch (error) {
      const filter = part.filters.length ? ` (a filter of {{${part.source}}} failed)` : '';
      return { ok: false, reason: `${(error as Error).message}${filter}`, runTime: false };
    }
  }
  const value = parsed.single ? values[0] : values.map(stringify).join('');
  const text = value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : stringify(value);
  return { ok: true, value, text, masked, notes };
}

/** A JSON param's preview: the value with every template string previewed, and what could not be. */
export interface JsonPreview {
  value: unknown;
  masked: boolean;
  notes: string[];
  /** Strings that could not be previewed, by where they sit (`customer.phone`), with the reason. */
  pending: { field: string; reason: string; runTime: boolean }[];
}

/**
 * Previews every template string inside a JSON param (JSON Build's body) the way the run renders
 * it; a string that cannot be previewed stays as written and is listed in `pending`.
 */
export function previewJson(value: unknown, scope: PreviewScope): JsonPreview {
  const out: JsonPreview = { value: undefined, masked: false, notes: [], pending: [] };
  const walk = (item: unknown, field: string): unknown => {
    if (typeof item === 'string') {
      if (!item.includes('{{')) return item;
      const preview = previewTemplate(item, scope);
      if (!preview.ok) {
        out.pending.push({ field: field || '(body)', reason: preview.reason, runTime: preview.runTime });
        return item;
      }
      out.masked ||= preview.masked;
      for (const note of preview.notes) if (!out.notes.includes(note)) out.notes.push(note);
      return preview.value;
    }
    if (Array.isArray(item)) return item.map((x, i) => walk(x, `${field}[${i}]`));
    if (item !== null && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([key, x]) => [key, walk(x, field ? `${field}.${key}` : key)]));
    }
    return item;
  };
  out.value = walk(value, '');
  return out;
}
