/**
 * Builds the editor into `editor/dist`, which the runtime serves at `/` (`npm run build`), and runs
 * Vite's dev server with hot reload (`npm run dev:editor`), passing `/api` and `/postback` to the
 * runtime at LEADFLOW_URL (default http://localhost:3000).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));
const runtime = process.env.LEADFLOW_URL ?? 'http://localhost:3000';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    // dist/.vite/manifest.json: which chunks the entry loads at once (a test keeps acorn and Ajv out of them)
    manifest: true,
    // CodeMirror (Code nodes only) is a lazy chunk of its own; the initial bundle stays far below this
    chunkSizeWarningLimit: 700,
    // the script parser is a chunk of its own, named for what it is: the Code editor and the flow
    // validation both load it when first needed, and the serving test finds it by name
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'acorn', test: /node_modules[\\/]acorn[\\/]/ }] } } },
  },
  server: {
    proxy: { '/api': runtime, '/postback': runtime },
    // the editor imports the flow validator and node types from the repository's other folders
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
  },
});
