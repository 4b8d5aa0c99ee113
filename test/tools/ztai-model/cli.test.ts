/**
 * The CLI in-process (`run()`), with the real @aws-sdk/client-kms client talking to a local KMS endpoint.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalManifest } from '../../../constructs/signing/manifest';
import { parseBundle } from '../../../constructs/signing/bundle';
import { run } from '../../../tools/ztai-model/cli';
import { LocalKms, LocalKmsKey } from '../../helpers/local-kms';
import { MODEL_FILES, MemoryIo, removeTempDirs, tempDir, writeTree } from './fixtures';

let kms: LocalKms;
let signingKey: LocalKmsKey;
let otherKey: LocalKmsKey;

beforeAll(async () => {
  kms = await LocalKms.start();
  signingKey = kms.createKey('alias/model-signing');
  otherKey = kms.createKey('alias/other');
});

afterAll(async () => {
  await kms.stop();
  removeTempDirs();
});

interface Workspace {
  dir: string;
  model: string;
  bundle: string;
  pem: string;
  otherPem: string;
}

/** A model, a signed bundle next to it and both public keys, in a fresh directory. */
async function signedWorkspace(files = MODEL_FILES, extraArgs: string[] = []): Promise<Workspace> {
  const dir = tempDir();
  const ws = {
    dir,
    model: writeTree(join(dir, 'model'), files),
    bundle: join(dir, 'bundle.json'),
    pem: join(dir, 'signing.pem'),
    otherPem: join(dir, 'other.pem'),
  };
  writeFileSync(ws.pem, signingKey.publicKeyPem);
  writeFileSync(ws.otherPem, otherKey.publicKeyPem);
  const result = await cli('sign', '--key', 'alias/model-signing', '--out', ws.bundle, ...extraArgs, ws.model);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return ws;
}

async function cli(...argv: string[]) {
  const io = new MemoryIo(() => new KMSClient(kms.clientConfig()));
  const code = await run(argv, io);
  return { code, stdout: io.stdoutText, stderr: io.stderrText };
}

/** Expect a failure with `code` and exactly one stderr line matching `message`. */
function expectFailure(result: { code: number; stdout: string; stderr: string }, code: 1 | 2, message: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(code === 1 ? /^ztai-model: invalid: / : /^ztai-model: error: /);
  expect(result.stderr).toMatch(message);
}

