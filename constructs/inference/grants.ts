import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import type { IWorkloadIdentity } from '../identity/workload-identity';
import { acknowledgeFinding } from '../private/nag';
import * as perms from '../private/perms';

/** Why a grant of the inference constructs names `*`: every such action takes no resource, or is narrowed by a condition. */
export const WILDCARD_RESOURCE_REASON =
  'Only actions that take no resource are granted on *: ecr:GetAuthorizationToken (registry login), ec2:Describe* ' +
  'lookups, ssmmessages/ec2messages session channels, cloudwatch:PutMetricData (narrowed by cloudwatch:namespace), and ' +
  'network-interface management narrowed to the platform VPC by ec2:Vpc.';

/**
 * Grant actions to a grantee and, when the grantee keeps its grants in a managed policy (a
 * WorkloadIdentity), acknowledge the AwsSolutions-IAM5 finding of each wildcard resource on that
 * policy, with the given reason.
 */
export function grantWithWildcards(
  grantee: iam.IGrantable,
  actions: string[],
  resourceArns: string[],
  reason: string,
  conditions?: Record<string, Record<string, unknown>>,
): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
  const policy = ManagedPolicyPrincipal.policyOf(grantee.grantPrincipal);
  if (policy) {
    for (const arn of resourceArns.filter((r) => r.includes('*'))) {
      const finding = arn === '*' ? '*' : flattenCfnReference(Stack.of(policy).resolve(arn));
      acknowledgeFinding(policy.node.defaultChild!, `AwsSolutions-IAM5[Resource::${finding}]`, reason);
    }
  }
  return grant;
}

/** Identity side of an ECR pull: the layer actions on one repository, and the registry login (no resource). */
export function grantEcrPull(grantee: iam.IGrantable, repositoryArn: string): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions: perms.ECR_PULL, resourceArns: [repositoryArn] });
  grantWithWildcards(grantee, perms.ECR_AUTH, ['*'], WILDCARD_RESOURCE_REASON);
  return grant;
}

/** The service principal a role trusts, read from its synthesized trust policy. */
export function trustsService(role: iam.Role, servicePrincipal: string): boolean {
  const doc = Stack.of(role).resolve(role.assumeRolePolicy?.toJSON());
  return JSON.stringify(doc ?? {}).includes(`"${servicePrincipal}"`);
}

/**
 * Whether a workload's role trusts a service: read from the synthesized trust policy of a role made
 * in this app; for an imported role (whose trust cannot be read) the service it was declared to run
 * as (`runsAs`), which its import warns must match its trust policy.
 */
export function workloadTrusts(workload: IWorkloadIdentity, servicePrincipal: string): boolean {
  if (workload.role instanceof iam.Role) return trustsService(workload.role, servicePrincipal);
  return workload.runsAs.servicePrincipal === servicePrincipal;
}
