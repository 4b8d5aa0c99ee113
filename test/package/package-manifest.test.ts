/**
 * The package's manifest (constructs/package.json) against the code: an export for every area, peers for
 * the CDK (with ranges that hold this repository's pins), a dependency for every other package the
 * constructs import, nothing but the build in the tarball, and no field that would redirect the
 * repository's own `../constructs` imports to the build.
 */
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import { stageManifest } from '../../tools/package/build';

const ROOT = path.join(__dirname, '..', '..');
const LIBRARY = path.join(ROOT, 'constructs');
const manifest = JSON.parse(fs.readFileSync(path.join(LIBRARY, 'package.json'), 'utf8'));
const rootManifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const buildConfig = JSON.parse(fs.readFileSync(path.join(LIBRARY, 'tsconfig.build.json'), 'utf8'));

const areas = fs
  .readdirSync(LIBRARY, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(LIBRARY, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();

/** The library's TypeScript files that the package build compiles (the handler's entry is bundled instead). */
function compiledSources(): string[] {
  const excluded = new Set((buildConfig.exclude as string[]).map((e) => path.join(LIBRARY, e)));
  return fs
    .readdirSync(LIBRARY, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => !excluded.has(f) && !f.includes(`${path.sep}node_modules${path.sep}`));
}

/** `aws-cdk-lib/aws-s3` -> `aws-cdk-lib`, `@aws-sdk/client-kms` -> `@aws-sdk/client-kms`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function importedPackages(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of compiledSources()) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\(|require\()\s*'([^'.][^']*)'/g)) {
      const name = packageName(m[1]);
      if (name.startsWith('node:') || builtinModules.includes(name)) continue;
      found.set(name, [...(found.get(name) ?? []), path.relative(ROOT, file)]);
    }
  }
  return found;
}

/** `^2.276.0` holds `2.276.0` (caret ranges only: what the manifest uses). */
function caretHolds(range: string, version: string): boolean {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!m) return false;
  const [major, minor, patch] = version.split('.').map(Number);
  const [rMajor, rMinor, rPatch] = m.slice(1).map(Number);
  if (major !== rMajor) return false;
  return minor > rMinor || (minor === rMinor && patch >= rPatch);
}

describe('constructs/package.json', () => {
  test('is the package @ztai/cdk-constructs', () => {
    expect(manifest.name).toBe('@ztai/cdk-constructs');
    expect(manifest.private).toBeUndefined();
  });

  test('has no main, types or typesVersions: they would send the repository’s ../constructs imports to the build', () => {
    expect(manifest.main).toBeUndefined();
    expect(manifest.types).toBeUndefined();
    expect(manifest.typesVersions).toBeUndefined();
  });

  test('the published manifest adds them, for every subpath', () => {
    const published = stageManifest(manifest);
    expect(published).toMatchObject({
      main: 'dist/index.js',
      types: 'dist/index.d.ts',
      // The signing CLI, built to JavaScript (tools/package/build.ts): no ts-node once installed.
      bin: { 'ztai-model': 'dist/bin/ztai-model.js' },
    });
    expect(Object.keys((published.typesVersions as Record<string, object>)['*']).sort()).toEqual(areas);
    expect(published.scripts).toBeUndefined();
  });

  test('exports the root and one subpath per area (every directory with an index.ts), from dist/', () => {
    const expected: Record<string, unknown> = {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    };
    for (const area of areas) {
      expected[`./${area}`] = { types: `./dist/${area}/index.d.ts`, default: `./dist/${area}/index.js` };
    }
    expect(manifest.exports).toEqual(expected);
  });

  test('the root re-exports every area but the signing core, which is a subpath only', () => {
    const index = fs.readFileSync(path.join(LIBRARY, 'index.ts'), 'utf8');
    const reexported = Array.from(index.matchAll(/^export \* from '\.\/([a-z-]+)';$/gm), (m) => m[1]).sort();
    expect(reexported).toEqual(areas.filter((a) => a !== 'signing'));
  });

  test('ships only the build and the README', () => {
    expect(manifest.files).toEqual(['dist/**/*.js', 'dist/**/*.d.ts', 'README.md']);
  });

  test.each(['aws-cdk-lib', 'constructs', 'cdk-nag'])(
    '%s is a peer dependency whose range holds the pinned version',
    (name) => {
      expect(manifest.dependencies?.[name]).toBeUndefined();
      const pinned = rootManifest.dependencies[name] as string;
      expect(caretHolds(manifest.peerDependencies[name], pinned)).toBe(true);
    },
  );

  test('every other package the constructs import is a dependency, and every dependency is imported', () => {
    const imported = importedPackages();
    const peers = Object.keys(manifest.peerDependencies);
    const needed = [...imported.keys()].filter((n) => !peers.includes(n)).sort();
    expect(needed).toEqual(Object.keys(manifest.dependencies).sort());
    for (const name of needed) {
      expect(caretHolds(manifest.dependencies[name], rootManifest.dependencies[name])).toBe(true);
    }
  });
});
