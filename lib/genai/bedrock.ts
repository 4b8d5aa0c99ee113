import { Aws } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BedrockEndpoints } from '../../constructs/genai/bedrock-endpoints';
import { BedrockGuardrail, bedrockGuardrailDefaults } from '../../constructs/genai/bedrock-guardrail';
import { BedrockModel } from '../../constructs/genai/bedrock-model';
import { ModelInvocationLogging } from '../../constructs/genai/model-invocation-logging';
import { VectorStore } from '../../constructs/genai/vector-store';
import { PlatformPermissionsBoundary } from '../../constructs/identity/platform-permissions-boundary';
import { IWorkloadIdentity } from '../../constructs/identity/workload-identity';
import { IPlatformNetwork } from '../../constructs/network/segmented-network';
import { PlatformValidationError } from '../../constructs/private/validation';
import { EncryptedBucket, IPrefixBucket } from '../../constructs/storage/encrypted-bucket';
import { PlatformConfig, WorkloadConfig } from '../config/platform-config';
import {
  addRetrieval,
  addVectorStore,
  DEFAULT_EMBEDDING_MODEL_ID,
  Retrieval,
  retrievalWorkloads,
  vectorStoreDnsDomains,
} from './retrieval';

/**
 * Bedrock for `genai` workloads, wired from config. In the platform stack (`addGenAi`): one guardrail
 * per genai workload (its settings from `genai.guardrail`, encrypted with the data key, published as a
 * version), the `bedrock-runtime` interface endpoint (and `bedrock-agent-runtime` with knowledge
 * bases) admitting only the configured models and guardrails, the permissions boundary's requirement
 * that every model invocation of every platform role name an approved guardrail, model invocation
 * logging, and the vector store (./retrieval.ts). In each genai workload's stack
 * (`addGenAiWorkload`): its grant to invoke its models through its own guardrail only, and its retrieval.
 */

/** The `genai` workloads of a config. */
export function genaiWorkloads(config: Pick<PlatformConfig, 'workloads'>): WorkloadConfig[] {
  return config.workloads.filter((w) => w.kind === 'genai');
}

/** The models a genai workload invokes (its config's `genai.models`). */
export function workloadModels(workload: WorkloadConfig): BedrockModel[] {
  return (workload.genai?.models ?? []).map((id) => BedrockModel.fromId(id));
}

/**
 * The domains the DNS Firewall must resolve for genai workloads: the Bedrock runtime endpoints'
 * private DNS names, and the vector store's when some workload retrieves. Empty without genai workloads.
 */
export function genaiDnsDomains(config: PlatformConfig): string[] {
  const workloads = genaiWorkloads(config);
  if (workloads.length === 0) return [];
  const retrieval = retrievalWorkloads(config);
  const knowledgeBases = retrieval.some((w) => w.genai?.retrieval?.knowledgeBase);
  return [...BedrockEndpoints.dnsNames(knowledgeBases), ...(retrieval.length > 0 ? vectorStoreDnsDomains() : [])];
}

/** The pieces of the platform stack genai is built from. */
export interface GenAiPlatformParts {
  readonly boundary: PlatformPermissionsBoundary;
  readonly network: IPlatformNetwork;
  /** The data key: guardrails and the vector collection are encrypted with it (a key whose policy this app writes). */
  readonly dataKey: kms.IKey;
  /**
   * The data bucket: invocation logs go under `bedrock-invocation-logs/` (Bedrock writes them as
   * the service, encrypting with the bucket's key); knowledge bases read workload prefixes.
   */
  readonly dataBucket: EncryptedBucket;
  /** The logs key: the invocation-log group is encrypted with it. */
  readonly logsKey: kms.IKey;
}

/** What `addGenAi` built in the platform stack. */
export interface GenAiPlatform {
  /** Each genai workload's guardrail, by workload name. */
  readonly guardrails: ReadonlyMap<string, BedrockGuardrail>;
  readonly endpoints: BedrockEndpoints;
  readonly invocationLogging: ModelInvocationLogging;
  /** The vector store, when some genai workload retrieves. */
  readonly store?: VectorStore;
  /** The data bucket (for the knowledge bases). */
  readonly dataBucket: IPrefixBucket;
  readonly platformName: string;
}

/**
 * Bedrock in the platform stack, when the config has genai workloads; else undefined. Call it once
 * the buckets exist (invocation logs go to the data bucket).
 */
