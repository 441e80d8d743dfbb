/**
 * A request body a JSON Schema (Ajv) refused, as the {@link DomainError} the API answers: the first
 * error, the field it concerns (`offers[0]` as `offers.0`, a missing or unknown property by name)
 * and a sentence. A service words its own special cases through `worded`.
 */
import type { ErrorObject } from 'ajv';
import { DomainError } from '../../core/domain/errors.ts';

export interface RefusalWords {
  /** The field named when the error is about the body as a whole: `(offer)`. */
  whole: string;
  /** What an unknown property is not a field of: `an offer`. */
  thing: string;
  /** A message of the service's own for this error and field, or undefined for the general one. */
  worded?: (error: ErrorObject, field: string) => string | undefined;
}

export function schemaRefusal(errors: ErrorObject[] | null | undefined, words: RefusalWords): DomainError {
  const error = (errors ?? [])[0];
  const path = error ? error.instancePath.split('/').slice(1).join('.') : '';
  const extra =
    error?.keyword === 'required'
      ? error.params.missingProperty
      : error?.keyword === 'additionalProperties'
        ? error.params.additionalProperty
        : undefined;
  const field = [path, extra].filter(Boolean).join('.') || words.whole;
  const message =
    error?.keyword === 'required'
      ? 'is required'
      : error?.keyword === 'additionalProperties'
        ? `is not a field of ${words.thing}`
        : ((error && words.worded?.(error, field)) ?? error?.message ?? 'is invalid');
  return new DomainError('invalid_field', message, { field });
}