describe('sign', () => {
  test('signs the manifest digest with kms:Sign (ECDSA_SHA_256, DIGEST) and writes the bundle', async () => {
    const before = kms.requestsFor('Sign').length;
    const ws = await signedWorkspace();
    const bundle = parseBundle(readFileSync(ws.bundle, 'utf8'), ws.bundle);

    expect(bundle.manifest.files.map((f) => f.path)).toEqual([
      'config.json',
      'tokenizer/vocab.txt',
      'weights/model-00002.bin',
      'weights/model.bin',
    ]);
    const expectedSha = createHash('sha256').update(MODEL_FILES['weights/model.bin']).digest('hex');
    expect(bundle.manifest.files[3]).toEqual({ path: 'weights/model.bin', size: 4096, sha256: expectedSha });
    // The ARN from the Sign response, not the alias given on the command line.
    expect(bundle.signature).toMatchObject({
      algorithm: 'ECDSA_SHA_256',
      keyArn: signingKey.arn,
      signedAt: '2025-01-02T03:04:05.000Z',
    });

    const requests = kms.requestsFor('Sign').slice(before);
    expect(requests).toHaveLength(1);
    const digest = createHash('sha256').update(canonicalManifest(bundle.manifest)).digest();
    expect(requests[0].body).toEqual({
      KeyId: 'alias/model-signing',
      Message: digest.toString('base64'),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(bundle.manifestSha256).toBe(digest.toString('hex'));
    // The real SDK signed the request with the static test credentials.
    expect(requests[0].headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCALKMSTEST\/\d{8}\/us-east-1\/kms\//,
    );
  });

  test('prints one summary line on stdout', async () => {
    const dir = tempDir();
    const model = writeTree(join(dir, 'model'), MODEL_FILES);
    const result = await cli('sign', '--key', signingKey.keyId, '--out', join(dir, 'b.json'), model);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^signed: 4 files \\(5\\.0 KiB\\) in .*; manifest sha256 [0-9a-f]{64}; key ${signingKey.arn}; bundle .*b\\.json\\n$`,
      ),
    );
  });

  test('--subject binds the signature to a workload, model and version', async () => {
    const ws = await signedWorkspace(MODEL_FILES, ['--subject', 'fraud/scorer/1.2.0']);
    const bundle = parseBundle(readFileSync(ws.bundle, 'utf8'), ws.bundle);
    expect(bundle.manifest.subject).toEqual({ workload: 'fraud', model: 'scorer', version: '1.2.0' });
    const result = await cli('verify', '--bundle', ws.bundle, '--public-key', ws.pem, ws.model);
    expect(result.stdout).toContain('; subject fraud/scorer/1.2.0;');
  });

  test('an unknown key: exit 2 and no bundle written', async () => {
    const dir = tempDir();
    const model = writeTree(join(dir, 'model'), MODEL_FILES);
    const out = join(dir, 'b.json');
    expectFailure(
      await cli('sign', '--key', 'alias/missing', '--out', out, model),
      2,
      /unknown KMS key 'alias\/missing' \(KMS Sign: Alias arn:aws:kms:us-east-1:111122223333:alias\/missing is not found\.\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  test('no region or credentials: exit 2 before the model is hashed or KMS is called', async () => {
    const dir = tempDir();
    const model = writeTree(join(dir, 'model'), MODEL_FILES);
    // A symlink the walk would refuse: the region error must come first, so nothing was walked or hashed.
    symlinkSync(join(model, 'config.json'), join(model, 'link.json'));
    const before = kms.requests.length;
    const noRegion = () =>
      new KMSClient({
        ...kms.clientConfig(),
        region: async () => {
          throw new Error('Region is missing');
        },
      });
    const io = new MemoryIo(noRegion);
    expect(await run(['sign', '--key', 'alias/model-signing', '--out', join(dir, 'b.json'), model], io)).toBe(2);
    expect(io.stderrText).toBe(
      "ztai-model: error: KMS Sign failed for key 'alias/model-signing': no AWS region: set AWS_REGION or a profile region\n",
    );
    expect(kms.requests.length).toBe(before);
  });

  test('a disabled key: exit 2 naming the KMS error', async () => {
    const key = kms.createKey();
    key.enabled = false;
    const dir = tempDir();
    const model = writeTree(join(dir, 'model'), MODEL_FILES);
    expectFailure(
      await cli('sign', '--key', key.arn, '--out', join(dir, 'b.json'), model),
      2,
      /KMS Sign failed for key .*: DisabledException: /,
    );
  });

  test('a symlink in the model is refused', async () => {
    const dir = tempDir();
    const model = writeTree(join(dir, 'model'), MODEL_FILES);
    symlinkSync('/etc/hostname', join(model, 'weights', 'link.bin'));
    const before = kms.requestsFor('Sign').length;
    expectFailure(
      await cli('sign', '--key', 'alias/model-signing', '--out', join(dir, 'b.json'), model),
      2,
      /symlink refused: .*weights\/link\.bin/,
    );
    expect(kms.requestsFor('Sign').length).toBe(before);
    expect(existsSync(join(dir, 'b.json'))).toBe(false);
  });

  test('--out inside the model directory is refused (the bundle would become part of the model)', async () => {
    const dir = tempDir();
    const model = writeTree(join(dir, 'model'), MODEL_FILES);
    expectFailure(
      await cli('sign', '--key', 'alias/model-signing', '--out', join(model, 'bundle.json'), model),
      2,
      /--out .* is inside the model/,
    );
  });
});

describe('verify', () => {
  test('offline with the PEM public key: exit 0, no KMS call', async () => {
    const ws = await signedWorkspace();
    const before = kms.requests.length;
    const result = await cli('verify', '--bundle', ws.bundle, '--public-key', ws.pem, ws.model);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^valid: 4 files \(5\.0 KiB\) in .* match .*bundle\.json; signature verified with public key .*signing\.pem; /,
    );
    expect(kms.requests.length).toBe(before);
  });

  test('with kms:Verify: exit 0, the digest and DER signature sent to KMS', async () => {
    const ws = await signedWorkspace();
    const bundle = parseBundle(readFileSync(ws.bundle, 'utf8'), ws.bundle);
    const before = kms.requestsFor('Verify').length;
    const result = await cli('verify', '--bundle', ws.bundle, '--key', 'alias/model-signing', ws.model);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(
      kms
        .requestsFor('Verify')
        .slice(before)
        .map((r) => r.body),
    ).toEqual([
      {
        KeyId: 'alias/model-signing',
        Message: Buffer.from(bundle.manifestSha256, 'hex').toString('base64'),
        MessageType: 'DIGEST',
        Signature: bundle.signature.value,
        SigningAlgorithm: 'ECDSA_SHA_256',
      },
    ]);
  });

  test('a single-file model round-trips', async () => {
    const dir = tempDir();
    writeTree(dir, { 'model.gguf': Buffer.alloc(3000, 9) });
    writeFileSync(join(dir, 'k.pem'), signingKey.publicKeyPem);
    expect(
      (await cli('sign', '--key', 'alias/model-signing', '--out', join(dir, 'b.json'), join(dir, 'model.gguf'))).code,
    ).toBe(0);
    expect(
      (
        await cli(
          'verify',
          '--bundle',
          join(dir, 'b.json'),
          '--public-key',
          join(dir, 'k.pem'),
          join(dir, 'model.gguf'),
        )
      ).code,
    ).toBe(0);
  });

  describe.each([
    ['offline', (ws: Workspace) => ['--public-key', ws.pem]],
    ['kms:Verify', () => ['--key', signingKey.arn]],
  ])('rejects a tampered model (%s)', (_mode, keyArgs) => {
    test('a changed byte: exit 1 naming the file', async () => {
      const ws = await signedWorkspace();
      const file = join(ws.model, 'weights', 'model.bin');
      const content = readFileSync(file);
      content[1000] ^= 0x01;
      writeFileSync(file, content);
      expectFailure(
        await cli('verify', '--bundle', ws.bundle, ...keyArgs(ws), ws.model),
        1,
        /file changed: "weights\/model\.bin" \(sha256 /,
      );
    });

    test('an added file: exit 1', async () => {
      const ws = await signedWorkspace();
      writeTree(ws.model, { 'tokenizer/extra.txt': 'injected' });
      expectFailure(
        await cli('verify', '--bundle', ws.bundle, ...keyArgs(ws), ws.model),
        1,
        /files differ from the bundle: extra "tokenizer\/extra\.txt" \(not in the bundle\)$/m,
      );
    });

    test('a removed file: exit 1', async () => {
      const ws = await signedWorkspace();
      rmSync(join(ws.model, 'config.json'));
      expectFailure(
        await cli('verify', '--bundle', ws.bundle, ...keyArgs(ws), ws.model),
        1,
        /files differ from the bundle: missing "config\.json"$/m,
      );
    });

    test('the manifest edited to match a changed file: exit 1', async () => {
      const ws = await signedWorkspace();
      writeFileSync(join(ws.model, 'config.json'), '{"architecture":"evil"}\n');
      const bundle = JSON.parse(readFileSync(ws.bundle, 'utf8'));
      bundle.manifest.files[0].sha256 = createHash('sha256').update('{"architecture":"evil"}\n').digest('hex');
      writeFileSync(ws.bundle, JSON.stringify(bundle));
      expectFailure(
        await cli('verify', '--bundle', ws.bundle, ...keyArgs(ws), ws.model),
        1,
        /manifest does not match its manifestSha256/,
      );
    });

    test('the manifest and its digest both edited: exit 1 on the signature', async () => {
      const ws = await signedWorkspace();
      writeFileSync(join(ws.model, 'config.json'), '{"architecture":"evil"}\n');
      const bundle = JSON.parse(readFileSync(ws.bundle, 'utf8'));
      bundle.manifest.files[0].sha256 = createHash('sha256').update('{"architecture":"evil"}\n').digest('hex');
      bundle.manifestSha256 = createHash('sha256').update(canonicalManifest(bundle.manifest)).digest('hex');
      writeFileSync(ws.bundle, JSON.stringify(bundle));
      expectFailure(
        await cli('verify', '--bundle', ws.bundle, ...keyArgs(ws), ws.model),
        1,
        /signature does not verify with /,
      );
    });

    test('a truncated bundle: exit 2', async () => {
      const ws = await signedWorkspace();
      const text = readFileSync(ws.bundle, 'utf8');
      writeFileSync(ws.bundle, text.slice(0, Math.floor(text.length * 0.6)));
      expectFailure(
        await cli('verify', '--bundle', ws.bundle, ...keyArgs(ws), ws.model),
        2,
        /malformed bundle .*bundle\.json: not valid JSON/,
      );
    });

    test('a symlink in the model: exit 2', async () => {
      const ws = await signedWorkspace();
      symlinkSync(join(ws.model, 'config.json'), join(ws.model, 'config-link.json'));
      expectFailure(
        await cli('verify', '--bundle', ws.bundle, ...keyArgs(ws), ws.model),
        2,
        /symlink refused: .*config-link\.json/,
      );
    });
  });

  test('signed by a different key, checked offline: exit 1', async () => {
    const ws = await signedWorkspace();
    expectFailure(
      await cli('verify', '--bundle', ws.bundle, '--public-key', ws.otherPem, ws.model),
      1,
      /signature does not verify with public key .*other\.pem$/m,
    );
  });

  test('signed by a different key, checked with kms:Verify: exit 1', async () => {
    const ws = await signedWorkspace();
    expectFailure(
      await cli('verify', '--bundle', ws.bundle, '--key', 'alias/other', ws.model),
      1,
      /signature does not verify with KMS key alias\/other$/m,
    );
  });

  test('an unknown verification key: exit 2', async () => {
    const ws = await signedWorkspace();
    expectFailure(
      await cli('verify', '--bundle', ws.bundle, '--key', 'alias/nope', ws.model),
      2,
      /unknown KMS key 'alias\/nope' \(KMS Verify: /,
    );
  });

  test('a public key file that is not P-256: exit 2', async () => {
    const ws = await signedWorkspace();
    writeFileSync(ws.pem, '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n');
    expectFailure(
      await cli('verify', '--bundle', ws.bundle, '--public-key', ws.pem, ws.model),
      2,
      /is not a PEM or DER public key/,
    );
  });

  test('a missing bundle or model path: exit 2', async () => {
    const ws = await signedWorkspace();
    expectFailure(
      await cli('verify', '--bundle', join(ws.dir, 'none.json'), '--public-key', ws.pem, ws.model),
      2,
      /cannot read bundle .*none\.json/,
    );
    expectFailure(
      await cli('verify', '--bundle', ws.bundle, '--public-key', ws.pem, join(ws.dir, 'gone')),
      2,
      /cannot read .*gone: no such file or directory/,
    );
  });
});

describe('public-key', () => {
  test('exports the key as PEM via kms:GetPublicKey, usable for offline verify', async () => {
    const ws = await signedWorkspace();
    const pem = join(ws.dir, 'exported.pem');
    expect((await cli('public-key', '--key', 'alias/model-signing', '--out', pem)).code).toBe(0);
    expect(readFileSync(pem, 'utf8')).toBe(signingKey.publicKeyPem);
    expect((await cli('verify', '--bundle', ws.bundle, '--public-key', pem, ws.model)).code).toBe(0);
    expect((await cli('public-key', '--key', 'alias/model-signing')).stdout).toBe(signingKey.publicKeyPem);
  });
});

describe('usage', () => {
  test('--help prints usage on stdout, exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['sign', '--help'], ['verify', '-h']]) {
      const result = await cli(...argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage:\n {2}ztai-model sign {3}--key <key> --out <bundle\.json>/);
      expect(result.stdout).toContain(
        'Exit codes: 0 valid (or signed), 1 invalid (signature, digest, file set), 2 usage or input error.',
      );
    }
  });

  test.each([
    [[], /no command given \(see ztai-model --help\)/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['sign', '--out', 'b.json', 'model'], /sign needs --key/],
    [['sign', '--key', 'k', 'model'], /sign needs --out/],
    [['sign', '--key', 'k', '--out', 'b.json'], /sign needs exactly one model file or directory, got 0/],
    [['sign', '--key', 'k', '--out', 'b.json', 'a', 'b'], /got 2/],
    [
      ['sign', '--key', 'k', '--out', 'b.json', '--subject', 'w/m', 'x'],
      /--subject must be <workload>\/<model>\/<version>/,
    ],
    [['sign', '--key', 'k', '--out', 'b.json', '--subject', 'w/../v', 'x'], /--subject segment "\.\."/],
    [['sign', '--key', 'k', '--out', 'b.json', '--force', 'x'], /unknown option --force for sign/],
    [['sign', '--key'], /sign: Option '--key <value>' argument missing/],
    [['verify', '--bundle', 'b.json', 'model'], /verify needs exactly one of --public-key <file> or --key <key>/],
    [['verify', '--bundle', 'b.json', '--key', 'k', '--public-key', 'p', 'model'], /verify needs exactly one of/],
    [['verify', '--key', 'k', 'model'], /verify needs --bundle/],
    [['public-key'], /public-key needs --key/],
  ])('%j: exit 2', async (argv, message) => {
    expectFailure(await cli(...argv), 2, message);
  });
});
