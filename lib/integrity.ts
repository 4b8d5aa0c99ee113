import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ModelAdmissionGate, ModelSignerRole, ModelSigningKey } from '../constructs/integrity';
import { APPROVED_PREFIX, INCOMING_PREFIX } from '../constructs/integrity/admission/admission';
import { acknowledgeWildcardResource } from '../constructs/private/nag';
import {
  admissionRoleName,
  admissionRolePath,
  guardRulesBucketName,
  malwareScanRoleArn,
  platformKeyAlias,
  releaseRoleName,
  releaseRolePath,
} from './config/names';
import { ModelIntegrityConfig, PlatformConfig } from './config/platform-config';
import type { PlatformStack } from './platform-stack';

// The config's type and its validation live with the config (lib/config); re-exported for existing importers.
export type { ModelIntegrityConfig } from './config/platform-config';
export { validateModelIntegrityConfig } from './config/validate-config';

/** What `addModelIntegrity` adds to the platform stack. */
export interface ModelIntegrity {
  readonly signer: ModelSignerRole;
  readonly signingKey: ModelSigningKey;
  readonly gate: ModelAdmissionGate;
  /** For `AuditStack`'s `admissionRoleArnPatterns`: the admission role's ARN, built from its name (no cross-stack reference). */
  readonly admissionRoleArnPatterns: string[];
}

/** The alias of the model-signing key: the permissions boundary admits signing-key use by it. */
export function signingKeyAlias(config: PlatformConfig): string {
  return platformKeyAlias(config.platformName, 'model-signing');
}

/**
 * Add model signing and admission to the platform stack: the release role (`releaseRoleName`, path
 * `releaseRolePath`: signs, uploads models and bundles to `incoming/` of the models bucket, pushes
 * model-server images to the workload repositories `<platform stack>/<workload>`), the asymmetric
 * signing key, the admission gate (in the data tier, triggered by bundles under `incoming/` of the
 * models bucket) and the models bucket's denial of `approved/` writes to everyone but the gate.
 *
 * Everything lives in the platform stack, beside the models bucket (the gate listens to the bucket's
 * EventBridge events); nothing here references a workload or audit stack. The release role's push
 * grant on each workload repository is added by the app once the workloads exist (lib/platform-app.ts).
 */
export function addModelIntegrity(
  platform: PlatformStack,
  config: PlatformConfig,
  integrity: ModelIntegrityConfig = {},
): ModelIntegrity {
  const name = config.platformName;
  const signer = new ModelSignerRole(platform, 'ModelSigner', {
    releasePrincipalArns: integrity.signerPrincipalArns ? [...integrity.signerPrincipalArns] : undefined,
    // A fixed name and path: the models bucket's VPC-endpoint exemption and the repository policies
    // name the role by its ARN, without a reference.
    roleName: releaseRoleName(name),
    path: releaseRolePath(name),
  });
  signer.grantUploadTo(platform.modelsBucket, INCOMING_PREFIX);
  const verifiers = (integrity.verifierRoleArns ?? []).map((arn, i) =>
    iam.Role.fromRoleArn(platform, `ModelVerifier${i}`, arn, { mutable: false }),
  );
  const signingKey = new ModelSigningKey(platform, 'ModelSigningKey', {
    signers: [signer.role],
    verifiers: verifiers.length > 0 ? verifiers : undefined,
    alias: signingKeyAlias(config),
  });

  const gate = new ModelAdmissionGate(platform, 'ModelAdmission', {
    modelsBucket: platform.modelsBucket,
    signingKey,
    network: platform.network,
    logsKey: platform.keys.logs.key,
    logRetention: config.logRetentionDays as logs.RetentionDays,
    allowBundlesWithoutSubject: integrity.allowBundlesWithoutSubject,
    // A fixed name and path: the bucket policy and the audit alarms name the role without a reference.
    roleName: admissionRoleName(name, Aws.REGION),
    rolePath: admissionRolePath(name),
    // GuardDuty (production profile) tags every object it scans, the approved copies included.
    approvedTaggingPrincipalArns: config.profile === 'production' ? [malwareScanRoleArn(config)] : undefined,
  });

  capBoundary(platform, config, gate);
  return { signer, signingKey, gate, admissionRoleArnPatterns: [gate.roleArn] };
}

/**
 * Raise the permissions boundary's ceiling exactly as far as signing and admission need.
 *
 * The signing key is admitted by its alias, not with `capToKeys(signingKey)`: the key's policy names
 * the signer and admission roles, the roles carry the boundary, and a boundary naming the key would
 * close the loop (key → roles → boundary → key), which CloudFormation refuses.
 */
function capBoundary(platform: PlatformStack, config: PlatformConfig, gate: ModelAdmissionGate): void {
  const boundary = platform.boundary;
  const anyKeyOfThisAccount = `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`;
  // Production: the governance stack's Guard-hook key and rules bucket (alias/<platform>/guard-hook,
  // <platform>-guard-rules-…), by alias and by name: that stack deploys after this one. One statement keeps the
  // boundary short: an action the key's type does not support (Sign with a symmetric key, Decrypt with a
  // signing key) fails anyway.
  const production = config.profile === 'production';
  boundary.policy.addStatements(
    new iam.PolicyStatement({
      sid: 'KeysByAlias',
      actions: [
        'kms:GetPublicKey',
        'kms:Sign',
        'kms:Verify',
        ...(production ? ['kms:Decrypt', 'kms:GenerateDataKey'] : []),
      ],
      resources: [anyKeyOfThisAccount],
      // Production: any key with a platform alias (the signing and Guard-hook keys, and platform keys this
      // boundary admits anyway), as one short pattern.
      conditions: production
        ? { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': platformKeyAlias(config.platformName, '*') } }
        : { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': signingKeyAlias(config) } },
    }),
  );
  if (production) {
    // By its name's prefix, without account and region: one short entry (the boundary holds 6,144 characters).
    boundary.capToBucketArnPatterns(
      `arn:${Aws.PARTITION}:s3:::${guardRulesBucketName(config.platformName, '', '').replace(/-+$/, '')}-*`,
    );
  }
  acknowledgeWildcardResource(
    boundary.policy.node.defaultChild!,
    anyKeyOfThisAccount,
    'Keys admitted only by alias (kms:ResourceAliases): the model-signing key, whose key policy names the one signer ' +
      'and the verifiers, and in production the Guard hook key, which S3 uses for the rules bucket only.',
  );
  boundary.capToKeys(gate.deadLetterQueueKey);
  const approved = platform.modelsBucket.bucket.arnForObjects(`${APPROVED_PREFIX}*`);
  boundary.permit('ModelAdmissionCleanup', ['s3:DeleteObject'], [approved]);
  acknowledgeWildcardResource(
    boundary.policy.node.defaultChild!,
    approved,
    'The gate deletes leftovers of an interrupted copy under approved/; the bucket policy denies approved/ deletes to every other role.',
  );
  boundary.permit('ModelAdmissionDeadLetters', ['sqs:SendMessage'], [gate.deadLetterQueue.queueArn]);
}
