import { App, Stack } from 'aws-cdk-lib';
import {
  EncryptedBucket,
  PlatformEndpoint,
  PlatformKeys,
  PlatformPermissionsBoundary,
  SegmentedNetwork,
} from '../../../constructs';
import { ModelSignerRole, ModelSigningKey } from '../../../constructs/integrity';
import { newApp } from '../../helpers/stacks';

/** The platform pieces the integrity constructs use, in one environment-agnostic stack. */
export interface IntegrityFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly keys: PlatformKeys;
  readonly network: SegmentedNetwork;
  readonly modelsBucket: EncryptedBucket;
  readonly boundary: PlatformPermissionsBoundary;
  readonly signer: ModelSignerRole;
  readonly signingKey: ModelSigningKey;
}

/**
 * Build the platform pieces, a signer role and a signing key, in a fresh app with the project's
 * feature flags. Asset bundling is skipped unless `bundle` is true (only the bundling test needs it).
 */
export function integrityFixture(
  options: { bundle?: boolean; endpoints?: readonly PlatformEndpoint[] } = {},
): IntegrityFixture {
  const app = newApp(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] });
  const stack = new Stack(app, 'Test');
  const keys = new PlatformKeys(stack, 'Keys');
  const network = new SegmentedNetwork(stack, 'Network', {
    kmsEndpointKeys: keys.all.map((k) => k.key),
    interfaceEndpoints: options.endpoints ?? PlatformEndpoint.BASELINE,
  });
  const modelsBucket = new EncryptedBucket(stack, 'Models', {
    bucketName: 'ztai-models-test',
    encryptionKey: keys.models.key,
    requireVpcEndpoint: network.s3GatewayEndpoint,
  });
  network.admitS3Buckets(modelsBucket.bucket);
  const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
  boundary.capToBuckets(modelsBucket.bucket);
  boundary.capToKeys(...keys.all.map((k) => k.key));
  boundary.applyTo(app);
  const signer = new ModelSignerRole(stack, 'Signer');
  const signingKey = new ModelSigningKey(stack, 'SigningKey', { signers: [signer.role] });
  return { app, stack, keys, network, modelsBucket, boundary, signer, signingKey };
}

/** Every statement of a policy document whose actions include `action`. */
export function statementsWith(document: { Statement: any[] }, action: string): any[] {
  return document.Statement.filter((s) => ([] as string[]).concat(s.Action).includes(action));
}
