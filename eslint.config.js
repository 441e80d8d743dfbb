// ESLint for the whole repo: typescript-eslint everywhere, React's hook rules in the editor, and the
// import arrows of DESIGN.md as rules, so an import that breaks them fails `npm run lint` (and `npm test`).
// Formatting is Prettier's job (`prettier --check .` runs beside this); eslint-config-prettier comes last
// so no rule here argues with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/**
 * The import arrows, one zone per forbidden direction. `target` is the importing file, `from` the
 * imported one, both relative to the repo root. Tests, the bench and bin/ are not targets: they may
 * import anything.
 */
const boundaries = [
  // The editor and the runtime meet in core/ and nodes/, never in each other.
  { target: './editor', from: './runtime', message: 'the editor imports core/ and nodes/, never runtime/.' },
  { target: './runtime', from: './editor', message: 'the runtime imports core/ and nodes/, never editor/.' },
  // The kernel stands alone; nodes stand on the kernel only.
  {
    target: './core',
    from: ['./runtime', './nodes', './editor', './bench', './test', './bin', './flows'],
    message: 'core/ imports only core/ and packages.',
  },
  { target: './nodes', from: '.', except: ['./core', './nodes', './node_modules'], message: 'nodes/ import only core/ and packages.' },
  // Inside the runtime, top-down: http → services → engine → store; nothing below imports from above.
  { target: './runtime/http', from: './runtime/store', message: 'http/ reaches the store through the services only.' },
  { target: './runtime/services', from: './runtime/http', message: 'services/ never import http/ (it sits above them).' },
  { target: './runtime/engine', from: ['./runtime/services', './runtime/http'], message: 'engine/ never imports services/ or http/.' },
  {
    target: './runtime/store',
    from: ['./runtime/services', './runtime/http', './runtime/engine'],
    message: 'store/ is the lowest layer: it never imports services/, http/ or engine/.',
  },
];

export default defineConfig(
  // core/flow/flow-schema-check.js is generated (npm run schema), checked against its source by a test
  globalIgnores([
    'node_modules/',
    'editor/dist/',
    // the runtime's build (npm run build:runtime) and the bench's
    'dist/',
    'bench/dist/',
    'data/',
    'test-artifacts/',
    'bench/results.json',
    'bench/profiles/',
    'coverage/',
    'core/flow/flow-schema-check.js',
  ]),

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    name: 'leadflow/all',
    // a disable comment that no longer silences anything fails the lint, so none outlives its reason
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.json'] })],
    },
    rules: {
      'import-x/no-duplicates': 'error',
      // `let x; const f = () => x?.go(); x = new X(f)`: a forward reference, not a missed const
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: boundaries }],
      // `_`-prefixed names are the house way to say "unused on purpose" (a callback's ignored argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },

  {
    // The kernel and the nodes run in the browser too: no Node built-in (`node:*`, `fs`, `path`, …).
    name: 'leadflow/browser-safe',
    files: ['core/**', 'nodes/**'],
    rules: { 'import-x/no-nodejs-modules': 'error' },
  },

  {
    // Tests read the API's JSON answers without declaring each shape; `any` there is the point.
    name: 'leadflow/tests',
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  {
    name: 'leadflow/editor',
    files: ['editor/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    extends: [reactHooks.configs.flat.recommended],
  },

  prettier,
);
