/**
 * Domain errors are values with names: a code, the field they concern, and the HTTP status one
 * place (`runtime/http/errors.ts`) turns them into.
 *
 * @example throw new DomainError('invalid_field', 'must be a phone number', { field: 'phone' })
 * // → 400 { "error": "invalid_field", "field": "phone", "message": "phone: must be a phone number" }
 */
export type ErrorCode =
  | 'invalid_field'
  | 'unknown_offer'
  | 'no_integration'
  | 'not_found'
  | 'invalid_flow'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'delivery_failed';

const STATUS: Record<ErrorCode, number> = {
  invalid_field: 400,
  unknown_offer: 422,
  no_integration: 422,
  not_found: 404,
  invalid_flow: 422,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  delivery_failed: 502,
};

export class DomainError extends Error {
  readonly field?: string;
  readonly details?: unknown;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { field?: string; details?: unknown } = {},
  ) {
    super(options.field ? `${options.field}: ${message}` : message);
    this.name = 'DomainError';
    this.field = options.field;
    this.details = options.details;
  }

  get status(): number {
    return STATUS[this.code];
  }
}
