/**
 * Builds the `ztai-model` CLI to one JavaScript file, so `bin/ztai-model.js` runs without ts-node (a
 * devDependency) once the package is installed: `npm run build:cli` (part of `npm run build`).
 *
 * esbuild bundles tools/ztai-model/cli.ts with the signing core it imports (constructs/signing/); packages
 * (`@aws-sdk/client-kms`, a dependency) stay external and load from node_modules at run time.
 */
import { buildSync } from 'esbuild';
import { join } from 'node:path';

/** Where `npm run build:cli` writes the CLI, and where bin/ztai-model.js looks for it first. */
export const BUILT_CLI = join(__dirname, '..', '..', 'build', 'ztai-model', 'cli.js');

/** Bundle the CLI to `outfile` (CommonJS, Node 20). */
export function buildCli(outfile: string = BUILT_CLI): void {
  buildSync({
    entryPoints: [join(__dirname, 'cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    banner: { js: '// Built by `npm run build:cli` from tools/ztai-model/cli.ts: do not edit.' },
  });
}

if (require.main === module) {
  buildCli();
  console.log(`ztai-model: built ${BUILT_CLI}`);
}
