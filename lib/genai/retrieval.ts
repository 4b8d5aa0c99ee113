import { Annotations, Aws } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KnowledgeBase } from '../../constructs/genai/knowledge-base';
import { IVectorStore, VectorIndexAccess, VectorStore } from '../../constructs/genai/vector-store';
import { IWorkloadIdentity, WORKLOAD_TAG_KEY } from '../../constructs/identity/workload-identity';
import { PlatformPermissionsBoundary } from '../../constructs/identity/platform-permissions-boundary';
import { IPlatformNetwork, SubnetTier } from '../../constructs/network/segmented-network';
import { PlatformValidationError } from '../../constructs/private/validation';
import { IPrefixBucket, VpcEndpointTaggedExemption } from '../../constructs/storage/encrypted-bucket';
import {
  knowledgeBaseRoleName,
  knowledgeBaseRoleNamePrefix,
  vectorAccessPolicyName,
  vectorCollectionName,
} from '../config/naming-rules';

// The names retrieval builds live with the config's naming rules (the config validator checks them).
export { knowledgeBaseRoleName, vectorAccessPolicyName, vectorCollectionName };

/**
 * Retrieval for `genai` workloads, wired from config: one vector store per platform (in the platform
 * stack), and per workload with `genai.retrieval` a data-access policy to its own indexes and, with
 * `genai.retrieval.knowledgeBase`, a Bedrock knowledge base over its own data prefix.
 */

/** The embedding model of a knowledge base when the workload's config names none. */
export const DEFAULT_EMBEDDING_MODEL_ID = 'amazon.titan-embed-text-v2:0';

/** A workload as far as retrieval goes (`genai.retrieval` of a `genai` workload). */
export interface RetrievalWorkload {
  readonly name: string;
  readonly kind: string;
  readonly genai?: {
    readonly retrieval?: {
      /** A Bedrock knowledge base over the workload's data prefix, writing its own index. */
      readonly knowledgeBase?: boolean;
      /** The knowledge base's embedding model. @default DEFAULT_EMBEDDING_MODEL_ID */
      readonly embeddingModel?: string;
    };
  };
}

/** What of the platform config retrieval reads. */
export interface RetrievalConfig {
  readonly platformName: string;
  readonly profile: string;
  readonly workloads: readonly RetrievalWorkload[];
}

/** The pieces of the platform stack the vector store is built from. */
export interface RetrievalPlatform {
  readonly boundary: PlatformPermissionsBoundary;
  readonly network: IPlatformNetwork;
  /** The platform's data key: the collection is encrypted with it. */
  readonly dataKey: kms.IKey;
}

/** The `genai` workloads with `genai.retrieval`. */
export function retrievalWorkloads(config: RetrievalConfig): RetrievalWorkload[] {
  return config.workloads.filter((w) => w.kind === 'genai' && w.genai?.retrieval !== undefined);
}

/**
 * The domains the DNS Firewall must resolve for workloads to reach the collection: its endpoint
 * `<id>.<region>.aoss.amazonaws.com`, which resolves to the VPC endpoint inside the VPC.
 */
export function vectorStoreDnsDomains(): string[] {
  return [`*.${Aws.REGION}.aoss.amazonaws.com`];
}

/**
 * The platform's vector store, in the platform stack, when some workload retrieves; else undefined.
 * Its VPC endpoint is in the data tier (where `genai` and `agent` workloads run; the network ACLs
 * admit traffic within a tier). The permissions boundary's ceiling is raised by `aoss:APIAccessAll`
 * (and, with knowledge bases, `bedrock:InvokeModel` and `bedrock:Retrieve`), by name: roles still need
 * their own grants, on this collection, their embedding model, their knowledge base.
 *
 * Loosenings decided here, from the config: standby replicas off outside the production profile,
 * and the Bedrock service admitted by the network policy only when some workload has a knowledge base.
 */
export function addVectorStore(
  scope: Construct,
  platform: RetrievalPlatform,
  config: RetrievalConfig,
): VectorStore | undefined {
  const workloads = retrievalWorkloads(config);
  if (workloads.length === 0) return undefined;
  const knowledgeBases = workloads.filter((w) => w.genai?.retrieval?.knowledgeBase);
  const store = new VectorStore(scope, 'VectorStore', {
    collectionName: vectorCollectionName(config.platformName),
    encryptionKey: platform.dataKey,
    vpc: platform.network.vpc,
    subnets: platform.network.tierSubnets(SubnetTier.DATA),
    allowBedrockKnowledgeBases: knowledgeBases.length > 0,
    disableStandbyReplicas: config.profile !== 'production',
    description: `Zero-trust AI platform ${config.platformName}: vectors of the genai workloads, one index set per workload`,
  });
  if (knowledgeBases.length > 0) {
    Annotations.of(store).acknowledgeWarning(
      'ztai:vector-store-bedrock-source',
      `The config gives ${knowledgeBases.map((w) => w.name).join(', ')} a knowledge base: Bedrock reaches the collection, each knowledge base role only its own index.`,
    );
  }
  if (config.profile !== 'production') {
    Annotations.of(store).acknowledgeWarning(
      'ztai:vector-store-no-standby-replicas',
      `Profile '${config.profile}': one Availability Zone of vector replicas halves the collection's cost floor.`,
    );
  }
  // The boundary's ceiling gains the actions by name only (resource `*`, narrowed by each role's own
  // policy): the boundary is one managed policy of at most 6,144 characters, and per-resource statements
  // for the collection, the embedding models and the knowledge bases would not fit beside the rest.
  platform.boundary.raiseCeiling(['aoss:APIAccessAll']);
  if (knowledgeBases.length > 0) {
    // The knowledge base roles embed with their models; workloads query their own knowledge base.
    platform.boundary.raiseCeiling(['bedrock:InvokeModel', 'bedrock:Retrieve']);
  }
  return store;
}

