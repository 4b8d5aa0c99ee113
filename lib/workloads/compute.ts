import { Annotations, Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  AMI_ID_PATTERN,
  ApprovedModelVersion,
  approvedModelProblems,
  FleetMachineImage,
  GpuFleet,
  GpuModelEndpoint,
  IMAGE_DIGEST_PATTERN,
  ModelImage,
  ModelImageRepository,
  PINNED_ECR_IMAGE_URI_PATTERN,
} from '../../constructs/inference';
import { PlatformValidationError } from '../../constructs/private/validation';
import { releaseRoleName, releaseRolePath, roleArnFromName } from '../config/names';
import { WorkloadConfig } from '../config/platform-config';
import { PlatformStack } from '../platform-stack';
import { WorkloadStack } from '../workload-stack';

/**
 * The compute of a `realtime-inference` or `batch` workload: `workloads[i].compute` in the
 * platform configuration. Validated by `validateComputeConfig`.
 */
export interface WorkloadComputeConfig {
  /**
   * `realtime-inference`: digest (`sha256:<64 hex>`) of the model server image in the workload's
   * repository of the platform (`<platform stack>/<workload>`). Set exactly one of imageDigest and imageUri.
   */
  readonly imageDigest?: string;
  /** `realtime-inference`: a private ECR image URI pinned by digest, instead of the platform repository. */
  readonly imageUri?: string;
  /**
   * `realtime-inference` (required): the approved model version the endpoint serves, as signed and
   * admitted (`ztai-model sign` subject): SageMaker loads `approved/<workload>/<name>/<version>/files/`.
   * `name` and `version` follow the admission gate's rule for key segments.
   */
  readonly model?: ApprovedModelVersion;
  /** Fewest instances. @default 2 for `realtime-inference`, 0 for `batch` */
  readonly minInstances?: number;
  /** Most instances. @default twice minInstances for `realtime-inference`, max(1, minInstances) for `batch` */
  readonly maxInstances?: number;
  /** `batch`: a pinned AMI id. @default - the AWS Deep Learning Base GPU AMI (Amazon Linux 2023), read from its public SSM parameter at deploy time */
  readonly amiId?: string;
}

/** The compute fields of a workload (the lead's `WorkloadConfig` gains `compute?: WorkloadComputeConfig`). */
type WorkloadWithCompute = WorkloadConfig & { readonly compute?: WorkloadComputeConfig };

/**
 * The digest the embedded default configuration gives `fraud-scoring`: a documented placeholder.
 * The default config synthesizes without Docker or an account; deploying the endpoint needs a real
 * image pushed to the workload's repository and its digest here (`docker push`, then
 * `aws ecr describe-images --query 'imageDetails[0].imageDigest'`).
 */
export const PLACEHOLDER_IMAGE_DIGEST = `sha256:${'0'.repeat(64)}`;

/** Fields `workloads[i].compute` may hold, by workload kind. */
const COMPUTE_FIELDS: Record<string, readonly string[]> = {
  'realtime-inference': ['imageDigest', 'imageUri', 'model', 'minInstances', 'maxInstances'],
  batch: ['minInstances', 'maxInstances', 'amiId'],
};

/** Instance counts a workload may ask for. */
const MAX_INSTANCES = 100;

export interface WorkloadCompute {
  /** The SageMaker endpoint of a `realtime-inference` workload. */
  readonly endpoint?: GpuModelEndpoint;
  /** The GPU fleet of a `batch` workload. */
  readonly fleet?: GpuFleet;
  /** The workload's image repository in the platform stack. */
  readonly repository?: ModelImageRepository;
}

