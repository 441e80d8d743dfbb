/**
 * A `multipart/form-data` body written as text, for targets whose sign-up form wants one. Fields
 * are flattened the way PHP reads forms (`goods[0][product]`), as the urlencoded form is.
 */
import { httpBuildQuery } from '../template/php.ts';

/** A field name inside `Content-Disposition`, escaped the way browsers write it (WHATWG HTML). */
function quoteName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));

/**
 * The fields as a multipart body and its content type (with the boundary). `boundary` is random
 * unless given (tests give one).
 * @example multipartBody({ name: 'Anna' }, 'b1').text // '--b1\r\nContent-Disposition: form-data; name="name"\r\n\r\nAnna\r\n--b1--\r\n'
 */
export function multipartBody(fields: Record<string, unknown>, boundary?: string): { text: string; contentType: string } {
  const mark =
    boundary ?? `----leadflow${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const pairs = httpBuildQuery(fields)
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
    });
  let text = '';
  for (const [name, value] of pairs) text += `--${mark}\r\nContent-Disposition: form-data; name="${quoteName(name)}"\r\n\r\n${value}\r\n`;
  text += `--${mark}--\r\n`;
  return { text, contentType: `multipart/form-data; boundary=${mark}` };
}
