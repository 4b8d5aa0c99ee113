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
  VpcEndpointTaggedExemption,
  WORKLOAD_TAG_KEY,
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
import { addGenAi, genaiDnsDomains, GenAiPlatform } from './genai/bedrock';
import { retrievalDataExemptions } from './genai/retrieval';

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

  /** Bedrock for the `genai` workloads (guardrails, endpoints, invocation logging, vector store), when there are any. */
  public readonly genai?: GenAiPlatform;

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
      // genai workloads resolve the Bedrock runtime endpoints and the vector store.
      ...(genaiDnsDomains(config).length > 0 ? { additionalAllowedDomains: genaiDnsDomains(config) } : {}),
    });

    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs');
    const exemptions = vpcEndpointExemptionsFor(config);
    const dataExemptions = exemptions.data;
    // Knowledge bases read their workload's prefix from the Bedrock service, with their own (tagged) role.
    const taggedData = [...exemptions.taggedData, ...retrievalDataExemptions(config)];
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
      vpcEndpointExemptions: dataExemptions.length > 0 ? dataExemptions : undefined,
      vpcEndpointTaggedExemptions: taggedData.length > 0 ? taggedData : undefined,
      bucketName: bucketName('data'),
      encryptionKey: this.keys.data.key,
    });
    // GuardDuty scans the models bucket from outside the VPC (production profile only).
    const modelsBreakGlass = [...breakGlass, ...(config.profile === 'production' ? [malwareScanRoleArn(config)] : [])];
    this.modelsBucket = new EncryptedBucket(this, 'ModelsBucket', {
      ...shared,
      vpcEndpointExemptPrincipalArns: modelsBreakGlass.length > 0 ? modelsBreakGlass : undefined,
      vpcEndpointExemptions: exemptions.models,
      vpcEndpointTaggedExemptions: exemptions.taggedModels.length > 0 ? exemptions.taggedModels : undefined,
      bucketName: bucketName('models'),
      encryptionKey: this.keys.models.key,
    });

    // The reference platform's exemptions are its design (release uploads from CI, SageMaker's own
    // downloads and captures): acknowledged here, where they are chosen, each listed in the warning.
    for (const bucket of [this.dataBucket, this.modelsBucket]) {
      Annotations.of(bucket).acknowledgeWarning(
        'ztai:bucket-vpc-endpoint-exemptions',
        'The platform names these exemptions itself (vpcEndpointExemptionsFor): exact roles, or the real-time execution roles each confined to its own tagged prefix; exact actions and prefixes.',
      );
    }
    this.network.admitS3Buckets(this.dataBucket.bucket, this.modelsBucket.bucket);
    this.boundary.capToBuckets(this.dataBucket.bucket, this.modelsBucket.bucket);
    this.boundary.capToKeys(...this.keys.all.map((k) => k.key));
    if (config.workloads.some((w) => w.kind === 'batch')) {
      // GPU fleets encrypt their volumes with the data key through the Auto Scaling service-linked role.
      allowAutoScalingServiceLinkedRole(this.keys.data.key);
    }
    this.genai = addGenAi(
      this,
      {
        boundary: this.boundary,
        network: this.network,
        dataKey: this.keys.data,
        dataBucket: this.dataBucket,
        logsKey: this.keys.logs.key,
      },
      config,
    );
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
 *
 * The real-time workloads' execution roles are exempted as one family (`tagged`): every role named
 * `<platform>-workload-*` under the SageMaker execution-role path, each confined to the prefix its own
 * `ai-platform:workload` tag names (WorkloadIdentity tags its role; the platform boundary gives no role
 * iam:TagRole or sts:TagSession), so the bucket policies do not grow with the workloads (S3 allows
 * 20 KB: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html).
 */
export function vpcEndpointExemptionsFor(config: PlatformConfig): {
  data: VpcEndpointExemption[];
  models: VpcEndpointExemption[];
  taggedData: VpcEndpointTaggedExemption[];
  taggedModels: VpcEndpointTaggedExemption[];
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
  if (!config.workloads.some((w) => w.kind === 'realtime-inference')) {
    return { data: [], models, taggedData: [], taggedModels: [] };
  }
  const executionRoles = roleArn(SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES, workloadRoleName(config.platformName, '*'));
  return {
    data: [],
    models,
    // SageMaker downloads model data with the execution role. Model containers in a VPC reach S3 through the
    // S3 endpoint (https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html); whether the model download
    // itself does is not documented, so each role keeps this narrow exemption: reads of its own approved prefix.
    taggedModels: [
      {
        principalArnPattern: executionRoles,
        principalTagKey: WORKLOAD_TAG_KEY,
        keyPrefix: 'approved/',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
        reason: "SageMaker downloads each real-time workload's model data with its execution role",
      },
    ],
    // Data capture is written by SageMaker with the execution role, likewise not documented to cross the endpoint.
    taggedData: [
      {
        principalArnPattern: executionRoles,
        principalTagKey: WORKLOAD_TAG_KEY,
        keyPrefix: 'workloads/',
        keySuffix: 'data-capture/',
        actions: ['s3:PutObject'],
        reason: "SageMaker writes each real-time workload's data capture with its execution role",
      },
    ],
  };
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
