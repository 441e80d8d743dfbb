/**
 * `npm run schema`: writes the files generated from the flow format's declaration in
 * `core/domain/flow.ts` (see `bin/flow-schema-files.ts`).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowSchemaFiles } from './flow-schema-files.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const file of await flowSchemaFiles(root)) {
  writeFileSync(path.join(root, file.path), file.text);
  console.log(`wrote ${file.path}`);
}