export interface WorkloadComputeOptions {
  /** Retention of the endpoint's container log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Give a workload its compute: a SageMaker endpoint for `realtime-inference`, a GPU fleet (min 0)
 * for `batch`, nothing for `agent`. Both pull images from a repository of their own in the platform
 * stack (created here on first use), which names only that workload's role as puller and the
 * platform's release role as pusher.
 */
export function addWorkloadCompute(
  stack: WorkloadStack,
  platform: PlatformStack,
  workload: WorkloadConfig,
  options: WorkloadComputeOptions = {},
): WorkloadCompute {
  const { compute = {} } = workload as WorkloadWithCompute;
  const identity = stack.identity;
  switch (workload.kind) {
    case 'realtime-inference': {
      const repository = compute.imageUri ? undefined : imageRepositoryFor(platform, workload.name, stack.platformName);
      const image = compute.imageUri
        ? ModelImage.fromImageUri(compute.imageUri)
        : ModelImage.fromRepository(repository!, requireField(stack, workload, 'imageDigest', compute.imageDigest));
      if (repository && compute.imageDigest === PLACEHOLDER_IMAGE_DIGEST) {
        Annotations.of(stack).addInfoV2(
          'ztai:placeholder-image-digest',
          `workload '${workload.name}' uses the placeholder image digest; push the model server image to ` +
            `${repository.node.path} and set compute.imageDigest before deploying the endpoint.`,
        );
      }
      const endpoint = new GpuModelEndpoint(stack, 'Endpoint', {
        workload: identity,
        network: platform.network,
        modelsBucket: platform.modelsBucket,
        approvedModel: requireField(stack, workload, 'compute.model', compute.model),
        image,
        instanceType: requireField(stack, workload, 'instanceType', workload.instanceType),
        dataCaptureBucket: platform.dataBucket,
        logEncryptionKey: platform.keys.logs.key,
        logRetention: options.logRetention,
        minInstances: compute.minInstances,
        initialInstanceCount: compute.minInstances,
        maxInstances: compute.maxInstances,
        endpointName: `${stack.stackName}-endpoint`.toLowerCase().slice(0, 63).replace(/-+$/, ''),
      });
      return { endpoint, repository };
    }
    case 'batch': {
      const repository = imageRepositoryFor(platform, workload.name, stack.platformName);
      repository.grantPull(identity);
      const fleet = new GpuFleet(stack, 'Fleet', {
        workload: identity,
        network: platform.network,
        instanceType: requireField(stack, workload, 'instanceType', workload.instanceType),
        machineImage: compute.amiId
          ? FleetMachineImage.fromAmiId(compute.amiId)
          : FleetMachineImage.deepLearningBaseGpu(),
        volumeKey: platform.keys.data.key,
        minInstances: compute.minInstances ?? 0,
        maxInstances: compute.maxInstances,
      });
      return { fleet, repository };
    }
    default:
      return {};
  }
}

/** The name of a workload's image repository: `<platform stack>/<workload>`, lower-case. */
export function workloadRepositoryName(platformStackName: string, workloadName: string): string {
  return `${platformStackName}/${workloadName}`.toLowerCase();
}

/**
 * The image repository of a workload, in the platform stack (so it exists, and can be pushed to,
 * before the workload stack deploys), named `workloadRepositoryName(<platform stack>, <workload>)`.
 * Created on first use; the platform's release role (`releaseRoleName(platformName)`) may push to it.
 */
export function imageRepositoryFor(
  platform: PlatformStack,
  workloadName: string,
  platformName: string,
): ModelImageRepository {
  const images =
    (platform.node.tryFindChild('WorkloadImages') as Construct | undefined) ??
    new Construct(platform, 'WorkloadImages');
  const existing = images.node.tryFindChild(workloadName) as ModelImageRepository | undefined;
  if (existing) return existing;
  const repository = new ModelImageRepository(images, workloadName, {
    encryptionKey: platform.keys.models.key,
    repositoryName: workloadRepositoryName(platform.stackName, workloadName),
  });
  // The repository policy names the release role by its ARN (known from config); the role's own
  // policy, which allows the push, is granted where the role is defined (lib/integrity.ts).
  repository.grantPush(releaseRoleReference(images, platformName));
  return repository;
}

/** The platform's release role, imported by its known ARN into `scope` (once), immutable. */
function releaseRoleReference(scope: Construct, platformName: string): iam.IRole {
  const id = 'ReleaseRoleRef';
  return (
    (scope.node.tryFindChild(id) as iam.IRole | undefined) ??
    iam.Role.fromRoleArn(
      scope,
      id,
      roleArnFromName(Aws.PARTITION, Aws.ACCOUNT_ID, releaseRolePath(platformName), releaseRoleName(platformName)),
      { mutable: false },
    )
  );
}

/**
 * Check `workloads[i].compute` of one raw (parsed, unvalidated) workload. Returns every problem,
 * naming the field, the value received and what is allowed, in the style of validatePlatformConfig.
 */
export function validateComputeConfig(rawWorkload: unknown, at = 'workload'): string[] {
  const problems: string[] = [];
  if (!isObject(rawWorkload)) return problems; // the workload itself is reported by validatePlatformConfig
  const kind = rawWorkload.kind;
  const name = typeof rawWorkload.name === 'string' ? rawWorkload.name : '<name>';
  const raw = rawWorkload.compute;
  const path = `${at}.compute`;
  const allowed = typeof kind === 'string' ? COMPUTE_FIELDS[kind] : undefined;

  if (raw === undefined) {
    if (kind === 'realtime-inference') {
      problems.push(
        `${path}: a 'realtime-inference' workload needs compute.imageDigest (the image in its platform repository, 'sha256:<64 hex>') or compute.imageUri, and compute.model (the approved model it serves, { name, version }); got no compute`,
      );
    }
    return problems;
  }
  if (!isObject(raw)) {
    problems.push(`${path}: must be an object, got ${show(raw)}`);
    return problems;
  }
  if (!allowed) {
    problems.push(
      `${path}: only 'realtime-inference' and 'batch' workloads have compute; remove it (kind is ${show(kind)})`,
    );
    return problems;
  }
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      problems.push(
        `${path}.${key}: unknown field for a '${kind}' workload; allowed fields of ${path}: ${allowed.join(', ')}`,
      );
    }
  }

  if (
    raw.imageDigest !== undefined &&
    (typeof raw.imageDigest !== 'string' || !IMAGE_DIGEST_PATTERN.test(raw.imageDigest))
  ) {
    problems.push(
      `${path}.imageDigest: must be an image digest 'sha256:' followed by 64 lower-case hex digits (a tag is not accepted), got ${show(raw.imageDigest)}`,
    );
  }
  if (kind === 'realtime-inference') {
    if (
      raw.imageUri !== undefined &&
      (typeof raw.imageUri !== 'string' || !PINNED_ECR_IMAGE_URI_PATTERN.test(raw.imageUri))
    ) {
      problems.push(
        `${path}.imageUri: must be a private ECR image pinned by digest, '<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>', got ${show(raw.imageUri)}`,
      );
    }
    if ((raw.imageDigest === undefined) === (raw.imageUri === undefined)) {
      problems.push(
        `${path}: set exactly one of imageDigest and imageUri, got ${raw.imageDigest === undefined ? 'neither' : 'both'}`,
      );
    }
    problems.push(...modelProblems(raw.model, `${path}.model`, name));
  }
  if (raw.amiId !== undefined && (typeof raw.amiId !== 'string' || !AMI_ID_PATTERN.test(raw.amiId))) {
    problems.push(`${path}.amiId: must be an AMI id such as 'ami-0123456789abcdef0', got ${show(raw.amiId)}`);
  }

  const minFloor = kind === 'batch' ? 0 : 1;
  const min = integer(problems, `${path}.minInstances`, raw.minInstances, minFloor, MAX_INSTANCES);
  const max = integer(problems, `${path}.maxInstances`, raw.maxInstances, 1, MAX_INSTANCES);
  const effectiveMin = min ?? (kind === 'batch' ? 0 : 2);
  if (max !== undefined && max < effectiveMin) {
    problems.push(
      `${path}.maxInstances: must be >= minInstances (${effectiveMin}${min === undefined ? ', the default' : ''}), got ${max}`,
    );
  }
  return problems;
}

