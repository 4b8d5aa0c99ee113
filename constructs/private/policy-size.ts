import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * IAM's quota on a managed policy: 6,144 characters, whitespace not counted
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export const MANAGED_POLICY_MAX_CHARACTERS = 6144;

/**
 * The longest each pseudo parameter resolves to: a Region such as `ap-southeast-7` or `cn-northwest-1`
 * (14), a 12-digit account, `amazonaws.com.cn` (16), and the partition: `aws` (3) in the commercial
 * Regions, at most `aws-us-gov` (10) in any partition.
 */
export const PARTITION_LENGTH = { commercial: 3, any: 10 } as const;
const PSEUDO_MAX: Record<string, number> = {
  'AWS::Region': 14,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 16,
};
const REGION_ACCOUNT = 1 + PSEUDO_MAX['AWS::Region'] + 1 + PSEUDO_MAX['AWS::AccountId'] + 1;
/** An ARN of a resource type not listed below: a generous bound (IAM accepts longer, the platform makes none). */
const UNKNOWN_ARN = 256;

/**
 * The most characters `document` (a resolved IAM policy document of `stack`) can take once CloudFormation
 * has resolved its intrinsics, whitespace excluded: the real length of every literal, and for each
 * unresolved value the longest it can become (pseudo parameters in any partition and Region; the ARN of a
 * key, bucket or queue of this stack from its type and, where set, its name). An upper bound, so a policy
 * under it fits wherever it deploys.
 */
export function maxResolvedPolicyLength(
  stack: Stack,
  document: unknown,
  partitionLength: number = PARTITION_LENGTH.any,
): number {
  const pseudo: Record<string, number> = { ...PSEUDO_MAX, 'AWS::Partition': partitionLength };
  const ARN_PREFIX = 'arn:'.length + partitionLength;
  const resources = new Map<string, CfnResource>();
  for (const c of stack.node.findAll()) {
    if (CfnResource.isCfnResource(c) && Stack.of(c) === stack) resources.set(stack.resolve(c.logicalId), c);
  }
  const arnOf = (logicalId: string): number => {
    const resource = resources.get(logicalId);
    const name = (prop: string, max: number): number => {
      const value = resource && stack.resolve((resource as unknown as Record<string, unknown>)[prop]);
      return typeof value === 'string' ? value.length : max;
    };
    switch (resource?.cfnResourceType) {
      case 'AWS::KMS::Key':
        return ARN_PREFIX + ':kms'.length + REGION_ACCOUNT + 'key/'.length + 36;
      case 'AWS::S3::Bucket':
        return ARN_PREFIX + ':s3:::'.length + name('bucketName', 63);
      case 'AWS::SQS::Queue':
        return ARN_PREFIX + ':sqs'.length + REGION_ACCOUNT + name('queueName', 80);
      default:
        return UNKNOWN_ARN;
    }
  };
  const inner = (value: unknown): number => {
    if (typeof value === 'string') return JSON.stringify(value).length - 2;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const [key, arg] = Object.entries(value as Record<string, unknown>)[0] ?? [];
      if (key === 'Ref' && typeof arg === 'string') return pseudo[arg] ?? UNKNOWN_ARN;
      if (key === 'Fn::GetAtt' && Array.isArray(arg) && arg[1] === 'Arn') return arnOf(String(arg[0]));
      if (key === 'Fn::Join' && Array.isArray(arg)) {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.reduce<number>((n, p) => n + inner(p), 0) + separator.length * Math.max(0, parts.length - 1);
      }
    }
    return UNKNOWN_ARN;
  };
  const size = (value: unknown): number => {
    if (Array.isArray(value)) return 2 + value.reduce<number>((n, v) => n + size(v), 0) + Math.max(0, value.length - 1);
    if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      const intrinsic = entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'));
      if (intrinsic) return inner(value) + 2;
      return (
        2 +
        entries.reduce((n, [k, v]) => n + JSON.stringify(k).length + 1 + size(v), 0) +
        Math.max(0, entries.length - 1)
      );
    }
    if (typeof value === 'string') return inner(value) + 2;
    return JSON.stringify(value ?? null).length;
  };
  return size(document);
}

/**
 * The synth-time verdict on `document` (a managed policy of `scope`'s stack) against IAM's quota: an
 * error when it may exceed it in a commercial Region, a warning when only in a longer partition
 * (`aws-us-gov`, `aws-iso*`), whose ARNs are longer.
 */
export function managedPolicySizeFindings(
  scope: IConstruct,
  what: string,
  document: unknown,
): { errors: string[]; warnings: string[] } {
  const stack = Stack.of(scope);
  const resolved = stack.resolve(document);
  const commercial = maxResolvedPolicyLength(stack, resolved, PARTITION_LENGTH.commercial);
  const any = maxResolvedPolicyLength(stack, resolved, PARTITION_LENGTH.any);
  const byStatement = () =>
    ((resolved as { Statement?: Array<{ Sid?: string }> }).Statement ?? [])
      .map((s) => `${s.Sid ?? '(no sid)'} ${maxResolvedPolicyLength(stack, s, PARTITION_LENGTH.commercial)}`)
      .join(', ');
  const quota = `IAM's managed-policy quota of ${MANAGED_POLICY_MAX_CHARACTERS} (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)`;
  if (commercial > MANAGED_POLICY_MAX_CHARACTERS) {
    return {
      errors: [
        `${what}: up to ${commercial} characters once resolved (in the longest commercial Region), over ${quota}. ` +
          `By statement: ${byStatement()}. Grant fewer resources through it, or narrow by tag or path instead of listing ARNs.`,
      ],
      warnings: [],
    };
  }
  if (any > MANAGED_POLICY_MAX_CHARACTERS) {
    return {
      errors: [],
      warnings: [
        `${what}: up to ${commercial} characters in the commercial partition, but up to ${any} in a longer one ` +
          `(aws-us-gov, aws-iso*), over ${quota}: deploying there needs a smaller policy.`,
      ],
    };
  }
  return { errors: [], warnings: [] };
}
