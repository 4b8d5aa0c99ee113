import { Annotations, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { IWorkloadIdentity, tagWorkload } from '../identity/workload-identity';
import { cloudWatchLogsKeyStatement, KeyUsageService, keyUseThroughServicesStatements } from '../keys/platform-key';
import { IPlatformNetwork, SubnetTier } from '../network/segmented-network';
import { isOwned, warnOwnerMustAdd } from '../private/imported';
import { acknowledgeFindings } from '../private/nag';
import * as perms from '../private/perms';
import { describeValue, PlatformValidationError, validateIntegerRange } from '../private/validation';
import { IPrefixBucket } from '../storage/encrypted-bucket';
import { ApprovedModelVersion, approvedModelFilesPrefix, approvedModelProblems } from './approved-model';
import {
  GPU_INSTANCE_FAMILIES,
  hasLocalInstanceStorage,
  isGpuInstanceType,
  SAGEMAKER_INSTANCE_TYPE_PATTERN,
} from './gpu-instance-types';
import { sageMakerEndpointInstanceTypeProblem } from './sagemaker-instance-types';
import { grantWithWildcards, WILDCARD_RESOURCE_REASON, workloadTrusts } from './grants';
import { ModelImage } from './model-image';

/**
 * The IAM path of every SageMaker execution role the platform uses, so the role's ARN
 * (`role/ztai/sagemaker-execution/<name>`) can be named by other stacks before it exists (the
 * platform buckets name each real-time workload's role exactly in their VPC-endpoint exemptions).
 * lib/config/names.ts repeats it as `SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES`; a test keeps the two equal.
 */
export const SAGEMAKER_EXECUTION_ROLE_PATH = '/ztai/sagemaker-execution/';

/** SageMaker endpoint names the platform uses: lower-case, so the endpoint ARN is known at synth. */
const ENDPOINT_NAME_PATTERN = /^[a-z0-9](-*[a-z0-9]){0,62}$/;
/** Characters S3 documents as safe in object keys, and the path separator. */
const SAFE_KEY_PATTERN = /^[A-Za-z0-9!_.'()/=+-]+$/;
const VARIANT_NAME = 'AllTraffic';

/** How the ML storage of the endpoint's instances is encrypted. */
export const EndpointStorageEncryption = {
  /** EBS volumes encrypted with the platform's models key (`KmsKeyId`). */
  KMS: 'kms',
  /**
   * Local NVMe instance storage, encrypted by a hardware module on the instance; SageMaker refuses a
   * `KmsKeyId` for such instance types.
   */
  INSTANCE_STORE_HARDWARE: 'instance-store-hardware',
} as const;
export type EndpointStorageEncryption = (typeof EndpointStorageEncryption)[keyof typeof EndpointStorageEncryption];

/** The values a `GpuModelEndpoint` takes for props that are not given (and do not derive from others). */
export interface GpuModelEndpointDefaults {
  readonly initialInstanceCount: number;
  readonly targetInvocationsPerInstance: number;
  readonly dataCaptureSamplingPercentage: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The defaults of `GpuModelEndpointProps`, as a pure function: the construct merges the given props
 * over them, and a configuration layer can fill in its own defaults from the same values.
 * (`minInstances` defaults to `initialInstanceCount`, `maxInstances` to twice `minInstances`.)
 */
export function gpuModelEndpointDefaults(): GpuModelEndpointDefaults {
  return {
    initialInstanceCount: 2,
    targetInvocationsPerInstance: 70,
    dataCaptureSamplingPercentage: 100,
    logRetention: logs.RetentionDays.ONE_YEAR,
  };
}

export interface GpuModelEndpointProps {
  /**
   * The workload the endpoint serves. Its role (which must trust `sagemaker.amazonaws.com`) becomes
   * the execution role; a role created in this app is placed under `SAGEMAKER_EXECUTION_ROLE_PATH`
   * (an imported role keeps its own path). A `WorkloadIdentity`, or `WorkloadIdentity.fromRole()`.
   */
  readonly workload: IWorkloadIdentity;
  /**
   * The network: the endpoint's interfaces go in its GPU tier. A `SegmentedNetwork`, or
   * `SegmentedNetwork.fromVpcAttributes()` for an existing VPC.
   */
  readonly network: IPlatformNetwork;
  /** The models bucket. An `EncryptedBucket`, or `EncryptedBucket.fromBucketAttributes()` for an existing bucket. */
  readonly modelsBucket: IPrefixBucket;
  /**
   * The approved model version the endpoint serves. SageMaker loads the files the admission gate
   * wrote under `approved/<workload>/<name>/<version>/files/` (uncompressed, as they were signed)
   * into `/opt/ml/model/`. `name` and `version` follow the gate's rule for key segments.
   */
  readonly approvedModel: ApprovedModelVersion;
  /** The container image, pinned by digest. */
  readonly image: ModelImage;
  /** SageMaker instance type of a GPU family, e.g. `ml.g5.xlarge`. */
  readonly instanceType: string;
  /** Where request and response capture goes: the workload's prefix of this encrypted bucket. */
  readonly dataCaptureBucket: IPrefixBucket;
  /** The key of the endpoint's container log group. */
  readonly logEncryptionKey: kms.IKey;
  /** Instances when the endpoint is created; at least 2 spreads it over two availability zones. @default 2 */
  readonly initialInstanceCount?: number;
  /** Fewest instances auto scaling keeps. @default - initialInstanceCount */
  readonly minInstances?: number;
  /** Most instances auto scaling adds. @default - twice minInstances */
  readonly maxInstances?: number;
  /** Target invocations per instance per minute for auto scaling. @default 70 */
  readonly targetInvocationsPerInstance?: number;
  /** Percentage of requests captured, 1 to 100. @default 100 */
  readonly dataCaptureSamplingPercentage?: number;
  /** Prefix of captured data in `dataCaptureBucket`, under the workload's data prefix. @default - `workloads/<workload>/data-capture/` */
  readonly dataCapturePrefix?: string;
  /**
   * Key of the instances' ML storage volumes. Ignored (and no `KmsKeyId` set) for instance types
   * with local NVMe storage, which SageMaker encrypts in hardware and refuses a key for.
   * @default - the models bucket's key
   */
  readonly storageKey?: kms.IKey;
  /** Retention of the container log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Endpoint name: lower-case letters, digits and '-', at most 63. @default - derived from the construct path */
  readonly endpointName?: string;
  /**
   * ALLOWS A CPU INSTANCE TYPE: skip the check that `instanceType` is of a GPU family.
   * @default false
   */
  readonly allowCpuInstanceType?: boolean;
  /**
   * GIVES UP NETWORK ISOLATION: the model container may make outbound calls (through the VPC) and
   * receives the execution role's credentials.
   * @default false
   */
  readonly disableNetworkIsolation?: boolean;
}

/**
 * A SageMaker real-time endpoint on GPU instances inside the platform's GPU tier.
 *
 * - Model: `VpcConfig` in the GPU-tier subnets with a security group of its own (no ingress; HTTPS
 *   out to the interface endpoints and S3 only), network isolation on, the workload's own
 *   execution role, model data read uncompressed from the files of one approved version,
 *   `approved/<workload>/<model>/<version>/files/` (exactly what the admission gate writes), an
 *   image pinned by digest.
 * - Endpoint config: ML storage encrypted with the models key (`KmsKeyId`; hardware-encrypted NVMe
 *   for types with local storage), at least two instances by default, request and response capture
 *   to the workload's prefix with `KmsKeyId`.
 * - Auto scaling on invocations per instance; container logs to an encrypted log group of its own.
 * - `grantInvoke()` allows `sagemaker:InvokeEndpoint` on this endpoint only.
 */
export class GpuModelEndpoint extends Construct {
  public readonly endpointName: string;
  /** The key prefix SageMaker loads the model from: `approved/<workload>/<model>/<version>/files/`. */
  public readonly modelDataPrefix: string;
  /** The endpoint's ARN, built from its name (no cross-stack reference for callers). */
  public readonly endpointArn: string;
  public readonly model: sagemaker.CfnModel;
  public readonly endpointConfig: sagemaker.CfnEndpointConfig;
  public readonly endpoint: sagemaker.CfnEndpoint;
  /** The security group of the model's network interfaces. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;
  public readonly storageEncryption: EndpointStorageEncryption;
  public readonly scalableTarget: appscaling.CfnScalableTarget;

  constructor(scope: Construct, id: string, props: GpuModelEndpointProps) {
    super(scope, id);
    const { workload, network } = props;
    const counts = this.validate(props);
    this.endpointName = props.endpointName ?? defaultEndpointName(this);
    this.modelDataPrefix = approvedModelFilesPrefix(workload.workloadName, props.approvedModel);
    this.endpointArn = Stack.of(this).formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: this.endpointName,
    });
    this.placeExecutionRole(workload);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: `SageMaker endpoint ${this.endpointName}: no ingress; HTTPS to the platform endpoints and S3 only`,
      allowAllOutbound: false,
    });
    // The workload tier's group (when the network has one) admits the endpoint to the interface endpoints.
    const memberOf = network.admitWorkload(this.securityGroup);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/sagemaker/Endpoints/${this.endpointName}`,
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention ?? gpuModelEndpointDefaults().logRetention,
      // A fixed name: retained on delete and on update rollback, deleted when its own create rolls
      // back, so a failed first deploy can be retried.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    const capturePrefix = props.dataCapturePrefix ?? `${workload.dataPrefix}data-capture/`;
    const image = props.image.bind(this, workload);
    this.grantExecution(props, capturePrefix);

    const subnets = network.vpc.selectSubnets(network.tierSubnets(SubnetTier.GPU)).subnetIds;
    const isolate = !props.disableNetworkIsolation;
    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: workload.role.roleArn,
      primaryContainer: {
        image: image.imageUri,
        // Uncompressed model data: every object under the prefix, with the prefix trimmed, becomes a
        // file under /opt/ml/model/ (S3DataType S3Prefix, CompressionType None; the prefix ends in '/').
        // SageMaker lists the prefix and reads each object with the execution role.
        // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3ModelDataSource.html
        // https://docs.aws.amazon.com/sagemaker/latest/dg/large-model-inference-uncompressed.html
        modelDataSource: {
          s3DataSource: {
            s3Uri: `s3://${props.modelsBucket.bucketName}/${this.modelDataPrefix}`,
            s3DataType: 'S3Prefix',
            compressionType: 'None',
          },
        },
        mode: 'SingleModel',
      },
      vpcConfig: { subnets, securityGroupIds: [this.securityGroup, ...memberOf].map((g) => g.securityGroupId) },
      enableNetworkIsolation: isolate,
    });
    if (!isolate) {
      Annotations.of(this).addWarningV2(
        'ztai:endpoint-network-isolation-disabled',
        'disableNetworkIsolation is true: the model container can make outbound calls through the VPC and receives the execution role credentials.',
      );
    }
    const policy = ManagedPolicyPrincipal.policyOf(workload.grantPrincipal);
    if (policy) this.model.node.addDependency(policy);

    const localStorage = !Token.isUnresolved(props.instanceType) && hasLocalInstanceStorage(props.instanceType);
    this.storageEncryption = localStorage
      ? EndpointStorageEncryption.INSTANCE_STORE_HARDWARE
      : EndpointStorageEncryption.KMS;
    const storageKey = props.storageKey ?? props.modelsBucket.encryptionKey;
    this.warnImportedKeys(props.logEncryptionKey, localStorage ? undefined : storageKey);
    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      kmsKeyId: localStorage ? undefined : storageKey.keyArn,
      productionVariants: [
        {
          variantName: VARIANT_NAME,
          modelName: this.model.attrModelName,
          instanceType: props.instanceType,
          initialInstanceCount: counts.initial,
          initialVariantWeight: 1,
        },
      ],
      dataCaptureConfig: {
        enableCapture: true,
        initialSamplingPercentage: counts.sampling,
        destinationS3Uri: `s3://${props.dataCaptureBucket.bucketName}/${capturePrefix}`,
        kmsKeyId: props.dataCaptureBucket.encryptionKey.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      },
    });
    if (localStorage) {
      acknowledgeFindings(
        this.endpointConfig,
        [
          'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured',
          'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured',
          'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured',
        ],
        `${props.instanceType} has local NVMe instance storage, which SageMaker encrypts with a hardware module on the instance ` +
          'and for which it rejects a KmsKeyId (CreateEndpointConfig fails); captured data is still encrypted with KmsKeyId.',
      );
    }

    this.endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
    });
    this.endpoint.node.addDependency(this.logGroup);

    // No role: Application Auto Scaling uses its SageMaker service-linked role, so no role of ours
    // (and no inline policy) is needed.
    this.scalableTarget = new appscaling.CfnScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      resourceId: `endpoint/${this.endpoint.attrEndpointName}/variant/${VARIANT_NAME}`,
      minCapacity: counts.min,
      maxCapacity: counts.max,
    });
    new appscaling.CfnScalingPolicy(this, 'ScalingPolicy', {
      policyName: `${this.endpointName}-invocations-per-instance`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.scalableTarget.ref,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        targetValue: counts.target,
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });

    tagWorkload(this, workload.workloadName);
  }

  /** Allow `sagemaker:InvokeEndpoint` on this endpoint only. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: perms.SAGEMAKER_INVOKE, resourceArns: [this.endpointArn] });
  }

  private validate(props: GpuModelEndpointProps) {
    const { workload } = props;
    if (!workloadTrusts(workload, 'sagemaker.amazonaws.com')) {
      throw new PlatformValidationError(
        this,
        `workload: the execution role of '${workload.workloadName}' must trust sagemaker.amazonaws.com (WorkloadPrincipal.SAGEMAKER)`,
      );
    }
    this.validateInstanceType(props);
    const modelProblems = approvedModelProblems(props.approvedModel ?? ({} as ApprovedModelVersion), 'approvedModel');
    if (modelProblems.length > 0) throw new PlatformValidationError(this, modelProblems.join('; '));
    if (props.dataCapturePrefix !== undefined) this.validateCapturePrefix(workload, props.dataCapturePrefix);
    if (props.endpointName !== undefined && !Token.isUnresolved(props.endpointName)) {
      if (!ENDPOINT_NAME_PATTERN.test(props.endpointName)) {
        throw new PlatformValidationError(
          this,
          `endpointName must be 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit, got '${props.endpointName}'`,
        );
      }
    }

    const defaults = gpuModelEndpointDefaults();
    const initial = props.initialInstanceCount ?? defaults.initialInstanceCount;
    validateIntegerRange(this, 'initialInstanceCount', initial, 1, 1000);
    const min = props.minInstances ?? initial;
    validateIntegerRange(this, 'minInstances', min, 1, 1000);
    const max = props.maxInstances ?? min * 2;
    validateIntegerRange(this, 'maxInstances', max, 1, 1000);
    if (!Token.isUnresolved(max) && !Token.isUnresolved(min) && max < min) {
      throw new PlatformValidationError(this, `maxInstances (${max}) must be >= minInstances (${min})`);
    }
    if (!Token.isUnresolved(initial) && !Token.isUnresolved(min) && !Token.isUnresolved(max)) {
      if (initial < min || initial > max) {
        throw new PlatformValidationError(
          this,
          `initialInstanceCount (${initial}) must be from minInstances (${min}) to maxInstances (${max})`,
        );
      }
      if (initial < 2) {
        Annotations.of(this).addWarningV2(
          'ztai:endpoint-single-instance',
          `initialInstanceCount is ${initial}: the endpoint runs in one availability zone and has no redundancy.`,
        );
      }
    }
    const target = props.targetInvocationsPerInstance ?? defaults.targetInvocationsPerInstance;
    if (!Token.isUnresolved(target) && !(Number.isFinite(target) && target > 0)) {
      throw new PlatformValidationError(
        this,
        `targetInvocationsPerInstance must be a number > 0, got ${describeValue(target)}`,
      );
    }
    const sampling = props.dataCaptureSamplingPercentage ?? defaults.dataCaptureSamplingPercentage;
    validateIntegerRange(this, 'dataCaptureSamplingPercentage', sampling, 1, 100);
    return { initial, min, max, target, sampling };
  }

  private validateInstanceType(props: GpuModelEndpointProps): void {
    const type = props.instanceType;
    if (Token.isUnresolved(type)) return;
    if (!SAGEMAKER_INSTANCE_TYPE_PATTERN.test(type)) {
      throw new PlatformValidationError(
        this,
        `instanceType must be a SageMaker instance type such as 'ml.g5.xlarge', got '${type}'`,
      );
    }
    const unoffered = sageMakerEndpointInstanceTypeProblem(type, GPU_INSTANCE_FAMILIES);
    if (unoffered) {
      throw new PlatformValidationError(
        this,
        `instanceType '${type}' cannot be built: ${unoffered} (ProductionVariantInstanceType of the SageMaker API)`,
      );
    }
    if (isGpuInstanceType(type)) return;
    if (!props.allowCpuInstanceType) {
      throw new PlatformValidationError(
        this,
        `instanceType '${type}' is not of a GPU family; allowed families: ${GPU_INSTANCE_FAMILIES.join(', ')}` +
          ' (set allowCpuInstanceType: true if a CPU type is intended)',
      );
    }
    Annotations.of(this).addWarningV2(
      'ztai:endpoint-cpu-instance-type',
      `allowCpuInstanceType is true and instanceType '${type}' is not of a GPU family.`,
    );
  }

  private validateCapturePrefix(workload: IWorkloadIdentity, prefix: string): void {
    if (Token.isUnresolved(prefix)) return;
    const segments = prefix.slice(0, -1).split('/');
    const ok =
      prefix.startsWith(workload.dataPrefix) &&
      prefix.endsWith('/') &&
      SAFE_KEY_PATTERN.test(prefix) &&
      segments.every((s) => s !== '' && s !== '.' && s !== '..');
    if (!ok) {
      throw new PlatformValidationError(
        this,
        `dataCapturePrefix must be a prefix ending in '/' under the workload's data prefix '${workload.dataPrefix}' ` +
          `(e.g. '${workload.dataPrefix}data-capture/'), got '${prefix}'`,
      );
    }
  }

  /**
   * Put the execution role under the platform's SageMaker execution-role path, so its ARN is
   * `role/ztai/sagemaker-execution/<name>`, the ARN other stacks name before the role exists.
   */
  private placeExecutionRole(workload: IWorkloadIdentity): void {
    const cfnRole = workload.role.node.defaultChild;
    // An imported role keeps the path its owner gave it.
    if (!(cfnRole instanceof iam.CfnRole)) return;
    if (cfnRole.path !== undefined && cfnRole.path !== SAGEMAKER_EXECUTION_ROLE_PATH) {
      throw new PlatformValidationError(
        this,
        `workload: the execution role must be under the path '${SAGEMAKER_EXECUTION_ROLE_PATH}' (the path platform policies name SageMaker execution roles by), got '${cfnRole.path}'`,
      );
    }
    cfnRole.path = SAGEMAKER_EXECUTION_ROLE_PATH;
  }

  /**
   * Name, in a warning, the key-policy statements the owner of an imported key must add: CloudWatch
   * Logs for the log group's key, and use through SageMaker for the ML storage key.
   */
  private warnImportedKeys(logKey: kms.IKey, storageKey: kms.IKey | undefined): void {
    if (!isOwned(logKey)) {
      warnOwnerMustAdd(
        this,
        'ztai:imported-key-policy',
        `key ${logKey.keyArn}`,
        'its key policy',
        [cloudWatchLogsKeyStatement()],
        `CloudWatch Logs encrypts the endpoint's log group /aws/sagemaker/Endpoints/${this.endpointName} with it`,
      );
    }
    if (storageKey && !isOwned(storageKey)) {
      warnOwnerMustAdd(
        this,
        'ztai:imported-key-policy',
        `key ${storageKey.keyArn}`,
        'its key policy',
        keyUseThroughServicesStatements([KeyUsageService.SAGEMAKER]),
        "SageMaker encrypts the endpoint instances' ML storage volumes with it (KmsKeyId)",
      );
    }
  }

  /** What SageMaker does with the execution role: read the model, write captures, manage ENIs, write logs and metrics. */
  private grantExecution(props: GpuModelEndpointProps, capturePrefix: string): void {
    const { workload, network } = props;
    // s3:ListBucket (narrowed by s3:prefix to approved/<workload>/*, which the S3Prefix listing of
    // approved/<workload>/<model>/<version>/files/ matches) and s3:GetObject on the objects, plus
    // kms:Decrypt: an uncompressed S3Prefix model data source lists the prefix, then reads each object.
    props.modelsBucket.grantReadPrefix(workload, workload.approvedModelPrefix);
    props.dataCaptureBucket.grantWritePrefix(workload, capturePrefix);

    const vpcArn = Stack.of(this).formatArn({ service: 'ec2', resource: 'vpc', resourceName: network.vpc.vpcId });
    grantWithWildcards(workload, perms.SAGEMAKER_VPC_ENI, ['*'], WILDCARD_RESOURCE_REASON, {
      ArnEqualsIfExists: { 'ec2:Vpc': vpcArn },
    });
    grantWithWildcards(workload, perms.SAGEMAKER_VPC_DESCRIBE, ['*'], WILDCARD_RESOURCE_REASON);
    grantWithWildcards(
      workload,
      perms.SAGEMAKER_ENDPOINT_LOGS,
      [this.logGroup.logGroupArn],
      `Log streams of this endpoint's own log group ${this.logGroup.node.path} (streams are named by SageMaker).`,
    );
    grantWithWildcards(workload, perms.CLOUDWATCH_PUT_METRICS, ['*'], WILDCARD_RESOURCE_REASON, {
      StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' },
    });
  }
}

/** A lower-case name unique in the app, at most 63 characters, derived from the construct path. */
function defaultEndpointName(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 63, separator: '-' })
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .replace(/^-+|-+$/g, '');
}