/** Problems of `compute.model` of a real-time workload: required, `{ name, version }`, each a key segment by the gate's rule. */
function modelProblems(raw: unknown, path: string, workloadName: string): string[] {
  const example = `{ name: 'fraud-model', version: '1' }`;
  if (raw === undefined) {
    return [
      `${path}: a 'realtime-inference' workload needs the approved model it serves, ${example}; the endpoint loads approved/${workloadName}/<name>/<version>/files/, which the admission gate writes; got none`,
    ];
  }
  if (!isObject(raw)) return [`${path}: must be an object ${example}, got ${show(raw)}`];
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (key !== 'name' && key !== 'version') {
      problems.push(`${path}.${key}: unknown field; allowed fields of ${path}: name, version`);
    }
  }
  for (const field of ['name', 'version'] as const) {
    if (raw[field] === undefined) problems.push(`${path}.${field}: required (e.g. ${example}), got none`);
  }
  if (raw.name === undefined || raw.version === undefined) return problems;
  problems.push(...approvedModelProblems({ name: raw.name, version: raw.version } as ApprovedModelVersion, path));
  return problems;
}

function requireField<T>(stack: Construct, workload: WorkloadConfig, field: string, value: T | undefined): T {
  if (value === undefined) {
    throw new PlatformValidationError(
      stack,
      `workload '${workload.name}' (${workload.kind}) has no ${field}; validate the configuration with validateComputeConfig`,
    );
  }
  return value;
}

function integer(problems: string[], path: string, x: unknown, min: number, max: number): number | undefined {
  if (x === undefined) return undefined;
  if (typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max) return x;
  problems.push(`${path}: must be an integer from ${min} to ${max}, got ${show(x)}`);
  return undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function show(x: unknown): string {
  return typeof x === 'string' ? `'${x}'` : (JSON.stringify(x) ?? 'undefined');
}
