import { Aws } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { IPlatformNetwork, SubnetTier } from '../network/segmented-network';
import { PlatformValidationError } from '../private/validation';
import { BedrockGuardrail } from './bedrock-guardrail';
import { BedrockModel, modelResourceArns } from './bedrock-model';
import * as perms from './private/genai-perms';

export interface BedrockEndpointsProps {
  /** The network whose endpoints tier (and endpoints security group) holds the endpoints. */
  readonly network: IPlatformNetwork;
  /** The models the platform admits: the runtime endpoint's policy admits these and no others. */
  readonly models: readonly BedrockModel[];
  /** The guardrails callers apply: the runtime endpoint's policy admits ApplyGuardrail on these only. */
  readonly guardrails: readonly BedrockGuardrail[];
  /**
   * Also a `bedrock-agent-runtime` endpoint, for knowledge-base retrieval (Retrieve, RetrieveAndGenerate)
   * on this account's knowledge bases.
   * @default false
   */
  readonly knowledgeBases?: boolean;
}

/**
 * The interface endpoints of Bedrock's runtime in the platform's endpoints tier, behind the endpoints'
 * security group (HTTPS from admitted workloads only), with private DNS, and endpoint policies that
 * admit only principals of this account (`aws:PrincipalAccount`), only the listed models and
 * inference profiles, and only the platform's guardrails. Workloads reach Bedrock through them and
 * nowhere else: the VPC has no route out.
 */
export class BedrockEndpoints extends Construct {
  /** The host names clients resolve, for the DNS firewall (`bedrock-runtime.<region>.amazonaws.com`, …). */
  public static dnsNames(knowledgeBases = false): string[] {
    return ['bedrock-runtime', ...(knowledgeBases ? ['bedrock-agent-runtime'] : [])].map(
      (h) => `${h}.${Aws.REGION}.amazonaws.com`,
    );
  }

  /** The `bedrock-runtime` endpoint. */
  public readonly runtime: ec2.InterfaceVpcEndpoint;
  /** The `bedrock-agent-runtime` endpoint, with `knowledgeBases`. */
  public readonly agentRuntime?: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: BedrockEndpointsProps) {
    super(scope, id);
    if (props.models.length === 0) {
      throw new PlatformValidationError(this, 'models must name at least one model the endpoint admits, got none');
    }
    if (props.guardrails.length === 0) {
      throw new PlatformValidationError(
        this,
        'guardrails must name at least one guardrail the endpoint admits, got none',
      );
    }
    this.runtime = this.endpoint('Runtime', props.network, ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME);
    this.runtime.addToPolicy(
      thisAccountOnly('AdmittedModelsOnly', perms.BEDROCK_INVOKE, modelResourceArns(props.models)),
    );
    this.runtime.addToPolicy(
      thisAccountOnly(
        'PlatformGuardrailsOnly',
        perms.BEDROCK_APPLY_GUARDRAIL,
        props.guardrails.map((g) => g.guardrailArn),
      ),
    );
    if (props.knowledgeBases) {
      this.agentRuntime = this.endpoint(
        'AgentRuntime',
        props.network,
        ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME,
      );
      this.agentRuntime.addToPolicy(
        thisAccountOnly('ThisAccountKnowledgeBasesOnly', perms.BEDROCK_RETRIEVE, [
          `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:knowledge-base/*`,
        ]),
      );
    }
  }

  private endpoint(
    id: string,
    network: IPlatformNetwork,
    service: ec2.InterfaceVpcEndpointAwsService,
  ): ec2.InterfaceVpcEndpoint {
    return new ec2.InterfaceVpcEndpoint(this, id, {
      vpc: network.vpc,
      service,
      subnets: network.tierSubnets(SubnetTier.ENDPOINTS),
      securityGroups: [network.endpointsSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    });
  }
}

function thisAccountOnly(sid: string, actions: string[], resources: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    principals: [new iam.AnyPrincipal()],
    actions,
    resources,
    conditions: { StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
  });
}
