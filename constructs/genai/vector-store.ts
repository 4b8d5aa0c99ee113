import { Annotations, Aws, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import { Construct, IConstruct } from 'constructs';
import { IWorkloadIdentity } from '../identity/workload-identity';
import { describeValue, PlatformValidationError } from '../private/validation';
import * as perms from './vector-store-perms';

const HTTPS = 443;

/** OpenSearch Serverless names (collections, security and access policies, VPC endpoints): 3-32, `^[a-z][a-z0-9-]{2,31}$`. */
export const AOSS_NAME_PATTERN = /^[a-z][a-z0-9-]{2,31}$/;
/** The longest name OpenSearch Serverless takes for a collection, a policy or a VPC endpoint. */
export const AOSS_NAME_MAX_LENGTH = 32;
/**
 * The longest collection name a `VectorStore` takes: the collection's encryption policy, network
 * policy and VPC endpoint are named `<collectionName>-enc`, `-net` and `-vpce`, each at most 32.
 */
export const VECTOR_COLLECTION_NAME_MAX_LENGTH = AOSS_NAME_MAX_LENGTH - '-vpce'.length;

/** The service principal a knowledge base reaches a collection as (network policy `SourceServices`). */
export const BEDROCK_SERVICE = 'bedrock.amazonaws.com';

export interface VectorStoreProps {
  /**
   * The collection's name: 3-27 lower-case letters, digits and '-', starting with a letter (OpenSearch
   * Serverless allows 32; the encryption and network policies and the VPC endpoint are named
   * `<collectionName>-enc`, `-net`, `-vpce`). Fixed: the collection is retained and found by it.
   */
  readonly collectionName: string;
  /** The customer key the collection is encrypted with (never an AWS owned key). */
  readonly encryptionKey: kms.IKey;
  /** The VPC the collection's VPC endpoint lives in. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the collection's VPC endpoint, e.g. the platform's data tier. */
  readonly subnets: ec2.SubnetSelection;
  /**
   * The security group of the collection's VPC endpoint. Admitted workloads get an HTTPS ingress rule on it.
   * @default - a new security group with no ingress and no egress
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * ADMITS THE BEDROCK SERVICE FROM OUTSIDE THE VPC: the network policy also admits
   * `bedrock.amazonaws.com` (`SourceServices`), which a Bedrock knowledge base needs to ingest into
   * and query the collection. What Bedrock may read or write is still decided by the data-access
   * policies: only a knowledge base's own role, only its own index.
   * @default false
   */
  readonly allowBedrockKnowledgeBases?: boolean;
  /**
   * REDUCES AVAILABILITY: no standby replicas in a second Availability Zone, which halves the
   * collection's minimum OpenSearch Compute Units (its cost floor). For development platforms.
   * @default false
   */
  readonly disableStandbyReplicas?: boolean;
  /** Description of the collection. @default - a description naming the construct */
  readonly description?: string;
}

/** Options of `VectorStore.grantIndex`. */
export interface GrantIndexOptions {
  /**
   * Name of the workload's data-access policy (3-32, `^[a-z][a-z0-9-]{2,31}$`, unique in the account
   * and Region among data-access policies, which count against an account quota).
   * @default `<collectionName>-<workloadName>`
   */
  readonly accessPolicyName?: string;
}

/**
 * A vector collection for retrieval, reachable only from inside the VPC. Implemented by `VectorStore`.
 */
export interface IVectorStore extends IConstruct {
  readonly collectionName: string;
  /** `arn:<partition>:aoss:<region>:<account>:collection/<id>` */
  readonly collectionArn: string;
  /** The collection's id. */
  readonly collectionId: string;
  /** `https://<id>.<region>.aoss.amazonaws.com`, resolved inside the VPC to the VPC endpoint. */
  readonly collectionEndpoint: string;
  /** The security group of the collection's VPC endpoint. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Whether the network policy admits Bedrock knowledge bases (`allowBedrockKnowledgeBases`). */
  readonly allowsBedrockKnowledgeBases: boolean;
  /** Let a workload reach the collection: its role may use its own indexes (`<workload>_*`) only. */
  grantIndex(workload: IWorkloadIdentity, options?: GrantIndexOptions): VectorIndexAccess;
  /**
   * The store's clients: members may reach the collection's VPC endpoint on HTTPS (see `VectorStore`).
   */
  readonly clientsSecurityGroup: ec2.ISecurityGroup;
  /**
   * Let a workload reach the collection's VPC endpoint (HTTPS). Returns the security groups the workload's
   * network interfaces must carry besides `securityGroup` (the store's clients group): membership, not a
   * rule per workload, admits it.
   */
  admitWorkload(securityGroup: ec2.ISecurityGroup): ec2.ISecurityGroup[];
}

/**
 * A vector store for retrieval: one Amazon OpenSearch Serverless collection of type VECTORSEARCH per
 * platform, encrypted with the platform's customer key, reachable only through its own VPC endpoint,
 * with one data-access policy per workload that admits only that workload's role to its own indexes.
 *
 * Why OpenSearch Serverless and not Aurora PostgreSQL with pgvector:
 * - Access control is IAM-native and per index. A request is signed with the workload role's
 *   credentials (SigV4), IAM admits it to the collection (`aoss:APIAccessAll`), and the collection's
 *   data-access policy admits that role to `index/<collection>/<workload>_*` only. With pgvector the
 *   boundary between workloads is a database user per workload, with passwords or IAM database
 *   tokens, grants and row- or schema-level security kept inside the database, out of reach of the
 *   platform's IAM evaluation and its Guard rules.
 * - VPC-only access is a policy of the service: the network policy has `AllowFromPublic: false` and
 *   names the collection's VPC endpoint (`AWS::OpenSearchServerless::VpcEndpoint`) as the only source
 *   (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-network.html).
 *   Aurora is VPC-only too, but adds a cluster, its subnets and its security groups to operate.
 * - Encryption at rest with a customer key is required by the service and set by an encryption
 *   policy (`AWSOwnedKey: false`, `KmsARN`), checked by a Guard rule
 *   (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html).
 * - Amazon Bedrock Knowledge Bases support it as a vector store (`OPENSEARCH_SERVERLESS`), and reach a
 *   private collection through the network policy's `SourceServices` (`bedrock.amazonaws.com`),
 *   https://docs.aws.amazon.com/bedrock/latest/userguide/kb-create-security.html.
 * - Cost: OpenSearch Serverless bills OpenSearch Compute Units (OCUs) by the hour with a floor per
 *   collection key, even when idle (a collection with its own customer key does not share OCUs with
 *   collections under other keys); `disableStandbyReplicas` halves that floor for development. An
 *   Aurora Serverless v2 cluster has a floor of its own (minimum ACUs) but scales lower. For a
 *   platform whose first concern is isolation between workloads, the per-index IAM-native model
 *   outweighs the higher floor.
 *
 * Reaching it: the collection endpoint resolves, inside the VPC, to the VPC endpoint (OpenSearch
 * Serverless manages a private hosted zone for it), so a DNS firewall must resolve
 * `*.<region>.aoss.amazonaws.com`; and the subnets' network ACLs must admit HTTPS between the
 * workloads and the endpoint's subnets.
 */
export class VectorStore extends Construct implements IVectorStore {
  public readonly collectionName: string;
  public readonly collectionArn: string;
  public readonly collectionId: string;
  public readonly collectionEndpoint: string;
  public readonly securityGroup: ec2.ISecurityGroup;
  /**
   * The store's clients: a security group with no ingress whose members (the retrieving workloads'
   * network interfaces, `admitWorkload`) may reach the collection's VPC endpoint on HTTPS. The endpoint's
   * group holds one inbound rule, from this group, whatever the number of workloads (EC2 allows 60
   * inbound rules a security group by default,
   * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups).
   */
  public readonly clientsSecurityGroup: ec2.ISecurityGroup;
  public readonly allowsBedrockKnowledgeBases: boolean;
  /** The collection. */
  public readonly collection: aoss.CfnCollection;
  /** The encryption policy: the customer key, for this collection only. */
  public readonly encryptionPolicy: aoss.CfnSecurityPolicy;
  /** The network policy: no public access; the VPC endpoint (and Bedrock, when allowed) only. */
  public readonly networkPolicy: aoss.CfnSecurityPolicy;
  /** The collection's VPC endpoint. */
  public readonly vpcEndpoint: aoss.CfnVpcEndpoint;

  private readonly granted = new Map<string, VectorIndexAccess>();

  constructor(scope: Construct, id: string, props: VectorStoreProps) {
    super(scope, id);
    this.validate(props);
    const name = props.collectionName;
    this.collectionName = name;
    this.allowsBedrockKnowledgeBases = props.allowBedrockKnowledgeBases ?? false;
    const stack = Stack.of(this);

    this.allowKeyUseByOpenSearchServerless(props.encryptionKey);
    this.encryptionPolicy = new aoss.CfnSecurityPolicy(this, 'EncryptionPolicy', {
      name: `${name}-enc`,
      type: 'encryption',
      description: `Encryption of collection ${name} with the platform's customer key`,
      policy: stack.toJsonString({
        Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }],
        AWSOwnedKey: false,
        KmsARN: props.encryptionKey.keyArn,
      }),
    });

    this.securityGroup =
      props.securityGroup ??
      new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: props.vpc,
        description: `VPC endpoint of collection ${name}: HTTPS from the members of its clients group only`,
        allowAllOutbound: false,
      });
    const clients = new ec2.SecurityGroup(this, 'ClientsSecurityGroup', {
      vpc: props.vpc,
      description: `Clients of collection ${name}: members reach its VPC endpoint on HTTPS; no ingress`,
      allowAllOutbound: false,
    });
    this.clientsSecurityGroup = clients;
    new ec2.CfnSecurityGroupIngress(this, 'HttpsFromClients', {
      groupId: this.securityGroup.securityGroupId,
      sourceSecurityGroupId: clients.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: HTTPS,
      toPort: HTTPS,
      description: `HTTPS to collection ${name} from its clients group`,
    });
    clients.addEgressRule(
      ec2.Peer.securityGroupId(this.securityGroup.securityGroupId),
      ec2.Port.tcp(HTTPS),
      `HTTPS to the VPC endpoint of collection ${name}`,
    );
    this.vpcEndpoint = new aoss.CfnVpcEndpoint(this, 'VpcEndpoint', {
      name: `${name}-vpce`,
      vpcId: props.vpc.vpcId,
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
    });

    if (this.allowsBedrockKnowledgeBases) {
      Annotations.of(this).addWarningV2(
        'ztai:vector-store-bedrock-source',
        `allowBedrockKnowledgeBases is true: the network policy of collection ${name} also admits ${BEDROCK_SERVICE} from outside the VPC; ` +
          'the data-access policies still admit only each knowledge base role to its own index.',
      );
    }
    this.networkPolicy = new aoss.CfnSecurityPolicy(this, 'NetworkPolicy', {
      name: `${name}-net`,
      type: 'network',
      description: `Collection ${name}: no public access; its VPC endpoint only`,
      policy: stack.toJsonString([
        {
          Description: 'Collection endpoint through the VPC endpoint only; no dashboards',
          Rules: [{ ResourceType: 'collection', Resource: [`collection/${name}`] }],
          AllowFromPublic: false,
          SourceVPCEs: [this.vpcEndpoint.ref],
          ...(this.allowsBedrockKnowledgeBases ? { SourceServices: [BEDROCK_SERVICE] } : {}),
        },
      ]),
    });

    if (props.disableStandbyReplicas) {
      Annotations.of(this).addWarningV2(
        'ztai:vector-store-no-standby-replicas',
        `disableStandbyReplicas is true: collection ${name} has no standby replicas in a second Availability Zone (development only).`,
      );
    }
    this.collection = new aoss.CfnCollection(this, 'Resource', {
      name,
      type: 'VECTORSEARCH',
      standbyReplicas: props.disableStandbyReplicas ? 'DISABLED' : 'ENABLED',
      description: props.description ?? `Vector collection of ${this.node.path}`,
    });
    // The encryption policy must exist when the collection is created (a collection that matches none fails);
    // the network policy, so the collection is never reachable by another path, even briefly.
    this.collection.addResourceDependency(this.encryptionPolicy);
    this.collection.addResourceDependency(this.networkPolicy);
    // Retained on stack deletion and update rollback (its vectors are data), with the policies that
    // keep it encrypted and private: a policy attached to a collection cannot be deleted anyway.
    for (const retained of [this.collection, this.encryptionPolicy, this.networkPolicy]) {
      retained.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    }

    this.collectionArn = this.collection.attrArn;
    this.collectionId = this.collection.attrId;
    this.collectionEndpoint = this.collection.attrCollectionEndpoint;
  }

  /**
   * Let a workload use its own indexes: an identity grant of `aoss:APIAccessAll` on the collection
   * (IAM), and a data-access policy (evaluated by OpenSearch Serverless, not IAM) that names only the
   * workload's role, for only `index/<collection>/<workload>_*`. The separator `_` cannot occur in a
   * workload name, so one workload's pattern never covers another's indexes (with `-`, workload `a`
   * would reach `a-b-…`). The policy lives beside the workload, in its stack.
   */
  public grantIndex(workload: IWorkloadIdentity, options: GrantIndexOptions = {}): VectorIndexAccess {
    const workloadName = workload.workloadName;
    if (this.granted.has(workloadName)) {
      throw new PlatformValidationError(
        this,
        `grantIndex: workload '${workloadName}' already has a data-access policy on collection ${this.collectionName}; grant it once`,
      );
    }
    const policyName = options.accessPolicyName ?? `${this.collectionName}-${workloadName}`;
    if (!Token.isUnresolved(policyName) && !AOSS_NAME_PATTERN.test(policyName)) {
      throw new PlatformValidationError(
        this,
        `grantIndex: the data-access policy name of workload '${workloadName}' must be 3-${AOSS_NAME_MAX_LENGTH} lower-case letters, digits and '-', ` +
          `starting with a letter (OpenSearch Serverless policy names), got ${describeValue(policyName)} (${policyName.length} characters): ` +
          'shorten the collection or workload name, or set accessPolicyName',
      );
    }
    iam.Grant.addToPrincipal({ grantee: workload, actions: perms.AOSS_DATA_PLANE, resourceArns: [this.collectionArn] });
    const access = new VectorIndexAccess(workload, 'VectorIndexAccess', {
      collectionName: this.collectionName,
      workloadName,
      role: workload.role,
      policyName,
    });
    this.granted.set(workloadName, access);
    return access;
  }

  /**
   * Let a workload reach the collection's VPC endpoint: returns the clients group, which the workload's
   * network interfaces must carry besides `_securityGroup`. Nothing is added to either group, so the
   * endpoint's rules do not grow with the workloads; what the workload may read is its data-access
   * policy's (`grantIndex`).
   */
  public admitWorkload(_securityGroup: ec2.ISecurityGroup): ec2.ISecurityGroup[] {
    return [this.clientsSecurityGroup];
  }

  private validate(props: VectorStoreProps): void {
    const name = props.collectionName;
    if (Token.isUnresolved(name)) {
      throw new PlatformValidationError(this, 'collectionName must be a literal name, got a token');
    }
    if (!AOSS_NAME_PATTERN.test(name) || name.length > VECTOR_COLLECTION_NAME_MAX_LENGTH) {
      throw new PlatformValidationError(
        this,
        `collectionName must be 3-${VECTOR_COLLECTION_NAME_MAX_LENGTH} lower-case letters, digits and '-', starting with a letter ` +
          `(OpenSearch Serverless allows 32; its policies and VPC endpoint add '-enc', '-net', '-vpce'), got ${describeValue(name)} (${name.length} characters)`,
      );
    }
    const subnets = props.vpc.selectSubnets(props.subnets);
    if (subnets.subnetIds.length === 0) {
      throw new PlatformValidationError(
        this,
        `subnets must select at least one subnet of VPC ${props.vpc.vpcId}, got none`,
      );
    }
    const publicIds = new Set(props.vpc.publicSubnets.map((s) => s.subnetId));
    const open = subnets.subnetIds.filter((s) => publicIds.has(s));
    if (open.length > 0) {
      throw new PlatformValidationError(
        this,
        `subnets must select private or isolated subnets only, got public subnet(s) ${open.join(', ')}`,
      );
    }
  }

  /**
   * The key policy statements OpenSearch Serverless needs to encrypt a collection with the key: the
   * principal that creates the collection (CloudFormation's role) has the service describe the key
   * and create a grant for the collection, through OpenSearch Serverless only
   * (`kms:ViaService`), and the grant only for an AWS resource. A key of another app keeps its own
   * policy: a warning names what it must allow.
   */
  private allowKeyUseByOpenSearchServerless(key: kms.IKey): void {
    const viaAoss = { 'kms:CallerAccount': Aws.ACCOUNT_ID, 'kms:ViaService': `aoss.${Aws.REGION}.amazonaws.com` };
    const added = [
      new iam.PolicyStatement({
        sid: 'VectorStoreDescribeThroughAoss',
        principals: [new iam.AccountRootPrincipal()],
        actions: perms.AOSS_KEY_DESCRIBE,
        resources: ['*'],
        conditions: { StringEquals: viaAoss },
      }),
      new iam.PolicyStatement({
        sid: 'VectorStoreGrantsThroughAoss',
        principals: [new iam.AccountRootPrincipal()],
        actions: perms.AOSS_KEY_CREATE_GRANT,
        resources: ['*'],
        conditions: { StringEquals: viaAoss, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    ].map((s) => key.addToResourcePolicy(s, true).statementAdded);
    if (added.includes(false)) {
      Annotations.of(this).addWarningV2(
        'ztai:vector-store-key-policy',
        `The key ${key.node.path} is not defined in this app: its key policy must let this account's principals call kms:DescribeKey and ` +
          `kms:CreateGrant (with kms:GrantIsForAWSResource) through aoss.<region>.amazonaws.com, or the collection fails to create.`,
      );
    }
  }
}

/**
 * The index pattern of a workload: `<workload>_*`. The separator `_` never occurs in a workload name,
 * so no workload's pattern covers another's indexes.
 */
export function vectorIndexPattern(workloadName: string): string {
  return `${workloadName}_*`;
}

/** One principal's rules in a data-access policy. */
export interface VectorIndexAccessEntry {
  readonly description: string;
  /** The principal's ARN (may be a token). */
  readonly principalArn: string;
  /** `index/<collection>/<pattern>` */
  readonly indexResource: string;
  readonly permissions: readonly string[];
}

export interface VectorIndexAccessProps {
  readonly collectionName: string;
  readonly workloadName: string;
  /** The workload's role: the only principal of the policy's first rule. */
  readonly role: iam.IRole;
  /** The policy's name (3-32 characters). */
  readonly policyName: string;
}

/**
 * A workload's data-access policy on the collection (`AWS::OpenSearchServerless::AccessPolicy`,
 * type `data`): its role, on its own indexes only, and (with a knowledge base) the knowledge base's
 * role, on its one index only. OpenSearch Serverless evaluates it; IAM does not.
 */
export class VectorIndexAccess extends Construct {
  public readonly policy: aoss.CfnAccessPolicy;
  public readonly collectionName: string;
  public readonly workloadName: string;
  /** `<workload>_*` */
  public readonly indexPattern: string;
  private readonly entries: VectorIndexAccessEntry[] = [];

  constructor(scope: Construct, id: string, props: VectorIndexAccessProps) {
    super(scope, id);
    this.collectionName = props.collectionName;
    this.workloadName = props.workloadName;
    this.indexPattern = vectorIndexPattern(props.workloadName);
    this.entries.push({
      description: `Workload ${props.workloadName}: its own indexes only`,
      principalArn: props.role.roleArn,
      indexResource: `index/${props.collectionName}/${this.indexPattern}`,
      permissions: perms.WORKLOAD_INDEX_PERMISSIONS,
    });
    this.policy = new aoss.CfnAccessPolicy(this, 'Resource', {
      name: props.policyName,
      type: 'data',
      description: `Workload ${props.workloadName}: its role (and its knowledge base) on its own indexes of ${props.collectionName} only`,
      policy: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.document()) }),
    });
  }

  /** The entries of the policy: who, on which index pattern, with which permissions. */
  public get rules(): readonly VectorIndexAccessEntry[] {
    return [...this.entries];
  }

  /** The index name a workload's own index takes: `<workload>_<suffix>`. */
  public indexName(suffix: string): string {
    return `${this.workloadName}_${suffix}`;
  }

  /**
   * Admit a Bedrock knowledge base's service role to one index of the workload (`<workload>_…`),
   * with the permissions Bedrock documents (describe the index, read and write documents).
   */
  public admitKnowledgeBase(role: iam.IRole, indexName: string): void {
    if (!indexName.startsWith(`${this.workloadName}_`) || !/^[a-z][a-z0-9_-]*$/.test(indexName)) {
      throw new PlatformValidationError(
        this,
        `admitKnowledgeBase: indexName must be an index of workload '${this.workloadName}' ('${this.workloadName}_<name>', ` +
          `lower-case letters, digits, '_' and '-'), got ${describeValue(indexName)}`,
      );
    }
    this.entries.push({
      description: `Knowledge base of workload ${this.workloadName}: its index ${indexName} only`,
      principalArn: role.roleArn,
      indexResource: `index/${this.collectionName}/${indexName}`,
      permissions: perms.KNOWLEDGE_BASE_INDEX_PERMISSIONS,
    });
  }

  /** The policy document (tokens unresolved): one rule set per principal. */
  public document(): unknown[] {
    return this.entries.map((e) => ({
      Description: e.description,
      Rules: [{ ResourceType: 'index', Resource: [e.indexResource], Permission: [...e.permissions] }],
      Principal: [e.principalArn],
    }));
  }
}
