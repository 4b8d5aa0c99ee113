/**
 * KMS signing, verification and public-key export for model bundles, with `@aws-sdk/client-kms`.
 *
 * The client uses the SDK's standard chains: credentials (environment, profile, SSO, web identity,
 * container and instance roles), region (`AWS_REGION`, profile) and endpoint (`AWS_ENDPOINT_URL_KMS`,
 * `AWS_ENDPOINT_URL`, or `endpoint_url` in the profile), so any KMS-compatible endpoint works.
 */
import {
  GetPublicKeyCommand,
  KMSClient,
  KMSClientConfig,
  SignCommand,
  SigningAlgorithmSpec,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { createPublicKey } from 'node:crypto';
import { SIGNING_ALGORITHM } from './bundle';
import { ModelInputError, errorCode, errorMessage } from './errors';
import { DigestSigner, SignatureVerifier } from './signing';

const ALGORITHM: SigningAlgorithmSpec = SIGNING_ALGORITHM;

/** A KMS client with the standard chains plus anything in `config` (tests pass an endpoint). */
export function createKmsClient(config: KMSClientConfig = {}): KMSClient {
  return new KMSClient({ customUserAgent: 'ztai-model', ...config });
}

/** Signs manifest digests with `kms:Sign` (ECDSA_SHA_256, MessageType DIGEST). */
export class KmsSigner implements DigestSigner {
  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  /**
   * Resolve region and credentials now, so a missing one fails before a large model is hashed.
   * (No KMS call: a signer role need not hold kms:GetPublicKey or kms:DescribeKey.)
   */
  public async preflight(): Promise<void> {
    try {
      await this.client.config.region();
      await this.client.config.credentials();
    } catch (err) {
      throw kmsError(err, 'Sign', this.keyId);
    }
  }

  public async sign(digest: Buffer): Promise<{ signature: Uint8Array; keyArn: string }> {
    const response = await this.client
      .send(new SignCommand({ KeyId: this.keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: ALGORITHM }))
      .catch((err: unknown) => {
        throw kmsError(err, 'Sign', this.keyId);
      });
    if (!response.Signature || !response.KeyId) {
      throw new ModelInputError('kms-error', `KMS Sign for key '${this.keyId}' returned no signature or key ARN`);
    }
    return { signature: response.Signature, keyArn: response.KeyId };
  }
}

/** Verifies bundle signatures with `kms:Verify` against the key the caller names (never the bundle's). */
export class KmsVerifier implements SignatureVerifier {
  public readonly description: string;

  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {
    this.description = `KMS key ${keyId}`;
  }

  public async verify(_canonical: Buffer, digest: Buffer, signature: Buffer): Promise<boolean> {
    try {
      const response = await this.client.send(
        new VerifyCommand({
          KeyId: this.keyId,
          Message: digest,
          MessageType: 'DIGEST',
          Signature: signature,
          SigningAlgorithm: ALGORITHM,
        }),
      );
      return response.SignatureValid === true;
    } catch (err) {
      // KMS answers an invalid signature with this error rather than SignatureValid: false.
      if ((err as { name?: string }).name === 'KMSInvalidSignatureException') return false;
      throw kmsError(err, 'Verify', this.keyId);
    }
  }
}

/** The signing key's public key as PEM (SubjectPublicKeyInfo), via `kms:GetPublicKey`. */
export async function fetchPublicKeyPem(client: KMSClient, keyId: string): Promise<{ pem: string; keyArn: string }> {
  const response = await client.send(new GetPublicKeyCommand({ KeyId: keyId })).catch((err: unknown) => {
    throw kmsError(err, 'GetPublicKey', keyId);
  });
  if (!response.PublicKey || !response.KeyId) {
    throw new ModelInputError('kms-error', `KMS GetPublicKey for key '${keyId}' returned no public key`);
  }
  if (response.KeySpec !== 'ECC_NIST_P256' || response.KeyUsage !== 'SIGN_VERIFY') {
    throw new ModelInputError(
      'kms-error',
      `KMS key '${keyId}' is ${response.KeySpec} ${response.KeyUsage}; model signing needs ECC_NIST_P256 SIGN_VERIFY`,
    );
  }
  const pem = createPublicKey({ key: Buffer.from(response.PublicKey), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { pem, keyArn: response.KeyId };
}

/** Turn an SDK or network failure into a one-line input error that names the operation and key. */
export function kmsError(err: unknown, operation: string, keyId: string): ModelInputError {
  const name = (err as { name?: string } | undefined)?.name ?? 'Error';
  const message = errorMessage(err);
  const code = errorCode(err);
  if (name === 'NotFoundException') {
    return new ModelInputError('kms-error', `unknown KMS key '${keyId}' (KMS ${operation}: ${message})`);
  }
  let what: string;
  if (name === 'CredentialsProviderError') {
    what = `no AWS credentials from the SDK's credential chain (${message})`;
  } else if (/region is missing/i.test(message)) {
    what = 'no AWS region: set AWS_REGION or a profile region';
  } else if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'ECONNRESET') {
    what = `cannot reach the KMS endpoint (${code}: ${message})`;
  } else {
    what = `${name}: ${message}`;
  }
  return new ModelInputError('kms-error', `KMS ${operation} failed for key '${keyId}': ${what}`);
}
