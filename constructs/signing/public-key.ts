/**
 * Offline signature check against a P-256 public key (PEM or DER SubjectPublicKeyInfo), with node:crypto.
 * The key is what `aws kms get-public-key` (or `ztai-model public-key`) returns for the signing key.
 */
import { KeyObject, createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ModelInputError, errorMessage } from './errors';
import { SignatureVerifier } from './signing';

/** Verifies bundle signatures with a local EC P-256 public key. */
export class PublicKeyVerifier implements SignatureVerifier {
  private constructor(
    private readonly key: KeyObject,
    public readonly description: string,
  ) {}

  /** Read a public key file (PEM, or DER SubjectPublicKeyInfo). Throws {@link ModelInputError}. */
  public static async fromFile(path: string): Promise<PublicKeyVerifier> {
    const data = await readFile(path).catch((err: unknown) => {
      throw new ModelInputError('public-key-invalid', `cannot read public key ${path}: ${errorMessage(err)}`);
    });
    return PublicKeyVerifier.fromKeyData(data, `public key ${path}`);
  }

  /** Parse key bytes (PEM text or DER SPKI). `description` names the key in messages. */
  public static fromKeyData(data: Buffer, description: string): PublicKeyVerifier {
    const text = data.toString('utf8');
    if (text.includes('PRIVATE KEY')) {
      throw new ModelInputError('public-key-invalid', `${description} is a private key; pass the public key`);
    }
    let key: KeyObject;
    try {
      key = text.includes('-----BEGIN')
        ? createPublicKey({ key: text, format: 'pem' })
        : createPublicKey({ key: data, format: 'der', type: 'spki' });
    } catch (err) {
      throw new ModelInputError(
        'public-key-invalid',
        `${description} is not a PEM or DER public key (${errorMessage(err)})`,
      );
    }
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
      throw new ModelInputError(
        'public-key-invalid',
        `${description} is a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''} key; bundles are signed with EC P-256 (ECC_NIST_P256)`,
      );
    }
    return new PublicKeyVerifier(key, description);
  }

  /** ECDSA-with-SHA-256 over the canonical bytes: the same check as ECDSA over their SHA-256 digest. */
  public async verify(canonical: Buffer, _digest: Buffer, signature: Buffer): Promise<boolean> {
    try {
      return verify('sha256', canonical, { key: this.key, dsaEncoding: 'der' }, signature);
    } catch {
      return false; // a malformed DER signature is an invalid signature
    }
  }
}
