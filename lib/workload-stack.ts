import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ApiClientKey, SubnetTier, tagWorkload, WorkloadIdentity, WorkloadPrincipal } from '../constructs';
import { SAGEMAKER_EXECUTION_ROLE_PATH } from '../constructs/inference';
import { apiClientSecretName, workloadRoleName } from './config/names';
import { WorkloadConfig, WorkloadKind } from './config/platform-config';
import { addGenAiWorkload, GenAiWorkload } from './genai/bedrock';
import { PlatformStack } from './platform-stack';

export interface WorkloadStackProps extends StackProps {
  readonly platform: PlatformStack;
  readonly workload: WorkloadConfig;
  /**
   * The platform's name (`config.platformName`): the workload's role is named
   * `workloadRoleName(platformName, workload)`, so platform policies can name it before it exists.
   */
  readonly platformName: string;
  /**
   * The workload is an API client (`api.clients[].caller`): its role may read its API key from the
   * secret `apiClientSecretName(platformName, workload)`, which the API stack (deployed after this
   * one) creates.
   * @default false
   */
  readonly apiClient?: boolean;
}

/** The service each kind of workload runs as. */
const RUNS_AS: Record<WorkloadKind, WorkloadPrincipal> = {
  'realtime-inference': WorkloadPrincipal.SAGEMAKER,
  batch: WorkloadPrincipal.EC2,
  agent: WorkloadPrincipal.LAMBDA,
  genai: WorkloadPrincipal.LAMBDA,
};

/**
 * The IAM path of each kind's role: SageMaker execution roles live under their own path (the
 * endpoint construct requires it); the others under `/`.
 */
const ROLE_PATH: Record<WorkloadKind, string> = {
  'realtime-inference': SAGEMAKER_EXECUTION_ROLE_PATH,
  batch: '/',
  agent: '/',
  genai: '/',
};

/** The subnet tier each kind of workload runs in. */
const TIER: Record<WorkloadKind, SubnetTier> = {
  'realtime-inference': SubnetTier.GPU,
  batch: SubnetTier.GPU,
  agent: SubnetTier.DATA,
  genai: SubnetTier.DATA,
};

/**
 * One workload: its identity, grants to its own data only, and (added by lib/workloads/compute.ts)
 * its compute. Adding a
 * workload adds a stack; it never changes another workload's stack.
 */
export class WorkloadStack extends Stack {
  /** The platform's name (`config.platformName`). */
  public readonly platformName: string;
  public readonly identity: WorkloadIdentity;
  /**
   * The security group of an agent's functions. Real-time and batch workloads get theirs from
   * their compute construct (SageMaker endpoint, GPU fleet).
   */
  public readonly securityGroup?: ec2.SecurityGroup;
  /**
   * The security groups an agent's or genai workload's functions carry: its own (`securityGroup`), the
   * workload tier's, whose members the platform's interface endpoints admit, and with retrieval the vector
   * store's clients group.
   */
  public readonly securityGroups?: ec2.ISecurityGroup[];
  /** A genai workload's Bedrock grants and retrieval. */
  public readonly genai?: GenAiWorkload;
  /** The tier the workload's network interfaces live in. */
  public readonly tier: SubnetTier;

  constructor(scope: Construct, id: string, props: WorkloadStackProps) {
    super(scope, id, props);
    const { platform, workload } = props;
    this.platformName = props.platformName;
    this.addStackDependency(platform, 'shared network, keys and buckets');
    this.tier = TIER[workload.kind];

    this.identity = new WorkloadIdentity(this, 'Identity', {
      workloadName: workload.name,
      runsAs: RUNS_AS[workload.kind],
      description: workload.description,
      roleName: workloadRoleName(props.platformName, workload.name),
      rolePath: ROLE_PATH[workload.kind],
    });
    platform.dataBucket.grantReadWritePrefix(this.identity, this.identity.dataPrefix);
    // Agents and genai workloads serve no model of their own (genai models are Bedrock's).
    if (workload.kind !== 'agent' && workload.kind !== 'genai') {
      platform.modelsBucket.grantReadPrefix(this.identity, this.identity.approvedModelPrefix);
    }
    if (props.apiClient) {
      // By name: the secret is created later, by the API stack, which depends on this stack. The key
      // is the platform's data key, which Secrets Manager may use (by ARN; this stack already
      // references the platform stack).
      ApiClientKey.grantReadByName(
        this.identity,
        apiClientSecretName(props.platformName, workload.name),
        platform.keys.data.key,
      );
    }

    if (workload.kind === 'agent' || workload.kind === 'genai') {
      this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: platform.network.vpc,
        description: `Workload ${workload.name}: no ingress; egress to the platform endpoints only`,
        allowAllOutbound: false,
      });
      this.securityGroups = [this.securityGroup, ...platform.network.admitWorkload(this.securityGroup)];
    }

    if (workload.kind === 'genai' && platform.genai && this.securityGroup) {
      // Its models through its own guardrail only; its own indexes and knowledge base.
      this.genai = addGenAiWorkload(this, platform.genai, workload, this.identity, this.securityGroup);
      // With retrieval, the store's clients group too: the vector store admits its members.
      this.securityGroups = [...(this.securityGroups ?? []), ...(this.genai.retrieval?.securityGroups ?? [])];
    }

    tagWorkload(this, workload.name);
  }
}
