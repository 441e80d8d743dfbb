/**
 * `npm run schema`: writes `flows/flow.schema.json` from the flow format's declaration in
 * `core/domain/flow.ts`, formatted as the repository formats JSON. The file is committed for
 * tools that read JSON Schema (editors, the template schema that refers to it); a test fails when
 * it and the declaration part.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { flowJsonSchema } from '../core/domain/flow.ts';

const file = fileURLToPath(new URL('../flows/flow.schema.json', import.meta.url));
const options = await resolveConfig(file);
writeFileSync(file, await format(JSON.stringify(flowJsonSchema()), { ...options, filepath: file }));
console.log(`wrote ${file}`);
