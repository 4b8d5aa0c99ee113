#!/usr/bin/env node
/**
 * A platform team that takes only the foundations of @ztai/cdk-constructs: the segmented network, the
 * per-domain KMS keys and encrypted buckets. No workloads, no API, no audit stack: their own compute comes
 * later, on this network, with these keys and buckets.
 *
 * The package is installed from its tarball (`npm run package` at the repository root) and imported by
 * its name, root and subpath, exactly as from a registry.
 */
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { AccessLogsBucket, EncryptedBucket, PlatformEndpoint, SegmentedNetwork } from '@ztai/cdk-constructs';
import { PlatformKeys } from '@ztai/cdk-constructs/keys';

class DataFoundationStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // One customer-managed key per data domain (data, models, logs, audit), rotated, use kept apart from administration.
    const keys = new PlatformKeys(this, 'Keys', { aliasPrefix: 'acme-data' });

    // Isolated tiers, no internet gateway or NAT, flow logs encrypted with the logs key, and only the
    // interface endpoints this team needs (KMS and CloudWatch Logs).
    const network = new SegmentedNetwork(this, 'Network', {
      maxAzs: 2,
      interfaceEndpoints: [PlatformEndpoint.KMS, PlatformEndpoint.CLOUDWATCH_LOGS],
      kmsEndpointKeys: keys.all.map((k) => k.key),
      flowLogsKey: keys.logs.key,
    });

    // SSE-KMS with the data key, TLS only, versioned, access-logged, reachable only through the VPC's S3 endpoint.
    const accessLogs = new AccessLogsBucket(this, 'AccessLogs');
    const data = new EncryptedBucket(this, 'Data', {
      encryptionKey: keys.data.key,
      serverAccessLogsBucket: accessLogs.bucket,
      requireVpcEndpoint: network.s3GatewayEndpoint,
    });
    network.admitS3Buckets(data.bucket);
  }
}

const app = new App();
new DataFoundationStack(app, 'acme-data-foundation');
// cdk-nag's AWS Solutions pack on every synth: the constructs acknowledge their own findings, narrowly.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
