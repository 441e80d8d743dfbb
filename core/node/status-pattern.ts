/**
 * Map Status's `pattern` rules, compiled with re2js (RE2 semantics): matching is linear in the
 * status's length, so no pattern can stall a run the way `(a+)+$` stalls a backtracking engine.
 * The price is RE2's syntax: no backreferences, no lookaround. One module for both sides, so
 * what the flow check accepts is exactly what the node runs.
 */
import { RE2JS } from 're2js';

/** A compiled pattern: `test` answers whether it matches anywhere in the text. */
export interface StatusPattern {
  test(text: string): boolean;
}

/**
 * Compiles a pattern ignoring letter case.
 * @throws Error naming what RE2 could not compile, e.g. `invalid escape sequence: \1`.
 * @example compileStatusPattern('^reject').test('Rejected') // true
 */
export function compileStatusPattern(pattern: string): StatusPattern {
  return RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
}
