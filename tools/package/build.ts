/**
 * Builds the construct library (constructs/) as the package `@ztai/cdk-constructs` and packs it.
 *
 *   npm run package            # -> build/package/ztai-cdk-constructs.tgz
 *
 * 1. `tsc -p constructs/tsconfig.build.json`: JavaScript and `.d.ts` in build/package/stage/dist/.
 * 2. esbuild: the admission handler (constructs/integrity/admission/handler.ts, with the signing core it
 *    imports) into dist/integrity/admission-handler/index.js, with the options the gate uses when it
 *    bundles from source, so a consumer's synth only zips that directory (no esbuild, no `.ts`).
 * 2b. esbuild: the `ztai-model` CLI into dist/bin/ztai-model.js (the package's `bin`).
 * 3. The stage's package.json: constructs/package.json plus `main`, `types` and `typesVersions` (kept out
 *    of constructs/package.json, where they would point the repository's own `../constructs` imports at
 *    the build), and constructs/README.md.
 * 4. Checks: no TypeScript source, nothing required from lib/, tools/, test/; `npm pack` into
 *    build/package/, renamed to a path that does not change with the version; only dist/, the manifest
 *    and the README in the tarball.
 *
 * The build lives outside constructs/ so that neither the repository's type-check nor its formatter
 * sees a second copy of the library.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import {
  ADMISSION_HANDLER_BUNDLING,
  HANDLER_ENTRY,
  PREBUILT_HANDLER_DIRECTORY,
} from '../../constructs/integrity/private/admission-handler';

const ROOT = path.resolve(__dirname, '..', '..');
const LIBRARY = path.join(ROOT, 'constructs');
/** Where the tarball goes: CI and the examples' lock files read it from here. */
export const PACKAGE_DIRECTORY = path.join(ROOT, 'build', 'package');
export const STAGE = path.join(PACKAGE_DIRECTORY, 'stage');
export const TARBALL = path.join(PACKAGE_DIRECTORY, 'ztai-cdk-constructs.tgz');
const DIST = path.join(STAGE, 'dist');

function step(message: string): void {
  process.stdout.write(`package: ${message}\n`);
}

function compile(): void {
  fs.rmSync(STAGE, { recursive: true, force: true });
  step('tsc -p constructs/tsconfig.build.json');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: LIBRARY,
    stdio: 'inherit',
  });
}

function bundleHandler(): void {
  const entry = path.join(LIBRARY, 'integrity', HANDLER_ENTRY);
  const outfile = path.join(DIST, 'integrity', PREBUILT_HANDLER_DIRECTORY, 'index.js');
  step(`esbuild ${path.relative(ROOT, entry)} -> ${path.relative(ROOT, outfile)}`);
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: ADMISSION_HANDLER_BUNDLING.target,
    minify: ADMISSION_HANDLER_BUNDLING.minify,
    sourcemap: ADMISSION_HANDLER_BUNDLING.sourceMap,
    external: [...ADMISSION_HANDLER_BUNDLING.externalModules],
    outfile,
    logLevel: 'warning',
  });
}

/** Where the package's `ztai-model` command is, relative to the package root. */
export const CLI_BIN = 'dist/bin/ztai-model.js';

/**
 * The `ztai-model` CLI (tools/ztai-model/cli.ts with the signing core) as one executable JavaScript file,
 * so a team that installs the package signs and verifies models with `npx ztai-model` (no ts-node, no
 * TypeScript; `@aws-sdk/client-kms` is a dependency of the package).
 */
function bundleCli(): void {
  const outfile = path.join(STAGE, CLI_BIN);
  step(`esbuild tools/ztai-model/cli.ts -> ${path.relative(ROOT, outfile)}`);
  buildSync({
    stdin: {
      contents: "import { main } from './cli';\nvoid main();\n",
      resolveDir: path.join(ROOT, 'tools', 'ztai-model'),
      sourcefile: 'ztai-model-bin.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    banner: {
      js: '#!/usr/bin/env node\n// ztai-model, built from tools/ztai-model/cli.ts by npm run package: do not edit.',
    },
  });
  fs.chmodSync(outfile, 0o755);
}

/** The published manifest: the source manifest with the entry points of the build. */
export function stageManifest(source: Record<string, unknown>): Record<string, unknown> {
  const exportsMap = source.exports as Record<string, unknown>;
  const subpaths = Object.keys(exportsMap)
    .filter((k) => k.startsWith('./') && k !== './package.json')
    .map((k) => k.slice(2));
  const { scripts: _scripts, '//': _comment, ...rest } = source;
  return {
    ...rest,
    main: 'dist/index.js',
    types: 'dist/index.d.ts',
    bin: { 'ztai-model': CLI_BIN },
    // Subpaths for TypeScript's classic `node` resolution (module: commonjs), which ignores `exports`.
    typesVersions: { '*': Object.fromEntries(subpaths.map((s) => [s, [`dist/${s}/index.d.ts`]])) },
  };
}

function writeManifest(): void {
  const source = JSON.parse(fs.readFileSync(path.join(LIBRARY, 'package.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(STAGE, 'package.json'), `${JSON.stringify(stageManifest(source), null, 2)}\n`);
  fs.copyFileSync(path.join(LIBRARY, 'README.md'), path.join(STAGE, 'README.md'));
}

/** Every file under `dir`, relative to it. */
function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

function check(): void {
  const sources = files(DIST).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  if (sources.length > 0) throw new Error(`dist/ holds TypeScript sources: ${sources.join(', ')}`);
  const outside = files(DIST)
    .filter((f) => f.endsWith('.js'))
    .filter((f) => /require\("(\.\.\/)+(lib|tools|test|bin|bench)\//.test(fs.readFileSync(path.join(DIST, f), 'utf8')));
  if (outside.length > 0) throw new Error(`dist/ requires code outside the library: ${outside.join(', ')}`);
}

function pack(): string {
  step(`npm pack -> ${path.relative(ROOT, TARBALL)}`);
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', PACKAGE_DIRECTORY], {
    cwd: STAGE,
    encoding: 'utf8',
  });
  const [packed] = JSON.parse(output) as { filename: string; files: { path: string }[]; size: number }[];
  fs.renameSync(path.join(PACKAGE_DIRECTORY, packed.filename), TARBALL);
  const unexpected = packed.files.filter((f) => !/^(dist\/.*\.(js|d\.ts)|package\.json|README\.md)$/.test(f.path));
  if (unexpected.length > 0) {
    throw new Error(`the tarball holds more than dist/: ${unexpected.map((f) => f.path).join(', ')}`);
  }
  step(`${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed`);
  return TARBALL;
}

if (require.main === module) {
  compile();
  bundleHandler();
  bundleCli();
  writeManifest();
  check();
  process.stdout.write(`${pack()}\n`);
}
