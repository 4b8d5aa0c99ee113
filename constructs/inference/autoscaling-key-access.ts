import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PlatformKey } from '../keys/platform-key';
import * as perms from '../private/perms';

/** The Sids of the key-policy statements `allowAutoScalingServiceLinkedRole` adds. */
export const AUTOSCALING_KEY_POLICY_SIDS = {
  use: 'AutoScalingServiceLinkedRoleUse',
  grants: 'AutoScalingServiceLinkedRoleGrants',
} as const;

const allowed = new WeakSet<kms.IKey>();

/** The ARN of the EC2 Auto Scaling service-linked role of this account. */
export function autoScalingServiceLinkedRoleArn(): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
}

/**
 * Let the EC2 Auto Scaling service-linked role use a customer key, so Auto Scaling can launch
 * instances whose EBS volumes the key encrypts (and publish to a topic it encrypts).
 *
 * Why a key-policy statement, and why this shape:
 * - The key's `KeyUseThroughNamedServices` and `GrantsForAwsManagedResources` statements name the
 *   account, which only delegates to IAM policies; the service-linked role's own policy
 *   (AutoScalingServiceRolePolicy) covers AWS-managed keys only, so it gets nothing from them.
 *   AWS documents that the key policy must name the role.
 * - Naming the role as `Principal` fails (`MalformedPolicyDocument`) in an account where no Auto
 *   Scaling group was ever created, because the role does not exist yet. So the statement names
 *   any principal and narrows it with `aws:PrincipalArn` equal to the role's exact ARN and
 *   `kms:CallerAccount` to this account: the same principal, without depending on its existence.
 * - `kms:CreateGrant` only with `kms:GrantIsForAWSResource` (grants EC2 makes for the volumes).
 *
 * Idempotent per key. Returns false for an imported key, whose policy this app cannot change.
 */
export function allowAutoScalingServiceLinkedRole(key: kms.IKey): boolean {
  const target = key instanceof PlatformKey ? key.key : key;
  if (!(target instanceof kms.Key)) return false;
  if (allowed.has(target)) return true;
  allowed.add(target);
  for (const statement of autoScalingKeyPolicyStatements()) target.addToResourcePolicy(statement);
  return true;
}

/**
 * The key-policy statements that let the EC2 Auto Scaling service-linked role use a key (see
 * `allowAutoScalingServiceLinkedRole`): what it adds to a key of this app, and what the owner of an
 * imported key is asked to add.
 */
export function autoScalingKeyPolicyStatements(): iam.PolicyStatement[] {
  const principalIsAutoScaling = {
    ArnEquals: { 'aws:PrincipalArn': autoScalingServiceLinkedRoleArn() },
    StringEquals: { 'kms:CallerAccount': Aws.ACCOUNT_ID },
  };
  return [
    new iam.PolicyStatement({
      sid: AUTOSCALING_KEY_POLICY_SIDS.use,
      principals: [new iam.AnyPrincipal()],
      actions: perms.AUTOSCALING_SLR_KEY_USE,
      resources: ['*'],
      conditions: principalIsAutoScaling,
    }),
    new iam.PolicyStatement({
      sid: AUTOSCALING_KEY_POLICY_SIDS.grants,
      principals: [new iam.AnyPrincipal()],
      actions: perms.AUTOSCALING_SLR_KEY_GRANT,
      resources: ['*'],
      conditions: { ...principalIsAutoScaling, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  ];
}
