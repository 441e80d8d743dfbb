/** The flow schema's compiled check (generated: `core/flow/flow-schema-check.js`, `npm run schema`). */
import type { ErrorObject } from 'ajv';

export interface FlowSchemaCheck {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export declare const validate: FlowSchemaCheck;
export default validate;