export function addGenAi(
  scope: Construct,
  parts: GenAiPlatformParts,
  config: PlatformConfig,
): GenAiPlatform | undefined {
  const workloads = genaiWorkloads(config);
  if (workloads.length === 0) return undefined;
  const defaults = bedrockGuardrailDefaults();
  const guardrails = new Map<string, BedrockGuardrail>();
  for (const w of workloads) {
    const g = w.genai?.guardrail ?? {};
    guardrails.set(
      w.name,
      new BedrockGuardrail(scope, `Guardrail-${w.name}`, {
        encryptionKey: parts.dataKey,
        description: `Zero-trust AI platform ${config.platformName}: guardrail of workload ${w.name}`,
        promptAttack: g.promptAttack,
        allowNoPromptAttackFilter: g.allowNoPromptAttackFilter,
        contentFilters: g.contentFilters,
        sensitiveInformation: g.pii
          ? { action: g.pii.action, entities: g.pii.entities ?? defaults.sensitiveInformation.entities }
          : undefined,
        deniedTopics: g.deniedTopics,
      }),
    );
  }
  const models = uniqueModels(workloads.flatMap(workloadModels));
  const retrieval = retrievalWorkloads(config);
  const knowledgeBases = retrieval.filter((w) => w.genai?.retrieval?.knowledgeBase);
  const endpoints = new BedrockEndpoints(scope, 'BedrockEndpoints', {
    network: parts.network,
    models,
    guardrails: [...guardrails.values()],
    knowledgeBases: knowledgeBases.length > 0,
  });
  // Embedding models take no guardrail: only the knowledge bases' roles invoke them, without one.
  const embeddingModels = uniqueModels(
    knowledgeBases.map((w) => BedrockModel.fromId(w.genai?.retrieval?.embeddingModel ?? DEFAULT_EMBEDDING_MODEL_ID)),
  );
  // Every platform role: no model invocation without a guardrail of this account (one pattern, so the
  // boundary does not grow with the workloads); each workload's own policy pins its own guardrail's
  // published version (grantInvoke). Embedding models take no guardrail: only the knowledge bases'
  // roles are granted them.
  parts.boundary.requireGuardrailForModelInvocation({
    guardrailIdentifiers: [accountGuardrailsPattern()],
    // In any Region: the boundary is one managed policy of at most 6,144 characters, and Region names vary in length.
    unguardedModelArns:
      knowledgeBases.length > 0
        ? embeddingModels.map((m) => `arn:${Aws.PARTITION}:bedrock:*::foundation-model/${m.foundationModelId}`)
        : undefined,
  });
  const invocationLogging = new ModelInvocationLogging(scope, 'ModelInvocationLogging', {
    bucket: parts.dataBucket.bucket,
    bucketKey: parts.dataBucket.encryptionKey,
    logGroupKey: parts.logsKey,
    logRetention: config.logRetentionDays as logs.RetentionDays,
  });
  // The deploy-time call that sets it runs under the boundary too (journey 7, step 7.11a): without the
  // action in the ceiling, the platform stack's first deployment with a genai workload would fail.
  parts.boundary.raiseCeiling([...ModelInvocationLogging.CONFIGURE_ACTIONS]);
  const store = addVectorStore(
    scope,
    { boundary: parts.boundary, network: parts.network, dataKey: parts.dataKey },
    config,
  );
  return {
    guardrails,
    endpoints,
    invocationLogging,
    store,
    dataBucket: parts.dataBucket,
    platformName: config.platformName,
  };
}

/** What `addGenAiWorkload` gave a workload. */
export interface GenAiWorkload {
  readonly guardrail: BedrockGuardrail;
  readonly models: readonly BedrockModel[];
  readonly retrieval?: Retrieval;
}

/**
 * A genai workload's grants, in its own stack: it invokes its models (and only those) through its own
 * guardrail only (`BedrockGuardrail.grantInvoke`), and with `genai.retrieval` it reads and writes its
 * own indexes (and queries its own knowledge base).
 */
export function addGenAiWorkload(
  scope: Construct,
  genai: GenAiPlatform,
  workload: WorkloadConfig,
  identity: IWorkloadIdentity,
  securityGroup: ec2.ISecurityGroup,
): GenAiWorkload {
  const guardrail = genai.guardrails.get(workload.name);
  if (workload.kind !== 'genai' || !guardrail) {
    throw new PlatformValidationError(
      scope,
      `addGenAiWorkload: workload '${workload.name}' is not a genai workload of the platform (known: ${[...genai.guardrails.keys()].join(', ')})`,
    );
  }
  const models = workloadModels(workload);
  guardrail.grantInvoke(identity, ...models);
  const retrieval =
    workload.genai?.retrieval && genai.store
      ? addRetrieval(scope, {
          store: genai.store,
          dataBucket: genai.dataBucket,
          platformName: genai.platformName,
          workload,
          identity,
          securityGroup,
        })
      : undefined;
  return { guardrail, models, retrieval };
}

/**
 * Every guardrail of this account, as `bedrock:GuardrailIdentifier` carries it (`<ARN>:<version>`). Any
 * Region: the boundary's size must not depend on the Region's name (it is one managed policy of at most
 * 6,144 characters), and a guardrail of another Region cannot be applied here.
 */
export function accountGuardrailsPattern(): string {
  return `arn:${Aws.PARTITION}:bedrock:*:${Aws.ACCOUNT_ID}:guardrail/*`;
}

function uniqueModels(models: BedrockModel[]): BedrockModel[] {
  const seen = new Map<string, BedrockModel>();
  for (const m of models) if (!seen.has(m.modelId)) seen.set(m.modelId, m);
  return [...seen.values()];
}
