/**
 * Where the project's own files are (the folder with `package.json`: `flows/`, `editor/dist/`),
 * whether this module runs from the sources (`runtime/`, under tsx or Vitest) or from the build
 * (`dist/runtime/`, `npm start`). A module finds those files from here rather than from its own
 * place, which the build moves one folder down.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`leadflow: no package.json in ${from} or above it`);
  }
}

/** The project's folder, absolute. */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the project's folder; a trailing `/` is kept (`projectPath('flows/demo/') + file`). */
export function projectPath(relative: string): string {
  return path.join(PROJECT_ROOT, relative);
}
