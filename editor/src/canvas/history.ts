/**
 * Undo and redo as a value: the states before (`past`) and after (`future`) the present one. Pure
 * functions, so the rules are tested without a browser; the flow document store keeps one of these.
 *
 * Edits with the same key closer together than {@link COALESCE_MS} are one step (typing in one
 * field); an edit without a key is always a step of its own.
 *
 * @example
 * let h = startHistory(doc);
 * h = record(h, renamed, { now: Date.now() });
 * h = undo(h); // h.present === doc
 */

/** Steps kept; the oldest go first. */
export const HISTORY_LIMIT = 200;
/** Edits of the same key closer together than this are one undo step. */
export const COALESCE_MS = 1200;

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** The key and time of the last recorded edit, to merge a run of edits into one step. */
  last: { key?: string; at: number };
}

export function startHistory<T>(present: T): History<T> {
  return { past: [], present, future: [], last: { at: 0 } };
}

/**
 * Makes `next` the present. The present so far becomes an undo step, unless this edit continues the
 * last one (same key, soon enough). Redo steps are dropped, as after any new edit.
 */
export function record<T>(history: History<T>, next: T, edit: { key?: string; now: number }): History<T> {
  const coalesce = edit.key !== undefined && edit.key === history.last.key && edit.now - history.last.at < COALESCE_MS;
  return {
    past: coalesce ? history.past : [...history.past.slice(-HISTORY_LIMIT + 1), history.present],
    present: next,
    future: coalesce ? history.future : [],
    last: { key: edit.key, at: edit.now },
  };
}

/** Replaces the present without an undo step (a drag in progress, a change recorded before it started). */
export function replace<T>(history: History<T>, present: T): History<T> {
  return { ...history, present };
}

/** Steps back; the same history when there is nothing to undo. */
export function undo<T>(history: History<T>): History<T> {
  if (!history.past.length) return history;
  return {
    past: history.past.slice(0, -1),
    present: history.past[history.past.length - 1],
    future: [history.present, ...history.future],
    last: { at: 0 },
  };
}

/** Steps forward again; the same history when there is nothing to redo. */
export function redo<T>(history: History<T>): History<T> {
  if (!history.future.length) return history;
  return {
    past: [...history.past, history.present],
    present: history.future[0],
    future: history.future.slice(1),
    last: { at: 0 },
  };
}
