/**
 * How the flow schema is compiled (`bin/flow-schema-files.ts`): every error reported, not only the
 * first; lengths counted in UTF-16 units (`unicode: false`), which keeps the compiled check free of
 * Ajv's runtime helpers, so it stands alone in the browser.
 */
export const FLOW_SCHEMA_AJV_OPTIONS = { allErrors: true, strict: false, unicode: false } as const;
