import {
  MAX_BUNDLE_BYTES,
  createBundle,
  parseBundle,
  serializeBundle,
  signatureBytes,
} from '../../../constructs/signing/bundle';
import { ModelInputError } from '../../../constructs/signing/errors';
import { createManifest, manifestDigest } from '../../../constructs/signing/manifest';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
// A structurally valid DER ECDSA signature: SEQUENCE { INTEGER 1..., INTEGER 2... } (32-byte integers).
const DER = Buffer.concat([
  Buffer.from([0x30, 68, 0x02, 32]),
  Buffer.alloc(32, 1),
  Buffer.from([0x02, 32]),
  Buffer.alloc(32, 2),
]);
const manifest = createManifest([{ path: 'model.bin', size: 3, sha256: 'c'.repeat(64) }]);
const bundle = createBundle(manifest, DER, KEY_ARN, new Date('2025-01-02T03:04:05Z'));
const text = serializeBundle(bundle);

function malformed(value: unknown): string {
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    parseBundle(json, 'b.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ModelInputError);
    expect((err as ModelInputError).reason).toBe('bundle-malformed');
    return (err as Error).message;
  }
  throw new Error('bundle was accepted');
}

describe('bundle', () => {
  test('holds the manifest, its digest, the base64 DER signature, key ARN, algorithm, time and format version', () => {
    expect(JSON.parse(text)).toEqual({
      format: 'ztai-model-bundle',
      formatVersion: 1,
      manifest: { format: 'ztai-model-manifest/v1', files: [{ path: 'model.bin', size: 3, sha256: 'c'.repeat(64) }] },
      manifestSha256: manifestDigest(manifest).toString('hex'),
      signature: {
        algorithm: 'ECDSA_SHA_256',
        keyArn: KEY_ARN,
        signedAt: '2025-01-02T03:04:05.000Z',
        value: DER.toString('base64'),
      },
    });
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('round-trips through parseBundle', () => {
    const parsed = parseBundle(text, 'b.json');
    expect(parsed).toEqual(bundle);
    expect(signatureBytes(parsed).equals(DER)).toBe(true);
  });

  test.each([
    ['truncated', text.slice(0, text.length / 2), /^malformed bundle b\.json: not valid JSON/],
    ['empty', '', /not valid JSON/],
    ['an array', [], /not a JSON object/],
    ['a different format', { ...bundle, format: 'sigstore' }, /format must be "ztai-model-bundle"/],
    [
      'a newer format version',
      { ...bundle, formatVersion: 2 },
      /formatVersion 2 is not supported \(this tool reads 1\)/,
    ],
    ['an unknown field', { ...bundle, extra: true }, /unknown field "extra"/],
    ['no manifest', { ...bundle, manifest: undefined }, /manifest must be an object/],
    [
      'a bad manifest entry',
      { ...bundle, manifest: { ...manifest, files: [{ path: '/x', size: 1, sha256: 'c'.repeat(64) }] } },
      /starts with '\/'/,
    ],
    ['a bad manifestSha256', { ...bundle, manifestSha256: 'xyz' }, /manifestSha256 must be 64/],
    [
      'another algorithm',
      { ...bundle, signature: { ...bundle.signature, algorithm: 'RSASSA_PSS_SHA_256' } },
      /algorithm must be "ECDSA_SHA_256"/,
    ],
    [
      'an alias instead of a key ARN',
      { ...bundle, signature: { ...bundle.signature, keyArn: 'alias/x' } },
      /keyArn must be a KMS key ARN/,
    ],
    [
      'a local time',
      { ...bundle, signature: { ...bundle.signature, signedAt: '2025-01-02 03:04' } },
      /signedAt must be an ISO 8601 UTC time/,
    ],
    [
      'a non-base64 signature',
      { ...bundle, signature: { ...bundle.signature, value: 'not base64!' } },
      /value must be base64/,
    ],
    [
      'a signature that is not DER',
      { ...bundle, signature: { ...bundle.signature, value: Buffer.alloc(64, 7).toString('base64') } },
      /not a DER ECDSA P-256 signature \(64 bytes\)/,
    ],
    [
      'an unknown signature field',
      { ...bundle, signature: { ...bundle.signature, certificate: 'x' } },
      /signature has unknown field "certificate"/,
    ],
  ])('refuses %s', (_what, value, message) => {
    const result = malformed(value);
    expect(result).toMatch(message);
    expect(result).not.toMatch(/\n/);
  });

  test('the size limit leaves room for a large manifest', () => {
    expect(MAX_BUNDLE_BYTES).toBeGreaterThanOrEqual(32 * 1024 * 1024);
  });
});
