/**
 * The kernel runs in the browser as well as in Node. Type-checking `core/` without Node's types catches
 * a Node API used by name; this builds every module of `core/` for the browser, packages included, the
 * way the editor's bundle takes them, and asks the build what reached for Node.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Rolldown } from 'vite';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every TypeScript module under `core/`, named by its path there (`flow/validate`). */
function coreModules(): Record<string, string> {
  const files = readdirSync(join(root, 'core'), { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.d.ts'),
  );
  return Object.fromEntries(files.map((f) => [f.replace(/\.ts$/, ''), join(root, 'core', f)]));
}

const NODE_BUILTIN = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * Builds the entries as a browser library (nothing written) and answers the entries that came out and
 * every Node built-in something in the bundle asked for, packages included. Vite would swap such an
 * import for an empty stand-in and build on, so the build is watched as it resolves. (A package's own
 * `"browser": { "./x.js": false }` swaps a file of its own, never reaches the built-in: no finding.)
 */
async function browserBuild(entries: Record<string, string>): Promise<{ built: string[]; nodeBuiltins: string[] }> {
  const asked = new Set<string>();
  const result = await build({
    configFile: false,
    root,
    logLevel: 'silent',
    publicDir: false,
    plugins: [
      {
        name: 'node-builtins-asked-for',
        enforce: 'pre',
        resolveId(source) {
          if (NODE_BUILTIN.has(source)) asked.add(source);
          return null;
        },
      },
    ],
    build: { write: false, minify: false, emptyOutDir: false, lib: { entry: entries, formats: ['es'] } },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunks = outputs.flatMap((o) => o.output).filter((o): o is Rolldown.OutputChunk => o.type === 'chunk');
  for (const spec of chunks.flatMap((c) => [...c.imports, ...c.dynamicImports])) if (NODE_BUILTIN.has(spec)) asked.add(spec);
  return { built: chunks.filter((c) => c.isEntry).map((c) => c.name), nodeBuiltins: [...asked].sort() };
}

describe('the kernel in the browser', () => {
  it('builds every module of core/ for the browser, and nothing it bundles asks for a Node built-in', async () => {
    const entries = coreModules();
    expect(Object.keys(entries)).toContain('readiness');

    const { built, nodeBuiltins } = await browserBuild(entries);

    expect(built.sort()).toEqual(Object.keys(entries).sort());
    expect(nodeBuiltins).toEqual([]);
  }, 30_000);

  it('would notice a module that imports Node built-ins, itself or through a package', async () => {
    // inside the repo, so the probe's package import resolves from node_modules
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    const dir = mkdtempSync(join(root, 'test-artifacts', 'browser-build-'));
    try {
      const probe = join(dir, 'probe.ts');
      writeFileSync(
        probe,
        `import { readFileSync } from 'node:fs';\nimport path from 'path';\nimport bindings from 'bindings';\nexport const read = (f: string) => [readFileSync(path.join('.', f)), bindings];\n`,
      );

      const { built, nodeBuiltins } = await browserBuild({ probe });

      expect(built).toEqual(['probe']);
      expect(nodeBuiltins).toEqual(['fs', 'node:fs', 'path']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