/**
 * The data bucket's VPC-endpoint exemption retrieval needs: a knowledge base's role reads its workload's
 * prefix from the Bedrock service, not through the platform's S3 gateway endpoint. One tagged family for
 * every knowledge base role (`<platformName>-kb-*`, at the root path), each confined to
 * `workloads/<its ai-platform:workload tag>/` and to reads, so the bucket policy does not grow with the
 * workloads (it holds at most 20 KB); none without a knowledge base.
 */
export function retrievalDataExemptions(config: RetrievalConfig): VpcEndpointTaggedExemption[] {
  if (!retrievalWorkloads(config).some((w) => w.genai?.retrieval?.knowledgeBase)) return [];
  return [
    {
      principalArnPattern: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${knowledgeBaseRoleNamePrefix(config.platformName)}*`,
      principalTagKey: WORKLOAD_TAG_KEY,
      keyPrefix: 'workloads/',
      actions: ['s3:GetObject', 's3:ListBucket'],
      reason:
        "each Bedrock knowledge base reads its workload's documents with its service role, from the Bedrock service",
    },
  ];
}

export interface RetrievalOptions {
  /** The platform's vector store (`addVectorStore`). */
  readonly store: IVectorStore;
  /** The platform data bucket. */
  readonly dataBucket: IPrefixBucket;
  readonly platformName: string;
  /** The workload's config. */
  readonly workload: RetrievalWorkload;
  /** The workload's identity. */
  readonly identity: IWorkloadIdentity;
  /** The workload's security group, admitted to the collection's VPC endpoint. @default - none admitted */
  readonly securityGroup?: ec2.ISecurityGroup;
}

/** What retrieval gave a workload. */
export interface Retrieval {
  /** Its data-access policy on the collection (its role, its indexes). */
  readonly access: VectorIndexAccess;
  /** Its knowledge base, with `genai.retrieval.knowledgeBase`. */
  readonly knowledgeBase?: KnowledgeBase;
  /**
   * The security groups the workload's network interfaces must carry, besides its own, to reach the
   * collection's VPC endpoint (the store's clients group); none without `securityGroup`.
   */
  readonly securityGroups: ec2.ISecurityGroup[];
}

/**
 * Give a `genai` workload retrieval: its role may use its own indexes (`<workload>_*`) of the
 * collection, its network interfaces may reach the collection's VPC endpoint (carrying the store's clients
 * group, returned in `securityGroups`), and with
 * `genai.retrieval.knowledgeBase` a Bedrock knowledge base reads its data prefix into `<workload>_kb`
 * and the workload may query it (`bedrock:Retrieve`, that knowledge base only).
 * Everything is created in `scope` (the workload's stack).
 */
export function addRetrieval(scope: Construct, options: RetrievalOptions): Retrieval {
  const { workload, identity, store } = options;
  const retrieval = workload.genai?.retrieval;
  if (!retrieval) {
    throw new PlatformValidationError(
      scope,
      `addRetrieval: workload '${workload.name}' has no genai.retrieval in its config; call it only for workloads that retrieve`,
    );
  }
  if (identity.workloadName !== workload.name) {
    throw new PlatformValidationError(
      scope,
      `addRetrieval: identity is workload '${identity.workloadName}''s, config is '${workload.name}''s`,
    );
  }
  const access = store.grantIndex(identity, {
    accessPolicyName: vectorAccessPolicyName(options.platformName, workload.name),
  });
  const securityGroups = options.securityGroup ? store.admitWorkload(options.securityGroup) : [];
  const knowledgeBase = retrieval.knowledgeBase
    ? new KnowledgeBase(scope, 'KnowledgeBase', {
        store,
        workload: identity,
        indexAccess: access,
        dataBucket: options.dataBucket,
        embeddingModelId: embeddingModelOf(workload),
        roleName: knowledgeBaseRoleName(options.platformName, workload.name),
      })
    : undefined;
  knowledgeBase?.grantRetrieve(identity);
  return { access, knowledgeBase, securityGroups };
}

function embeddingModelOf(workload: RetrievalWorkload): string {
  return workload.genai?.retrieval?.embeddingModel ?? DEFAULT_EMBEDDING_MODEL_ID;
}
