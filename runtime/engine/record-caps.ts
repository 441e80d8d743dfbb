/**
 * What the execution log keeps of a run is capped: a target that answers 1 MB, or a node whose
 * output is a large document, would otherwise make every record of that integration as large and
 * the log unreadable. The run itself sees everything; only the record is cut, after redaction (a
 * secret cut in half at the boundary would no longer be recognised), and every cut says how much
 * it left out.
 */
import type { Execution, HttpRecord, StepRecord } from '../../core/domain/execution.ts';

/** The caps in bytes (UTF-8). */
export const RECORD_LIMITS = {
  /** A request or answer body in an HTTP record. */
  body: 64 * 1024,
  /**
   * A step's whole record, as JSON: past it, its input and output are cut, then its bodies and
   * logs. Room for a capped request and answer body beside the rest.
   */
  step: 160 * 1024,
  /** What a cut value keeps of its JSON as a preview. */
  preview: 4 * 1024,
} as const;

/** Begins every marker, so readers (and a retry from the record) can tell a cut value. */
export const CUT_MARKER = '[cut by the execution log:';

const bytesOf = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Whether the text's UTF-8 takes at most `limit` bytes. A UTF-16 code unit is at most three bytes,
 * so most texts of a record answer without being encoded.
 */
const fits = (text: string, limit: number) => text.length * 3 <= limit || bytesOf(text) <= limit;
/**
 * Whether the value's JSON surely takes at most `limit` bytes, without writing it: an upper bound
 * summed in one walk that stops once past the limit (a character takes at most 6 bytes, `\u001f`;
 * a number at most 24). For a JSON-safe value, such as a redacted record. Most steps are far under
 * their cap, and writing each one's JSON only to measure it was a few % of a run's CPU.
 */
function surelyFits(value: unknown, limit: number): boolean {
  let budget = limit;
  const walk = (item: unknown): boolean => {
    if (typeof item === 'string') budget -= 6 * item.length + 2;
    else if (item === null || typeof item !== 'object') budget -= 24;
    else if (Array.isArray(item)) {
      budget -= 2 + item.length;
      for (const element of item) if (!walk(element)) return false;
    } else {
      budget -= 2;
      for (const key in item) {
        budget -= 6 * key.length + 4;
        if (!walk((item as Record<string, unknown>)[key])) return false;
      }
    }
    return budget >= 0;
  };
  return walk(value);
}

const readable = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`);

/**
 * The text cut to `limit` bytes, with a marker saying how much was cut; the text itself when it fits.
 * @example capText('x'.repeat(100_000), 65536) // 'xxx…' + ' [cut by the execution log: 34464 of 100000 bytes left out]'
 */
export function capText(text: string, limit: number): string {
  // whole, it fits: so does the part before an earlier cut's marker, and the text stays as it is
  if (text.length * 3 <= limit) return text;
  // a text cut before (a step cut harder) keeps saying how large the original was
  const earlier = PREVIOUS_CUT.exec(text);
  const body = earlier ? text.slice(0, earlier.index) : text;
  const size = earlier ? Number(earlier[1]) : bytesOf(text);
  if (bytesOf(body) <= limit) return text;
  // cut on a character boundary: a half character would decode as U+FFFD
  const kept = Buffer.from(body, 'utf8')
    .subarray(0, limit)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${kept} ${CUT_MARKER} ${size - bytesOf(kept)} of ${size} bytes left out]`;
}

const PREVIOUS_CUT = /\s\[cut by the execution log: \d+ of (\d+) bytes left out\]$/;

/** A value too large for the record: its size and the start of its JSON. */
function cutValue(value: unknown, what: string): { cut: string; preview: string } {
  const json = JSON.stringify(value) ?? '';
  return {
    cut: `${CUT_MARKER} ${what} was ${bytesOf(json)} bytes (${readable(bytesOf(json))}) of JSON, over the step's ${readable(RECORD_LIMITS.step)}]`,
    preview: capText(json, RECORD_LIMITS.preview),
  };
}

function capHttp(record: HttpRecord, limit: number): void {
  if (record.request.body !== undefined) record.request.body = capText(record.request.body, limit);
  if (record.response) record.response.body = capText(record.response.body, limit);
}

/** Caps one step's record in place: bodies first, then input and output, then bodies and logs harder. */
export function capStep(step: StepRecord): void {
  for (const exchange of step.http) capHttp(exchange, RECORD_LIMITS.body);
  if (surelyFits(step, RECORD_LIMITS.step) || fits(JSON.stringify(step), RECORD_LIMITS.step)) return;
  const size = () => bytesOf(JSON.stringify(step));
  // the largest of input and output goes first; a small one may stay
  const values = (['input', 'output'] as const)
    .filter((key) => step[key] !== undefined)
    .map((key) => ({ key, bytes: bytesOf(JSON.stringify(step[key]) ?? '') }))
    .sort((a, b) => b.bytes - a.bytes);
  for (const { key } of values) {
    if (size() <= RECORD_LIMITS.step) return;
    step[key] = cutValue(step[key], `the ${key}`);
  }
  if (size() <= RECORD_LIMITS.step) return;
  // many exchanges or log lines (a paged pull): each keeps a little
  for (const exchange of step.http) capHttp(exchange, RECORD_LIMITS.preview);
  step.logs = step.logs.map((line) => capText(line, 1024));
  if (size() <= RECORD_LIMITS.step) return;
  const total = step.http.length;
  // at two previews each, a handful of exchanges fit beside the rest
  const keep = 4;
  if (total > keep) {
    step.http = step.http.slice(0, keep);
    step.logs.push(`${CUT_MARKER} ${total - keep} of ${total} HTTP exchanges left out]`);
  }
  if (step.logs.length > 50) step.logs = [...step.logs.slice(0, 50), `${CUT_MARKER} ${step.logs.length - 50} log lines left out]`];
}

/** Caps every step of a recorded (already redacted) execution, in place. */
export function capExecution(execution: Execution): Execution {
  for (const step of execution.steps) capStep(step);
  return execution;
}
