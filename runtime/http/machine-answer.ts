/**
 * The JSON answer of the routes machines call at volume (lead intake, postbacks): the same bytes
 * and headers as Express's `res.status(s).json(body)`, but without its ETag. Express hashes every
 * answer it sends (a SHA-1 of the body) for a conditional GET; an answer to a POST is never
 * revalidated (`req.fresh` is false for it), so there the hash is work for nothing. An answer to a
 * GET or HEAD (a postback sent as a GET, every management read) keeps its ETag: a browser, the
 * editor's included, revalidates those (`304`).
 */
import type { Response } from 'express';

/**
 * Answers `status` with `body` as JSON (`application/json; charset=utf-8`, `Content-Length`), with
 * no ETag unless the request is a GET or HEAD. Those, a status without a body (204, 205, 304), a
 * body JSON cannot express (`undefined`) and an answer whose type is set already go through
 * Express's own `res.json`, which does what they need.
 */
export function answerJson(res: Response, status: number, body: unknown): void {
  res.status(status);
  const method = res.req.method;
  // the app's `json replacer`, `json spaces` and `json escape` settings are left unset (runtime.ts)
  const text = method === 'GET' || method === 'HEAD' ? undefined : (JSON.stringify(body) as string | undefined);
  if (text === undefined || status === 204 || status === 205 || status === 304 || res.getHeader('Content-Type') !== undefined) {
    res.json(body);
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
