import { Aws, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Shared builders for the Guard rule fragments: compliant by default, weakened by each test. */

export const BOUNDARY_ARN = 'arn:aws:iam::111122223333:policy/ztai-permissions-boundary';

/** A service principal with the aws:SourceAccount condition the platform adds. */
export function sourceAccountPrincipal(service: string): iam.IPrincipal {
  return new iam.ServicePrincipal(service).withConditions({ StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } });
}

/** A role that satisfies every access rule. */
export function compliantRole(stack: Stack, id: string, service = 'lambda.amazonaws.com'): iam.Role {
  return new iam.Role(stack, id, {
    assumedBy: sourceAccountPrincipal(service),
    permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(stack, `${id}Boundary`, BOUNDARY_ARN),
  });
}

/** The L1 behind an L2, for escape-hatch overrides. */
export function cfn<T extends CfnResource = CfnResource>(construct: { node: { defaultChild?: unknown } }): T {
  return construct.node.defaultChild as T;
}

/** A retained symmetric customer key with rotation. */
export function compliantKey(stack: Stack, id = 'Key'): kms.Key {
  return new kms.Key(stack, id, { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
}

/** A retained, TLS-only bucket encrypted with a customer key. */
export function compliantBucket(stack: Stack, id = 'Bucket', props: s3.BucketProps = {}): s3.Bucket {
  return new s3.Bucket(stack, id, {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.encryptionKey ?? compliantKey(stack, `${id}Key`),
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
    ...props,
  });
}
