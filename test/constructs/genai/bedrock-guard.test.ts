import { Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BedrockEndpoints } from '../../../constructs/genai/bedrock-endpoints';
import { BedrockGuardrail } from '../../../constructs/genai/bedrock-guardrail';
import { BedrockModel } from '../../../constructs/genai/bedrock-model';
import { PlatformEndpoint } from '../../../constructs/network/platform-endpoint';
import { SegmentedNetwork } from '../../../constructs/network/segmented-network';
import { describeRuleFile, fails, GuardFragment, passes } from '../../helpers/guard';

/**
 * The Bedrock Guard rules (policy/guard/genai.guard), each with compliant and non-compliant
 * fragments, judged by the in-process validator, the standalone cfn-guard and the Guard hook's bundle.
 */
const GUARDRAIL_KMS = 'ZTAI_ENCRYPTION_BEDROCK_GUARDRAIL_KMS';
const PROMPT_ATTACK = 'ZTAI_GOVERNANCE_GUARDRAIL_PROMPT_ATTACK_FILTER';
const ENDPOINT_POLICY = 'ZTAI_ISOLATION_BEDROCK_ENDPOINT_POLICY';

const HAIKU = BedrockModel.fromId('anthropic.claude-3-haiku-20240307-v1:0');

function guardrail(
  stack: Stack,
  props: Partial<ConstructorParameters<typeof BedrockGuardrail>[2]> = {},
): BedrockGuardrail {
  return new BedrockGuardrail(stack, 'Guardrail', {
    encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    ...props,
  });
}

function cfnGuardrail(stack: Stack, props: Partial<bedrock.CfnGuardrailProps> = {}): bedrock.CfnGuardrail {
  return new bedrock.CfnGuardrail(stack, 'Raw', {
    name: 'raw',
    blockedInputMessaging: 'no',
    blockedOutputsMessaging: 'no',
    kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    contentPolicyConfig: { filtersConfig: [{ type: 'PROMPT_ATTACK', inputStrength: 'HIGH', outputStrength: 'NONE' }] },
    ...props,
  });
}

function vpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-12345678',
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    isolatedSubnetIds: ['subnet-11111111', 'subnet-22222222'],
  });
}

function rawEndpoint(stack: Stack, serviceName: unknown, policyDocument?: unknown): ec2.CfnVPCEndpoint {
  return new ec2.CfnVPCEndpoint(stack, 'Endpoint', {
    vpcId: 'vpc-12345678',
    serviceName: serviceName as string,
    vpcEndpointType: 'Interface',
    subnetIds: ['subnet-11111111'],
    policyDocument,
  });
}

const ALLOW_ALL = { Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };

const fragments: GuardFragment[] = [
  // ZTAI_ENCRYPTION_BEDROCK_GUARDRAIL_KMS
  passes(GUARDRAIL_KMS, 'BedrockGuardrail: the customer key', (stack) => guardrail(stack)),
  fails(GUARDRAIL_KMS, 'a guardrail without KmsKeyArn (AWS owned key)', (stack) =>
    cfnGuardrail(stack, { kmsKeyArn: undefined }),
  ),
  fails(GUARDRAIL_KMS, 'negative control: BedrockGuardrail with KmsKeyArn removed', (stack) => {
    const g = guardrail(stack);
    g.guardrail.addPropertyDeletionOverride('KmsKeyArn');
    return g.guardrail;
  }),

  // ZTAI_GOVERNANCE_GUARDRAIL_PROMPT_ATTACK_FILTER
  passes(PROMPT_ATTACK, 'BedrockGuardrail: prompt attacks filtered HIGH', (stack) => guardrail(stack)),
  passes(PROMPT_ATTACK, 'BedrockGuardrail: prompt attacks filtered LOW', (stack) =>
    guardrail(stack, { promptAttack: 'LOW' }),
  ),
  fails(
    PROMPT_ATTACK,
    'BedrockGuardrail with allowNoPromptAttackFilter (the loosening is caught)',
    (stack) => guardrail(stack, { promptAttack: 'NONE', allowNoPromptAttackFilter: true }).guardrail,
  ),
  fails(PROMPT_ATTACK, 'a guardrail with no content policy', (stack) =>
    cfnGuardrail(stack, { contentPolicyConfig: undefined }),
  ),
  fails(PROMPT_ATTACK, 'a prompt-attack filter at NONE', (stack) =>
    cfnGuardrail(stack, {
      contentPolicyConfig: {
        filtersConfig: [
          { type: 'PROMPT_ATTACK', inputStrength: 'NONE', outputStrength: 'NONE' },
          { type: 'HATE', inputStrength: 'HIGH', outputStrength: 'HIGH' },
        ],
      },
    }),
  ),

  // ZTAI_ISOLATION_BEDROCK_ENDPOINT_POLICY
  passes(ENDPOINT_POLICY, 'BedrockEndpoints: runtime and agent runtime with their policies', (stack) => {
    const network = new SegmentedNetwork(stack, 'Network', {
      s3PrefixListId: 'pl-12345678',
      interfaceEndpoints: PlatformEndpoint.BASELINE,
    });
    new BedrockEndpoints(stack, 'Bedrock', {
      network,
      models: [HAIKU],
      guardrails: [guardrail(stack)],
      knowledgeBases: true,
    });
  }),
  passes(ENDPOINT_POLICY, 'a non-Bedrock endpoint without a policy is not this rule’s', (stack) =>
    rawEndpoint(stack, 'com.amazonaws.eu-west-1.logs'),
  ),
  fails(ENDPOINT_POLICY, 'a bedrock-runtime endpoint without a policy (Fn::Join service name)', (stack) => {
    const e = new ec2.InterfaceVpcEndpoint(stack, 'Runtime', {
      vpc: vpc(stack),
      service: ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    return e;
  }),
  fails(ENDPOINT_POLICY, 'a bedrock-agent-runtime endpoint without a policy (literal service name)', (stack) =>
    rawEndpoint(stack, 'com.amazonaws.eu-west-1.bedrock-agent-runtime'),
  ),
  fails(ENDPOINT_POLICY, 'a bedrock endpoint whose policy allows every action', (stack) =>
    rawEndpoint(stack, 'com.amazonaws.eu-west-1.bedrock-runtime', ALLOW_ALL),
  ),
  fails(ENDPOINT_POLICY, 'a bedrock endpoint whose policy allows bedrock:* among others', (stack) =>
    rawEndpoint(stack, 'com.amazonaws.eu-west-1.bedrock-runtime', {
      Statement: [{ Effect: 'Allow', Principal: '*', Action: ['bedrock:InvokeModel', 'bedrock:*'], Resource: '*' }],
    }),
  ),
];

describeRuleFile('genai.guard', fragments);
