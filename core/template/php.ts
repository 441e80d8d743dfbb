/**
 * The PHP behaviours targets are written against: `urlencode`, `http_build_query` and `date`.
 * Targets built in PHP sign the string PHP produces, so ours must match it byte for byte.
 */
import qs from 'qs';
import { TZDate } from '@date-fns/tz';

/**
 * PHP's `urlencode`: every byte but letters, digits and `-_.` percent-encoded, spaces as `+`.
 * @example phpUrlencode("a b~") // "a+b%7E"
 */
export function phpUrlencode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

function phpScalar(value: unknown): string {
  if (value === true) return '1';
  if (value === false) return '0';
  return String(value);
}

/** Byte-wise key order, the way PHP's `ksort` orders string keys. */
function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * PHP's `http_build_query($data)`: nested arrays as `a%5B0%5D=1`, `true`/`false` as `1`/`0`,
 * nulls left out, values encoded by `urlencode`. With `sort`, keys in byte order at every level
 * (PHP's `ksort` before building, the usual signing recipe).
 * @example httpBuildQuery({ b: 'x y', a: [1, 2] }, { sort: true }) // "a%5B0%5D=1&a%5B1%5D=2&b=x+y"
 */
export function httpBuildQuery(data: unknown, options: { sort?: boolean } = {}): string {
  if (data === null || typeof data !== 'object') return '';
  return qs.stringify(data, {
    arrayFormat: 'indices',
    skipNulls: true,
    sort: options.sort ? byKey : undefined,
    encoder: (value, _defaultEncoder, _charset, type) => phpUrlencode(type === 'key' ? String(value) : phpScalar(value)),
  });
}

/** Reads a date given as a Date, epoch seconds or milliseconds, or a parseable string. */
export function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value);
    // below 1e11 it can only be seconds (1e11 ms is 1973)
    return new Date(n < 1e11 ? n * 1000 : n);
  }
  if (typeof value === 'string' && value.trim() !== '') {
    // 'Y-m-d H:i:s' without a zone is read as UTC
    const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(value.trim()) ? value.trim().replace(' ', 'T') + 'Z' : value;
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number, width = 2) => String(Math.trunc(Math.abs(n))).padStart(width, '0');

function offset(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return sign + pad(Math.floor(m / 60)) + (colon ? ':' : '') + pad(m % 60);
}

/**
 * PHP's `date($format)` for a time zone (default UTC). Supports the characters integrations use:
 * `d D j l N w z m n M F t L Y y a A g G h H i s v u e P O Z U c r`, and `\` to escape one.
 * @example formatPhpDate(new Date(0), 'Y-m-d H:i:s') // "1970-01-01 00:00:00"
 */
export function formatPhpDate(date: Date, format: string, timeZone = 'UTC'): string {
  const d = new TZDate(date.getTime(), timeZone);
  const offsetMinutes = -d.getTimezoneOffset();
  const year = d.getFullYear();
  const month = d.getMonth();
  const day = d.getDate();
  const hours = d.getHours();
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    switch (c) {
      case 'd':
        out += pad(day);
        break;
      case 'D':
        out += DAYS[d.getDay()].slice(0, 3);
        break;
      case 'j':
        out += day;
        break;
      case 'l':
        out += DAYS[d.getDay()];
        break;
      case 'N':
        out += d.getDay() || 7;
        break;
      case 'w':
        out += d.getDay();
        break;
      case 'z':
        out += Math.round((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86400000);
        break;
      case 'm':
        out += pad(month + 1);
        break;
      case 'n':
        out += month + 1;
        break;
      case 'M':
        out += MONTHS[month].slice(0, 3);
        break;
      case 'F':
        out += MONTHS[month];
        break;
      case 't':
        out += new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
        break;
      case 'L':
        out += leap ? 1 : 0;
        break;
      case 'Y':
        out += year;
        break;
      case 'y':
        out += pad(year % 100);
        break;
      case 'a':
        out += hours < 12 ? 'am' : 'pm';
        break;
      case 'A':
        out += hours < 12 ? 'AM' : 'PM';
        break;
      case 'g':
        out += hours % 12 || 12;
        break;
      case 'G':
        out += hours;
        break;
      case 'h':
        out += pad(hours % 12 || 12);
        break;
      case 'H':
        out += pad(hours);
        break;
      case 'i':
        out += pad(d.getMinutes());
        break;
      case 's':
        out += pad(d.getSeconds());
        break;
      case 'v':
        out += pad(d.getMilliseconds(), 3);
        break;
      case 'u':
        out += pad(d.getMilliseconds() * 1000, 6);
        break;
      case 'e':
        out += timeZone;
        break;
      case 'P':
        out += offset(offsetMinutes, true);
        break;
      case 'O':
        out += offset(offsetMinutes, false);
        break;
      case 'Z':
        out += offsetMinutes * 60;
        break;
      case 'U':
        out += Math.floor(date.getTime() / 1000);
        break;
      case 'c':
        out += formatPhpDate(date, 'Y-m-d\\TH:i:sP', timeZone);
        break;
      case 'r':
        out += formatPhpDate(date, 'D, d M Y H:i:s O', timeZone);
        break;
      case '\\':
        i++;
        if (i < format.length) out += format[i];
        break;
      default:
        out += c;
    }
  }
  return out;
}
