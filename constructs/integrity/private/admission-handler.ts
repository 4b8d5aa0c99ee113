import * as fs from 'fs';
import * as path from 'path';

/**
 * The admission function's code: the pre-bundled handler when the gate runs from the package build, the
 * TypeScript entry (bundled at synth with the local esbuild) when it runs from this repository's sources.
 *
 * The package build (`npm run package`, tools/package/build.ts) compiles constructs/ to `dist/` and
 * bundles `admission/handler.ts` with {@link ADMISSION_HANDLER_BUNDLING} into
 * `dist/integrity/admission-handler/index.js`, next to the compiled gate. The package ships no `.ts`
 * and its consumers need no esbuild: their synth only zips that directory.
 */

/** Bundling of the handler: one definition for synth-time bundling and the package build. */
export const ADMISSION_HANDLER_BUNDLING = {
  /** The AWS SDK v3 is the Lambda runtime's own. */
  externalModules: ['@aws-sdk/*'],
  target: 'node24',
  minify: true,
  sourceMap: false,
} as const;

/** The directory, next to the compiled gate, that holds the pre-bundled handler (`index.js`). */
export const PREBUILT_HANDLER_DIRECTORY = 'admission-handler';
/** The handler's TypeScript entry, relative to the gate's directory. */
export const HANDLER_ENTRY = path.join('admission', 'handler.ts');

/** The function's code: a pre-built asset directory, or an entry to bundle. */
export type AdmissionHandlerCode =
  { readonly kind: 'prebuilt'; readonly directory: string } | { readonly kind: 'source'; readonly entry: string };

/**
 * Locate the handler for the gate whose compiled or source file is in `gateDirectory`: the pre-built
 * bundle when it is there (the package), else the TypeScript entry (this repository).
 */
export function admissionHandlerCode(gateDirectory: string): AdmissionHandlerCode {
  const prebuilt = path.join(gateDirectory, PREBUILT_HANDLER_DIRECTORY);
  if (fs.existsSync(path.join(prebuilt, 'index.js'))) return { kind: 'prebuilt', directory: prebuilt };
  const entry = path.join(gateDirectory, HANDLER_ENTRY);
  if (fs.existsSync(entry)) return { kind: 'source', entry };
  throw new Error(
    `The model admission handler is missing: neither the pre-built ${path.join(prebuilt, 'index.js')} ` +
      `(written by the package build, npm run package) nor the source ${entry} exists`,
  );
}
