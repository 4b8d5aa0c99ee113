/**
 * End to end: `bin/ztai-model.js` as a child process, reaching the local KMS only through the SDK's standard
 * `AWS_ENDPOINT_URL_KMS` setting, both ways it runs: from the TypeScript sources (in the repository, no build)
 * and from the built JavaScript (`npm run build:cli`), laid out as an installed package has it, where loading
 * ts-node fails the run. Few cases: each start costs about a second.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCli } from '../../../tools/ztai-model/build';
import { LocalKms, LocalKmsKey } from '../../helpers/local-kms';
import { MODEL_FILES, removeTempDirs, tempDir, writeTree } from './fixtures';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'ztai-model.js');
/**
 * Installed packages without tools/ and with or without build/ztai-model/cli.js. Under the repository's
 * build/ (gitignored), so the bundle's one package import (@aws-sdk/client-kms) resolves as it would installed.
 */
const PACKAGES = join(ROOT, 'build', 'test-packages');
let installed: string;
let unbuilt: string;
/** Preloaded into the installed package's runs: loading ts-node (a devDependency) is an error there. */
let noTsNode: string;

let kms: LocalKms;
let key: LocalKmsKey;

beforeAll(async () => {
  kms = await LocalKms.start();
  key = kms.createKey('alias/release-signing');
  mkdirSync(PACKAGES, { recursive: true });
  const dir = mkdtempSync(join(PACKAGES, 'ztai-model-'));
  installed = join(dir, 'installed');
  unbuilt = join(dir, 'unbuilt');
  for (const pkg of [installed, unbuilt]) {
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    copyFileSync(BIN, join(pkg, 'bin', 'ztai-model.js'));
  }
  buildCli(join(installed, 'build', 'ztai-model', 'cli.js'));
  noTsNode = join(dir, 'no-ts-node.js');
  writeFileSync(
    noTsNode,
    `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'ts-node' || request.startsWith('ts-node/') || request.endsWith('.ts')) {
    throw new Error('ztai-model loaded ' + request + ' at run time');
  }
  return resolve.call(this, request, ...rest);
};
`,
  );
});

afterAll(async () => {
  await kms.stop();
  removeTempDirs();
  rmSync(join(installed, '..'), { recursive: true, force: true });
});

/** Run the bin asynchronously (a sync spawn would block the in-process KMS server). */
function ztaiModel(
  args: string[],
  bin = BIN,
  nodeArgs: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Only what the CLI needs: PATH plus the SDK variables pointing at the local endpoint.
  const env = { PATH: process.env.PATH ?? '', HOME: tempDir('ztai-home-'), ...kms.env() };
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, bin, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('sign and verify through AWS_ENDPOINT_URL_KMS; tampering exits 1, an unknown key exits 2', async () => {
  const dir = tempDir();
  const model = writeTree(join(dir, 'model'), MODEL_FILES);
  const bundle = join(dir, 'bundle.json');
  const signs = kms.requestsFor('Sign').length;

  const signed = await ztaiModel(['sign', '--key', 'alias/release-signing', '--out', bundle, model]);
  expect(signed).toMatchObject({ code: 0, stderr: '' });
  expect(signed.stdout).toMatch(/^signed: 4 files /);
  expect(kms.requestsFor('Sign')).toHaveLength(signs + 1);
  expect(JSON.parse(readFileSync(bundle, 'utf8')).signature.keyArn).toBe(key.arn);

  const verified = await ztaiModel(['verify', '--bundle', bundle, '--key', 'alias/release-signing', model]);
  expect(verified).toMatchObject({ code: 0, stderr: '' });
  expect(verified.stdout).toMatch(/^valid: 4 files /);

  writeFileSync(join(model, 'config.json'), '{"architecture":"tampered"}\n');
  const tampered = await ztaiModel(['verify', '--bundle', bundle, '--key', key.arn, model]);
  expect(tampered.code).toBe(1);
  expect(tampered.stdout).toBe('');
  expect(tampered.stderr).toMatch(
    /^ztai-model: invalid: files differ from the bundle: changed "config\.json" \(size 28, signed 24\)\n$/,
  );

  const unknown = await ztaiModel(['verify', '--bundle', bundle, '--key', 'alias/unknown', model]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/^ztai-model: error: unknown KMS key 'alias\/unknown' \(KMS Verify: .*\)\n$/);
});

test('installed, it runs the built JavaScript: sign and verify with no ts-node and no TypeScript sources', async () => {
  const bin = join(installed, 'bin', 'ztai-model.js');
  const run = (args: string[]) => ztaiModel(args, bin, ['--require', noTsNode]);
  const dir = tempDir();
  const model = writeTree(join(dir, 'model'), MODEL_FILES);
  const bundle = join(dir, 'bundle.json');

  const signed = await run(['sign', '--key', 'alias/release-signing', '--out', bundle, model]);
  expect(signed).toMatchObject({ code: 0, stderr: '' });
  expect(signed.stdout).toMatch(/^signed: 4 files /);

  const verified = await run(['verify', '--bundle', bundle, '--key', 'alias/release-signing', model]);
  expect(verified).toMatchObject({ code: 0, stderr: '' });
  expect(verified.stdout).toMatch(/^valid: 4 files /);

  // A negative control for the guard: with it, loading ts-node fails.
  const guarded = await new Promise<number>((resolve) =>
    execFile(process.execPath, ['--require', noTsNode, '-e', "require('ts-node')"], { cwd: ROOT }, (err) =>
      resolve(err ? Number(err.code) : 0),
    ),
  );
  expect(guarded).not.toBe(0);
});

test('installed without a build, it says what to run instead of a stack trace', async () => {
  const result = await ztaiModel(['--version'], join(unbuilt, 'bin', 'ztai-model.js'));
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(
    'ztai-model: error: this installation has no built CLI (build/ztai-model/cli.js): ' +
      'reinstall the package, or run `npm run build:cli`\n',
  );
});

test('--help works without AWS configuration', async () => {
  const result = await ztaiModel(['--help']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^Usage:/);
});
