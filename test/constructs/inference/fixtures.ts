import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  EncryptedBucket,
  PlatformKeys,
  PlatformPermissionsBoundary,
  SegmentedNetwork,
  WorkloadIdentity,
  WorkloadPrincipal,
} from '../../../constructs';
import { ModelImageRepository } from '../../../constructs/inference';
import { newApp } from '../../helpers/stacks';

export const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** The platform pieces the inference constructs use, in one environment-agnostic stack. */
export interface InferenceFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly keys: PlatformKeys;
  readonly network: SegmentedNetwork;
  readonly modelsBucket: EncryptedBucket;
  readonly dataBucket: EncryptedBucket;
  readonly repository: ModelImageRepository;
  readonly boundary: PlatformPermissionsBoundary;
  /** A SageMaker workload identity named `fraud`. */
  readonly sagemakerIdentity: WorkloadIdentity;
  /** An EC2 workload identity named `batch`. */
  readonly ec2Identity: WorkloadIdentity;
}

/** Build the platform pieces in a fresh app (with the project's feature flags) and stack. */
export function inferenceFixture(app: App = newApp(), stackId = 'Test'): InferenceFixture {
  const stack = new Stack(app, stackId);
  const keys = new PlatformKeys(stack, 'Keys');
  const network = new SegmentedNetwork(stack, 'Network', { kmsEndpointKeys: keys.all.map((k) => k.key) });
  const modelsBucket = new EncryptedBucket(stack, 'Models', {
    encryptionKey: keys.models.key,
    requireVpcEndpoint: network.s3GatewayEndpoint,
  });
  const dataBucket = new EncryptedBucket(stack, 'Data', {
    encryptionKey: keys.data.key,
    requireVpcEndpoint: network.s3GatewayEndpoint,
  });
  network.admitS3Buckets(modelsBucket.bucket, dataBucket.bucket);
  const repository = new ModelImageRepository(stack, 'Images', { encryptionKey: keys.models.key });
  const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
  boundary.capToBuckets(modelsBucket.bucket, dataBucket.bucket);
  boundary.capToKeys(...keys.all.map((k) => k.key));
  boundary.applyTo(stack);
  const sagemakerIdentity = new WorkloadIdentity(stack, 'Fraud', {
    workloadName: 'fraud',
    runsAs: WorkloadPrincipal.SAGEMAKER,
  });
  const ec2Identity = new WorkloadIdentity(stack, 'Batch', { workloadName: 'batch', runsAs: WorkloadPrincipal.EC2 });
  return { app, stack, keys, network, modelsBucket, dataBucket, repository, boundary, sagemakerIdentity, ec2Identity };
}

/**
 * Logical id of the resource of a type made by the construct `prefix` (`<prefix><8 hex>`), else of
 * the only resource of that type whose logical id starts with `prefix`.
 */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type));
  const exact = ids.filter((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  if (exact.length === 1) return exact[0];
  const starting = ids.filter((id) => id.startsWith(prefix));
  if (starting.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, got ${starting.join(', ')}`);
  return starting[0];
}

/** The statements of the only managed policy attached to a role whose logical id starts with `rolePrefix`. */
export function managedPolicyStatements(template: Template, rolePrefix: string): any[] {
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', rolePrefix);
  const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p: any) =>
    (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId),
  );
  if (policies.length !== 1) throw new Error(`expected one managed policy on ${roleId}, got ${policies.length}`);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}
