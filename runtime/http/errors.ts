/**
 * The one place errors become HTTP answers: a {@link DomainError} becomes its status with
 * `{ error, field, message }`; a body that is not JSON becomes a 400 `invalid_json`, a charset or
 * content encoding the parsers cannot read a 415; anything else is our bug,
 * logged, and answered 500 without its details.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DomainError } from '../../core/domain/errors.ts';

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (error instanceof DomainError) {
      res.status(error.status).json({ error: error.code, field: error.field, message: error.message, details: error.details });
      return;
    }
    const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
    const type = (error as { type?: string }).type;
    if (type === 'entity.parse.failed') {
      res.status(400).json({ error: 'invalid_json', field: '(body)', message: 'the body is not valid JSON' });
      return;
    }
    // body-parser's own 415s: a charset or a content encoding it cannot read
    if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
      res.status(415).json({ error: 'unsupported_media_type', field: '(body)', message: (error as Error).message });
      return;
    }
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: (error as Error).message });
      return;
    }
    log.error({ err: error, method: req.method, url: req.path }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'internal error; see the runtime log' });
  };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: 'not_found', message: `no route ${req.method} ${req.path}` });
};
