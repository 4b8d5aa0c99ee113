import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PlatformValidationError, describeValue } from '../private/validation';
import * as perms from './integrity-perms';

export interface ModelSigningKeyProps {
  /**
   * The roles that sign model releases: the only principals the key policy lets call `kms:Sign`
   * (with `ECDSA_SHA_256` over a digest, as `ztai-model sign` does). They may also read the public key
   * (`kms:GetPublicKey`), to publish it for offline verification. Never a role that can deploy or
   * change endpoints.
   */
  readonly signers: iam.IRole[];
  /**
   * Roles allowed to verify signatures (`kms:Verify`) and read the public key (`kms:GetPublicKey`),
   * besides the admission gate (which is added with `grantVerify`).
   * @default - none
   */
  readonly verifiers?: iam.IRole[];
  /**
   * Principals that administer the key: enable, disable, describe, tag, alias, change the policy,
   * schedule deletion. They get no cryptographic action and cannot create grants.
   * @default - the account root, so IAM policies decide who administers the key
   */
  readonly admins?: iam.IPrincipal[];
  /** Alias, without the `alias/` prefix. @default - no alias */
  readonly alias?: string;
  /** Description. @default 'Zero-trust AI platform: model signing (ECC_NIST_P256, SIGN_VERIFY)' */
  readonly description?: string;
}

/**
 * The asymmetric KMS key that signs model releases (`ECC_NIST_P256`, `SIGN_VERIFY`), retained on
 * stack deletion and on update rollback (deleted only when its own creation rolls back, so a failed
 * first deploy can be retried), with a 30-day pending window.
 *
 * Its policy is the whole access model, with no delegation of cryptographic use to IAM:
 * administration is an explicit list separate from use (administrators get no `kms:Sign`,
 * `kms:Verify`, `kms:GetPublicKey` or `kms:CreateGrant`, and no `kms:Create*`/`kms:Get*` wildcard);
 * only the signer roles may `kms:Sign`; only principals given `grantVerify` (the admission gate) and
 * the named verifiers may `kms:Verify`; only the signers and principals given `grantPublicKey` (the
 * admission gate, the named verifiers) may `kms:GetPublicKey`, which offline verification
 * (`ztai-model verify --public-key`) needs. A deployer with `kms:*` in its IAM policies therefore
 * still cannot sign, verify or read the public key.
 * Asymmetric keys cannot rotate: a new key means re-signing, or verifying with both keys for a while.
 */
export class ModelSigningKey extends Construct {
  /** The key. */
  public readonly key: kms.Key;
  public readonly keyArn: string;
  public readonly keyId: string;
  private statementCount = 0;

  constructor(scope: Construct, id: string, props: ModelSigningKeyProps) {
    super(scope, id);
    if (!props.signers || props.signers.length === 0) {
      throw new PlatformValidationError(
        this,
        'signers must name at least one signer role, got [] (a signing key nobody may sign with protects nothing)',
      );
    }
    if (props.verifiers !== undefined && props.verifiers.length === 0) {
      throw new PlatformValidationError(
        this,
        'verifiers must name at least one role when given, got [] (omit verifiers to let only the admission gate verify)',
      );
    }
    const admins = props.admins ?? [new iam.AccountRootPrincipal()];
    if (admins.length === 0) {
      throw new PlatformValidationError(this, 'admins must name at least one principal, got []');
    }
    const overlap = props.signers.find((s) => (props.verifiers ?? []).includes(s));
    if (overlap) {
      throw new PlatformValidationError(
        this,
        `a role cannot be both signer and verifier (separation of duties), got ${overlap.node.path} in signers and verifiers`,
      );
    }
    if (props.alias !== undefined && !Token.isUnresolved(props.alias)) {
      const name = props.alias.replace(/^alias\//, '');
      if (!/^[a-zA-Z0-9/_-]{1,250}$/.test(name) || name.startsWith('aws/')) {
        throw new PlatformValidationError(
          this,
          `alias must be 1-250 letters, digits, '/', '_' or '-', not starting with 'aws/', got ${describeValue(props.alias)}`,
        );
      }
    }

    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministrationWithoutCryptographicUse',
          principals: admins,
          actions: perms.SIGNING_KEY_ADMIN,
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'SignModelDigestsOnlyBySigners',
          principals: props.signers.map((r) => new iam.ArnPrincipal(r.roleArn)),
          actions: perms.SIGNING_KEY_SIGN,
          resources: ['*'],
          conditions: signingConditions(),
        }),
        // Signers publish the public key for offline verification (`ztai-model public-key`,
        // `aws kms get-public-key`: https://docs.aws.amazon.com/kms/latest/developerguide/download-public-key.html).
        new iam.PolicyStatement({
          sid: 'PublicKeyForSigners',
          principals: props.signers.map((r) => new iam.ArnPrincipal(r.roleArn)),
          actions: perms.SIGNING_KEY_PUBLIC_KEY,
          resources: ['*'],
        }),
      ],
    });
    this.key = new kms.Key(this, 'Resource', {
      description: props.description ?? 'Zero-trust AI platform: model signing (ECC_NIST_P256, SIGN_VERIFY)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      enableKeyRotation: false,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      policy,
    });
    if (props.alias) {
      this.key.addAlias(props.alias.startsWith('alias/') ? props.alias : `alias/${props.alias}`);
    }
    this.keyArn = this.key.keyArn;
    this.keyId = this.key.keyId;
    for (const verifier of props.verifiers ?? []) {
      this.grantVerify(verifier);
      this.grantPublicKey(verifier);
    }
  }

  /**
   * Let a principal verify model signatures: `kms:Verify` with `ECDSA_SHA_256` over a digest, in the key
   * policy (naming the principal's ARN) and in the principal's own IAM policy (so the permissions
   * boundary applies too).
   */
  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    return this.grantToNamedPrincipal('Verify', grantee, perms.SIGNING_KEY_VERIFY_ONLY, signingConditions());
  }

  /**
   * Let a principal read the public key (`kms:GetPublicKey`), for offline verification, in the key
   * policy (naming the principal's ARN) and in the principal's own IAM policy.
   */
  public grantPublicKey(grantee: iam.IGrantable): iam.Grant {
    return this.grantToNamedPrincipal('GetPublicKey', grantee, perms.SIGNING_KEY_PUBLIC_KEY);
  }

  private grantToNamedPrincipal(
    sid: string,
    grantee: iam.IGrantable,
    actions: string[],
    conditions?: Record<string, Record<string, unknown>>,
  ): iam.Grant {
    const principal = grantee.grantPrincipal;
    const arns = principal.policyFragment.principalJson.AWS;
    if (
      !arns ||
      arns.length === 0 ||
      principal instanceof iam.AccountRootPrincipal ||
      principal instanceof iam.AnyPrincipal
    ) {
      throw new PlatformValidationError(
        this,
        `grant${sid}: the grantee must be an IAM role or user, named by ARN in the key policy, got ${principal.toString()} ` +
          '(an account or anyone would hand the key to IAM policies)',
      );
    }
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `${sid}${this.statementCount++}`,
        principals: [principal],
        actions,
        resources: ['*'],
        conditions,
      }),
    );
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.keyArn] });
  }
}

/** `kms:Sign` and `kms:Verify` only as `ztai-model` uses them: ECDSA_SHA_256 over a SHA-256 digest. */
function signingConditions(): Record<string, Record<string, string>> {
  return {
    StringEquals: { 'kms:SigningAlgorithm': perms.SIGNING_ALGORITHM, 'kms:MessageType': perms.SIGNING_MESSAGE_TYPE },
  };
}
