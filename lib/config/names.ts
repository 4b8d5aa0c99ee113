import { Aws } from 'aws-cdk-lib';
import type { PlatformConfig } from './platform-config';

/**
 * Names the platform gives resources that other stacks (and bucket, key and repository policies)
 * must name before those resources exist. Each is built from config only (no tokens but the
 * region), so every stack can compute it without a cross-stack reference. IAM names are global to
 * the account: one platform per account and `platformName`.
 */

/** The role of a workload: `<platformName>-workload-<workload>` (at most 20 + 10 + 32 = 62 characters). */
export function workloadRoleName(platformName: string, workloadName: string): string {
  return `${platformName}-workload-${workloadName}`;
}

/**
 * The release role: signs models (kms:Sign), uploads them to `incoming/` of the models bucket from
 * outside the VPC (a CI runner), and pushes model-server images to the workload repositories.
 */
export function releaseRoleName(platformName: string): string {
  return `${platformName}-model-release`;
}

/** The IAM path of the API's integration (route) roles: the only roles that may invoke a SageMaker endpoint. */
export function apiRouteRolePath(platformName: string): string {
  return `/${platformName}/api-route/`;
}

/**
 * The Secrets Manager secret holding the API key of an API client (`api.clients[].caller`):
 * `<platformName>/api-clients/<caller>`. The API stack creates it; the caller's workload stack,
 * deployed before it, grants its role read access by this name.
 */
export function apiClientSecretName(platformName: string, caller: string): string {
  return `${platformName}/api-clients/${caller}`;
}

/** The IAM path of the release role. */
export function releaseRolePath(platformName: string): string {
  return `/${platformName}/model-signer/`;
}

/** The IAM path of SageMaker execution roles (real-time workloads); see constructs/inference. */
export const SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES = '/ztai/sagemaker-execution/';

/** A role's ARN from its path and name (the form `aws:PrincipalArn` takes for its sessions). */
export function roleArnFromName(partition: string, account: string, path: string, name: string): string {
  return `arn:${partition}:iam::${account}:role${path}${name}`;
}

/** The name of the GuardDuty malware-scan role in the production profile. */
export function malwareScanRoleName(config: Pick<PlatformConfig, 'platformName'>): string {
  return `${config.platformName}-malware-scan`;
}

/**
 * The ARN of the GuardDuty malware-scan role (production profile). The models bucket admits data
 * requests only through the S3 gateway endpoint; GuardDuty scans from outside the VPC, so this ARN
 * belongs in the models bucket's `vpcEndpointExemptPrincipalArns` when the profile is production.
 */
export function malwareScanRoleArn(config: Pick<PlatformConfig, 'platformName'>): string {
  return roleArnFromName(Aws.PARTITION, Aws.ACCOUNT_ID, '/', malwareScanRoleName(config));
}

// ---------------------------------------------------------------------------------------------------
// Stack and resource names built from `platformName` and a workload's name. The stacks call these;
// the validator (./rules.ts, `generatedNameProblems`) calls the same functions to derive each
// limit, so a name that passes validation is a name every service accepts.

/** The platform stack: `<platformName>-platform`. */
export function platformStackName(platformName: string): string {
  return `${platformName}-platform`;
}

/** A workload's stack: `<platformName>-workload-<workload>`. */
export function workloadStackName(platformName: string, workloadName: string): string {
  return `${platformName}-workload-${workloadName}`;
}

/** The SageMaker endpoint of a realtime-inference workload: `<workload stack>-endpoint`, lower case. */
export function workloadEndpointName(workloadStack: string): string {
  return `${workloadStack}-endpoint`.toLowerCase();
}

/** A workload's image repository (ECR): `<platform stack>/<workload>`, lower case. */
export function workloadRepositoryName(platformStack: string, workloadName: string): string {
  return `${platformStack}/${workloadName}`.toLowerCase();
}

/** A platform bucket: `<platformName>-<purpose>-<account>-<region>`. */
export function platformBucketName(platformName: string, purpose: string, account: string, region: string): string {
  return `${platformName}-${purpose}-${account}-${region}`;
}

/** The purposes of the platform's named buckets. */
export const PLATFORM_BUCKET_PURPOSES = ['data', 'models'] as const;

/** The model-admission role: `<platformName>-model-admission-<region>`. */
export function admissionRoleName(platformName: string, region: string): string {
  return `${platformName}-model-admission-${region}`;
}

/** The IAM path of the model-admission role. */
export function admissionRolePath(platformName: string): string {
  return `/${platformName}/model-admission/`;
}

/** A platform key's alias: `alias/<platformName>/<purpose>`. */
export function platformKeyAlias(platformName: string, purpose: string): string {
  return `alias/${platformName}/${purpose}`;
}

/**
 * The production profile's Guard-hook rules bucket (governance stack): `<platformName>-guard-rules-<account>-<region>`,
 * a fixed name so the permissions boundary (platform stack) can admit it without a reference.
 */
export function guardRulesBucketName(platformName: string, account: string, region: string): string {
  return platformBucketName(platformName, 'guard-rules', account, region);
}

/** The Guard-hook key's alias (governance stack): `alias/<platformName>/guard-hook`; the boundary admits it by alias. */
export function guardHookKeyAlias(platformName: string): string {
  return platformKeyAlias(platformName, 'guard-hook');
}

/** The audit trail (CloudTrail): `<platformName>-audit-trail`. */
export function auditTrailName(platformName: string): string {
  return `${platformName}-audit-trail`;
}

/** The machine API (`<platformName>-model-gateway`) and, with `people`, the people API and its user pool. */
export function apiGatewayName(platformName: string, people = false): string {
  return `${platformName}-model-gateway${people ? '-people' : ''}`;
}

/** What the operational monitoring calls a workload's people API: `<workload>-people` (a monitored workload name). */
export function peopleMonitoredWorkloadName(workloadName: string): string {
  return `${workloadName}-people`;
}
