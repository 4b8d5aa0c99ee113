import { Aws, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  AccessLogsBucket,
  EncryptedBucket,
  PlatformEndpoint,
  PlatformKeys,
  PlatformPermissionsBoundary,
  SegmentedNetwork,
} from '../constructs';
import { allowAutoScalingServiceLinkedRole, GpuModelEndpoint } from '../constructs/inference';
import { malwareScanRoleArn } from './audit-stack';
import { PlatformConfig, WorkloadConfig } from './config/platform-config';

export interface PlatformStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/**
 * The shared platform: keys, the permissions boundary, the segmented network and the shared
 * buckets. Workload stacks reference it; it never references them.
 */
export class PlatformStack extends Stack {
  public readonly keys: PlatformKeys;
  public readonly boundary: PlatformPermissionsBoundary;
  public readonly network: SegmentedNetwork;
  public readonly accessLogs: AccessLogsBucket;
  /** Training and inference data; each workload owns `workloads/<name>/`. */
  public readonly dataBucket: EncryptedBucket;
  /** Model artifacts; each workload reads only `approved/<name>/`. */
  public readonly modelsBucket: EncryptedBucket;

  private readonly zoneCount: number;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.zoneCount = config.network.maxAzs;

    this.keys = new PlatformKeys(this, 'Keys', { aliasPrefix: config.platformName });
    this.boundary = new PlatformPermissionsBoundary(this, 'PermissionsBoundary', {
      boundaryName: `${config.platformName}-platform-boundary`,
    });
    this.network = new SegmentedNetwork(this, 'Network', {
      ...config.network,
      interfaceEndpoints: endpointsFor(config.workloads),
      kmsEndpointKeys: this.keys.all.map((k) => k.key),
      flowLogsKey: this.keys.logs.key,
      flowLogsRetention: config.logRetentionDays as logs.RetentionDays,
    });

    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs');
    // Break-glass admins, and SageMaker execution roles: SageMaker downloads model data and writes
    // data capture with the execution role from outside the VPC. Only the network condition is
    // lifted; each role's own policy still confines it to its prefix.
    const exempt = [...config.adminPrincipalArns];
    if (config.workloads.some((w) => w.kind === 'realtime-inference')) {
      exempt.push(GpuModelEndpoint.executionRoleArnPattern());
    }
    const shared = {
      serverAccessLogsBucket: this.accessLogs.bucket,
      requireVpcEndpoint: this.network.s3GatewayEndpoint,
      vpcEndpointExemptPrincipalArns: exempt.length > 0 ? exempt : undefined,
    };
    const bucketName = (purpose: string) => `${config.platformName}-${purpose}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    this.dataBucket = new EncryptedBucket(this, 'DataBucket', {
      ...shared,
      bucketName: bucketName('data'),
      encryptionKey: this.keys.data.key,
    });
    // GuardDuty scans the models bucket from outside the VPC (production profile only).
    const modelsExempt = [
      ...(shared.vpcEndpointExemptPrincipalArns ?? []),
      ...(config.profile === 'production' ? [malwareScanRoleArn(config)] : []),
    ];
    this.modelsBucket = new EncryptedBucket(this, 'ModelsBucket', {
      ...shared,
      vpcEndpointExemptPrincipalArns: modelsExempt.length > 0 ? modelsExempt : undefined,
      bucketName: bucketName('models'),
      encryptionKey: this.keys.models.key,
    });

    this.network.admitS3Buckets(this.dataBucket.bucket, this.modelsBucket.bucket);
    this.boundary.capToBuckets(this.dataBucket.bucket, this.modelsBucket.bucket);
    this.boundary.capToKeys(...this.keys.all.map((k) => k.key));
    if (config.workloads.some((w) => w.kind === 'batch')) {
      // GPU fleets encrypt their volumes with the data key through the Auto Scaling service-linked role.
      allowAutoScalingServiceLinkedRole(this.keys.data.key);
    }
  }

  /**
   * The first `maxAzs` zones of the region, chosen at deploy time with `Fn::GetAZs`: synth never
   * looks zones up (no credentials needed), even when the config pins an account and region.
   */
  public get availabilityZones(): string[] {
    return Array.from({ length: this.zoneCount }, (_, i) => Fn.select(i, Fn.getAzs()));
  }
}

/** The interface endpoints the configured workloads need, and no more. */
export function endpointsFor(workloads: readonly WorkloadConfig[]): PlatformEndpoint[] {
  const endpoints = [...PlatformEndpoint.BASELINE];
  const kinds = new Set(workloads.map((w) => w.kind));
  if (kinds.has('realtime-inference')) endpoints.push(...PlatformEndpoint.SAGEMAKER);
  if (kinds.has('batch')) endpoints.push(...PlatformEndpoint.SELF_MANAGED_FLEET);
  return endpoints;
}
