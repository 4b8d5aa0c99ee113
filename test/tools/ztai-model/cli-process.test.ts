/**
 * End to end: `bin/ztai-model.js` as a child process (no build step), reaching the local KMS only
 * through the SDK's standard `AWS_ENDPOINT_URL_KMS` setting. Few cases: each start costs about a second.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalKms, LocalKmsKey } from '../../helpers/local-kms';
import { MODEL_FILES, removeTempDirs, tempDir, writeTree } from './fixtures';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'ztai-model.js');

let kms: LocalKms;
let key: LocalKmsKey;

beforeAll(async () => {
  kms = await LocalKms.start();
  key = kms.createKey('alias/release-signing');
});

afterAll(async () => {
  await kms.stop();
  removeTempDirs();
});

/** Run the bin asynchronously (a sync spawn would block the in-process KMS server). */
function ztaiModel(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Only what the CLI needs: PATH plus the SDK variables pointing at the local endpoint.
  const env = { PATH: process.env.PATH ?? '', HOME: tempDir('ztai-home-'), ...kms.env() };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
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

test('--help works without AWS configuration', async () => {
  const result = await ztaiModel(['--help']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^Usage:/);
});
