import { Annotations, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  FleetMachineImage,
  GpuFleet,
  GpuModelEndpoint,
  ModelImage,
  ModelImageRepository,
} from '../../constructs/inference';
import { IMAGE_REPOSITORIES_PER_STACK } from '../config/quotas';
import { PlatformValidationError } from '../../constructs/private/validation';
import {
  releaseRoleName,
  releaseRolePath,
  roleArnFromName,
  workloadEndpointName,
  workloadRepositoryName,
} from '../config/names';
import { WorkloadConfig } from '../config/platform-config';
import { PLACEHOLDER_IMAGE_DIGEST } from '../config/reference-workloads';
import { PlatformStack } from '../platform-stack';
import { WorkloadStack } from '../workload-stack';

// The config's type, its validation and the placeholder digest live with the config (lib/config); re-exported for existing importers.
export type { WorkloadComputeConfig } from '../config/platform-config';
export { PLACEHOLDER_IMAGE_DIGEST } from '../config/reference-workloads';
export { validateComputeConfig } from '../config/validate-config';

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
  const { compute = {} } = workload;
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
        // Fits (<= 63 characters): the validator derives the workload name's limit from this generator.
        endpointName: workloadEndpointName(stack.stackName),
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
        minInstances: compute.minInstances,
        maxInstances: compute.maxInstances,
      });
      return { fleet, repository };
    }
    default:
      return {};
  }
}

// The name of a workload's image repository (`<platform stack>/<workload>`) is built with the config's names.
export { workloadRepositoryName } from '../config/names';

/**
 * Image repositories per stack (`IMAGE_REPOSITORIES_PER_STACK`, with the quotas the config validator checks):
 * the platform stack holds the first this many, and each further `<platform>-images-<n>` stack as many. A
 * repository is one resource, and each one a workload stack references is two outputs of its stack
 * (CloudFormation allows 200 outputs and 500 resources a stack,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), so the
 * platform stack's share stays bounded whatever the number of workloads.
 */
export { IMAGE_REPOSITORIES_PER_STACK };

/** Where a platform's image repositories are made: the scope of each shard, filled in order. */
const imageShards = new WeakMap<PlatformStack, { scopes: Construct[]; count: number; perStack: number }>();

/**
 * Set how many image repositories each stack of this platform holds (`IMAGE_REPOSITORIES_PER_STACK`
 * unless set), before the first repository is made: tests shard a small platform this way.
 */
export function setImageRepositoriesPerStack(platform: PlatformStack, perStack: number): void {
  const shards = imageShards.get(platform);
  if ((shards && shards.count > 0) || !Number.isInteger(perStack) || perStack < 1) {
    throw new PlatformValidationError(
      platform,
      `imageRepositoriesPerStack must be a whole number, at least 1, set before the first repository; got ${perStack}` +
        (shards && shards.count > 0 ? ` after ${shards.count} repositories` : ''),
    );
  }
  imageShards.set(platform, { scopes: [], count: 0, perStack });
}

/**
 * The stacks holding image repositories besides the platform stack (`<platform>-images-<n>`, n from 2),
 * in order.
 */
export function imageStacks(platform: PlatformStack): Stack[] {
  return (imageShards.get(platform)?.scopes ?? []).slice(1).map((s) => Stack.of(s));
}

/**
 * The image repository of a workload, in the platform stack or, beyond its first
 * `IMAGE_REPOSITORIES_PER_STACK`, in an images stack (either way it exists, and can be pushed to,
 * before the workload stack deploys), named `workloadRepositoryName(<platform stack>, <workload>)`.
 * Created on first use; the platform's release role (`releaseRoleName(platformName)`) may push to it.
 */
export function imageRepositoryFor(
  platform: PlatformStack,
  workloadName: string,
  platformName: string,
): ModelImageRepository {
  const shards = imageShards.get(platform) ?? { scopes: [], count: 0, perStack: IMAGE_REPOSITORIES_PER_STACK };
  imageShards.set(platform, shards);
  for (const scope of shards.scopes) {
    const existing = scope.node.tryFindChild(workloadName) as ModelImageRepository | undefined;
    if (existing) return existing;
  }
  const index = Math.floor(shards.count / shards.perStack);
  if (!shards.scopes[index]) {
    if (index === 0) {
      shards.scopes.push(
        (platform.node.tryFindChild('WorkloadImages') as Construct | undefined) ??
          new Construct(platform, 'WorkloadImages'),
      );
    } else {
      const stackName = `${platformName}-images-${index + 1}`;
      const stack = new Stack(platform.node.scope!, stackName, {
        env: platform.deployEnv,
        stackName,
        description: `Zero-trust AI platform: workload image repositories, shard ${index + 1}`,
      });
      stack.addStackDependency(platform, 'models key');
      shards.scopes.push(new Construct(stack, 'WorkloadImages'));
    }
  }
  const images = shards.scopes[index];
  shards.count += 1;
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

function requireField<T>(stack: Construct, workload: WorkloadConfig, field: string, value: T | undefined): T {
  if (value === undefined) {
    throw new PlatformValidationError(
      stack,
      `workload '${workload.name}' (${workload.kind}) has no ${field}; validate the configuration with validateComputeConfig`,
    );
  }
  return value;
}
