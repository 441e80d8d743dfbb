#!/usr/bin/env node
// `npx leadflow …`: the command line in runtime/cli.ts. From the build (dist/runtime/cli.js, written by
// `npm start` or `npm run build:runtime`) when it is newer than every source file it was built from,
// with its source maps on; otherwise from the sources, through tsx's loader, so an edit made since the
// last build is never run stale.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist/runtime/cli.js');

/**
 * Whether anything under runtime/, core/ or nodes/ changed after the build: a file edited or added, or
 * (the folder's own time) one removed, whose compiled module would otherwise still be loaded.
 */
function buildIsStale() {
  const built = statSync(compiled).mtimeMs;
  for (const folder of ['runtime', 'core', 'nodes']) {
    const entries = ['', ...readdirSync(path.join(root, folder), { recursive: true })];
    if (entries.some((entry) => statSync(path.join(root, folder, entry)).mtimeMs > built)) return true;
  }
  return false;
}

if (existsSync(compiled) && !buildIsStale()) {
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../runtime/cli.ts');
}
