import { Annotations, Aws, Environment, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  AccessLogsBucket,
  EncryptedBucket,
  PlatformEndpoint,
  PlatformKeys,
  PlatformPermissionsBoundary,
  SegmentedNetwork,
  VpcEndpointExemption,
} from '../constructs';
import { allowAutoScalingServiceLinkedRole } from '../constructs/inference';
import {
  malwareScanRoleArn,
  PLATFORM_BUCKET_PURPOSES,
  platformBucketName,
  releaseRoleName,
  releaseRolePath,
  roleArnFromName,
  SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES,
  workloadRoleName,
} from './config/names';
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

  /** The environment the platform deploys to (as given), for the stacks that shard its growing parts. */
  public readonly deployEnv?: Environment;

  private readonly zoneCount: number;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.deployEnv = props.env;
    this.zoneCount = config.network.maxAzs;

    this.keys = new PlatformKeys(this, 'Keys', { aliasPrefix: config.platformName });
    this.boundary = new PlatformPermissionsBoundary(this, 'PermissionsBoundary', {
      boundaryName: `${config.platformName}-platform-boundary`,
    });
    this.network = new SegmentedNetwork(this, 'Network', {
      ...config.network,
      interfaceEndpoints: endpointsFor(config.workloads, config.api?.clients ?? []),
      kmsEndpointKeys: this.keys.all.map((k) => k.key),
      flowLogsKey: this.keys.logs.key,
      flowLogsRetention: config.logRetentionDays as logs.RetentionDays,
    });

    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs');
    const exemptions = vpcEndpointExemptionsFor(config);
    const breakGlass = [...config.adminPrincipalArns];
    const shared = {
      serverAccessLogsBucket: this.accessLogs.bucket,
      requireVpcEndpoint: this.network.s3GatewayEndpoint,
    };
    const bucketName = (purpose: (typeof PLATFORM_BUCKET_PURPOSES)[number]) =>
      platformBucketName(config.platformName, purpose, Aws.ACCOUNT_ID, Aws.REGION);
    this.dataBucket = new EncryptedBucket(this, 'DataBucket', {
      ...shared,
      vpcEndpointExemptPrincipalArns: breakGlass.length > 0 ? breakGlass : undefined,
      vpcEndpointExemptions: exemptions.data.length > 0 ? exemptions.data : undefined,
      bucketName: bucketName('data'),
      encryptionKey: this.keys.data.key,
    });
    // GuardDuty scans the models bucket from outside the VPC (production profile only).
    const modelsBreakGlass = [...breakGlass, ...(config.profile === 'production' ? [malwareScanRoleArn(config)] : [])];
    this.modelsBucket = new EncryptedBucket(this, 'ModelsBucket', {
      ...shared,
      vpcEndpointExemptPrincipalArns: modelsBreakGlass.length > 0 ? modelsBreakGlass : undefined,
      vpcEndpointExemptions: exemptions.models,
      bucketName: bucketName('models'),
      encryptionKey: this.keys.models.key,
    });

    // The reference platform's exemptions are its design (release uploads from CI, SageMaker's own
    // downloads and captures): acknowledged here, where they are chosen, each listed in the warning.
    for (const bucket of [this.dataBucket, this.modelsBucket]) {
      Annotations.of(bucket).acknowledgeWarning(
        'ztai:bucket-vpc-endpoint-exemptions',
        'The platform names these exemptions itself (vpcEndpointExemptionsFor): exact roles, actions and prefixes.',
      );
    }
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

/**
 * The narrow exemptions of the platform buckets from their VPC-endpoint restriction: exact role ARNs
 * (built from config, no cross-stack reference), exact actions, exact prefixes. Each role's own
 * policy still confines it; the exemption only lifts the network condition, and only for these.
 */
export function vpcEndpointExemptionsFor(config: PlatformConfig): {
  data: VpcEndpointExemption[];
  models: VpcEndpointExemption[];
} {
  const roleArn = (path: string, name: string) => roleArnFromName(Aws.PARTITION, Aws.ACCOUNT_ID, path, name);
  const models: VpcEndpointExemption[] = [
    {
      principalArns: [roleArn(releaseRolePath(config.platformName), releaseRoleName(config.platformName))],
      // Single and multipart uploads (CreateMultipartUpload, UploadPart, CompleteMultipartUpload are s3:PutObject).
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      keyPrefixes: ['incoming/'],
      reason: 'the release role uploads signed models and bundles to incoming/ from CI, outside the VPC',
    },
  ];
  const data: VpcEndpointExemption[] = [];
  for (const workload of config.workloads.filter((w) => w.kind === 'realtime-inference')) {
    const role = roleArn(SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES, workloadRoleName(config.platformName, workload.name));
    // SageMaker downloads model data with the execution role. Model containers in a VPC reach S3 through the
    // S3 endpoint (https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html); whether the model download
    // itself does is not documented, so the role keeps this narrow exemption: reads of its own approved prefix.
    models.push({
      principalArns: [role],
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
      keyPrefixes: [`approved/${workload.name}/`],
      reason: `SageMaker downloads ${workload.name}'s model data with its execution role`,
    });
    // Data capture is written by SageMaker with the execution role, likewise not documented to cross the endpoint.
    data.push({
      principalArns: [role],
      actions: ['s3:PutObject'],
      keyPrefixes: [`workloads/${workload.name}/data-capture/`],
      reason: `SageMaker writes ${workload.name}'s data capture with its execution role`,
    });
  }
  return { data, models };
}

/**
 * The interface endpoints the configured workloads need, and no more. API clients (`api.clients`)
 * read their API key from Secrets Manager from inside the VPC, so with any there is a Secrets
 * Manager endpoint.
 */
export function endpointsFor(
  workloads: readonly WorkloadConfig[],
  apiClients: readonly { readonly caller: string }[] = [],
): PlatformEndpoint[] {
  const endpoints = [...PlatformEndpoint.BASELINE];
  const kinds = new Set(workloads.map((w) => w.kind));
  if (kinds.has('realtime-inference')) endpoints.push(...PlatformEndpoint.SAGEMAKER);
  if (kinds.has('batch')) endpoints.push(...PlatformEndpoint.SELF_MANAGED_FLEET);
  if (apiClients.length > 0) endpoints.push(PlatformEndpoint.SECRETS_MANAGER);
  return endpoints;
}
