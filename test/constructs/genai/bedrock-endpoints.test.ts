import { Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import { BedrockEndpoints } from '../../../constructs/genai/bedrock-endpoints';
import { BedrockGuardrail } from '../../../constructs/genai/bedrock-guardrail';
import { BedrockModel } from '../../../constructs/genai/bedrock-model';
import { PlatformPermissionsBoundary } from '../../../constructs/identity/platform-permissions-boundary';
import { WorkloadIdentity } from '../../../constructs/identity/workload-identity';
import { WorkloadPrincipal } from '../../../constructs/identity/workload-principal';
import { PlatformKey } from '../../../constructs/keys/platform-key';
import { PlatformEndpoint } from '../../../constructs/network/platform-endpoint';
import { SegmentedNetwork } from '../../../constructs/network/segmented-network';
import {
  ACCOUNT,
  CfnResolver,
  evaluate,
  REGION,
  RoleUnderTest,
  roleUnderTest,
  vpcEndpointPolicy,
} from '../../helpers/iam-eval';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp, resourcesOfType } from '../../helpers/stacks';

const HAIKU = BedrockModel.fromId('anthropic.claude-3-haiku-20240307-v1:0');
const PROFILE = BedrockModel.fromId('eu.anthropic.claude-3-5-sonnet-20240620-v1:0');
const OTHER = BedrockModel.fromId('meta.llama3-8b-instruct-v1:0');

function platform(options: { knowledgeBases?: boolean } = {}, app: App = newApp()) {
  const stack = new Stack(app, 'Platform');
  const network = new SegmentedNetwork(stack, 'Network', {
    s3PrefixListId: 'pl-12345678',
    interfaceEndpoints: PlatformEndpoint.BASELINE,
  });
  const key = new PlatformKey(stack, 'Key');
  const guardrail = new BedrockGuardrail(stack, 'Guardrail', { encryptionKey: key });
  const endpoints = new BedrockEndpoints(stack, 'Bedrock', {
    network,
    models: [HAIKU, PROFILE],
    guardrails: [guardrail],
    knowledgeBases: options.knowledgeBases,
  });
  return { app, stack, network, key, guardrail, endpoints };
}

function endpointsOf(stack: Stack): Record<string, any> {
  return Object.fromEntries(
    resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::EC2::VPCEndpoint')
      .filter(([, r]) => JSON.stringify(r.Properties.ServiceName).includes('bedrock'))
      .map(([id, r]) => [id, r]),
  );
}

describe('BedrockEndpoints', () => {
  test('a bedrock-runtime interface endpoint in the endpoints tier, private DNS, the endpoints security group, a policy', () => {
    const { stack, endpoints, network } = platform();
    const found = endpointsOf(stack);
    expect(Object.keys(found)).toEqual([stack.getLogicalId(endpoints.runtime.node.defaultChild as any)]);
    const [runtime] = Object.values(found);
    expect(JSON.stringify(runtime.Properties.ServiceName)).toContain('.bedrock-runtime');
    expect(runtime.Properties.VpcEndpointType).toBe('Interface');
    expect(runtime.Properties.PrivateDnsEnabled).toBe(true);
    expect(runtime.Properties.SecurityGroupIds).toEqual([
      { 'Fn::GetAtt': [stack.getLogicalId(network.endpointsSecurityGroup.node.defaultChild as any), 'GroupId'] },
    ]);
    expect(runtime.Properties.PolicyDocument.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'AdmittedModelsOnly',
      'PlatformGuardrailsOnly',
    ]);
    for (const s of runtime.Properties.PolicyDocument.Statement) {
      expect(s.Condition).toEqual({ StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } });
      expect(s.Resource).not.toContain('*');
    }
  });

  test('no bedrock-agent-runtime endpoint unless knowledge bases are on; then one admitting this account’s knowledge bases only', () => {
    expect(platform().endpoints.agentRuntime).toBeUndefined();
    const { stack, endpoints } = platform({ knowledgeBases: true });
    const agent = endpointsOf(stack)[stack.getLogicalId(endpoints.agentRuntime!.node.defaultChild as any)];
    expect(JSON.stringify(agent.Properties.ServiceName)).toContain('.bedrock-agent-runtime');
    expect(agent.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Sid: 'ThisAccountKnowledgeBasesOnly',
        Action: ['bedrock:Retrieve', 'bedrock:RetrieveAndGenerate'],
        Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
  });

  test('dnsNames: the runtime host, and the agent runtime host with knowledge bases', () => {
    const s = new Stack();
    expect(s.resolve(BedrockEndpoints.dnsNames())).toEqual([
      { 'Fn::Join': ['', ['bedrock-runtime.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
    ]);
    expect(BedrockEndpoints.dnsNames(true)).toHaveLength(2);
  });

  test('no models: fails naming the field', () => {
    const app = newApp();
    const stack = new Stack(app, 'P');
    const network = new SegmentedNetwork(stack, 'Network', {
      s3PrefixListId: 'pl-12345678',
      interfaceEndpoints: PlatformEndpoint.BASELINE,
    });
    const guardrail = new BedrockGuardrail(stack, 'G', { encryptionKey: new PlatformKey(stack, 'K') });
    expect(() => new BedrockEndpoints(stack, 'B', { network, models: [], guardrails: [guardrail] })).toThrow(
      /P\/B: models must name at least one model the endpoint admits, got none/,
    );
  });

  test('nag packs: no findings', () => {
    const { app } = platform({ knowledgeBases: true });
    expect(describeFindings(nagFindings(app))).toBe('');
  });
});

/** Requests through the runtime endpoint, evaluated with its policy (IAM evaluation). */
describe('requests through the bedrock-runtime endpoint (IAM evaluation)', () => {
  let resolver: CfnResolver;
  let role: RoleUnderTest;
  let endpoint: { id: string; policy: unknown };
  let identifier: string;
  let guardrailArn: string;

  beforeAll(() => {
    const app = newApp();
    const { stack, guardrail, endpoints } = platform({}, app);
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary', { boundaryName: 'b' });
    boundary.capToKeys(guardrail.encryptionKey);
    const workloads = new Stack(app, 'Workloads');
    const id = new WorkloadIdentity(workloads, 'Id', {
      workloadName: 'wl',
      runsAs: WorkloadPrincipal.LAMBDA,
      roleName: 'wl',
    });
    // The role is granted more than the endpoint admits (OTHER): the endpoint policy is a second gate.
    guardrail.grantInvoke(id, HAIKU, PROFILE, OTHER);
    resolver = new CfnResolver(app);
    role = roleUnderTest(resolver, 'Workloads', workloads.getLogicalId(id.role.node.defaultChild as any));
    const logicalId = stack.getLogicalId(endpoints.runtime.node.defaultChild as any);
    endpoint = {
      id: resolver.resolve('Platform', { Ref: logicalId }),
      policy: vpcEndpointPolicy(resolver, 'Platform', logicalId),
    };
    identifier = resolver.resolve('Platform', stack.resolve(guardrail.identifier));
    guardrailArn = resolver.resolve('Platform', stack.resolve(guardrail.guardrailArn));
  });

  const invoke = (resourceArn: string, r: RoleUnderTest = role) =>
    evaluate({
      role: r,
      action: 'bedrock:InvokeModel',
      resourceArn,
      viaVpcEndpoint: endpoint as { id: string; policy: unknown },
      context: { 'bedrock:GuardrailIdentifier': identifier },
    });

  test('an admitted foundation model, and an admitted inference profile: Allowed', async () => {
    expect(await invoke(`arn:aws:bedrock:${REGION}::foundation-model/${HAIKU.foundationModelId}`)).toBe('Allowed');
    expect(await invoke(`arn:aws:bedrock:${REGION}:${ACCOUNT}:inference-profile/${PROFILE.modelId}`)).toBe('Allowed');
  });

  test('a model the role may invoke but the endpoint does not admit: denied at the endpoint', async () => {
    expect(await invoke(`arn:aws:bedrock:${REGION}::foundation-model/${OTHER.foundationModelId}`)).not.toBe('Allowed');
  });

  test('the platform guardrail may be applied through the endpoint; another guardrail may not', async () => {
    const apply = (resourceArn: string) =>
      evaluate({ role, action: 'bedrock:ApplyGuardrail', resourceArn, viaVpcEndpoint: endpoint as never });
    expect(await apply(guardrailArn)).toBe('Allowed');
    expect(await apply(`arn:aws:bedrock:${REGION}:${ACCOUNT}:guardrail/otherguardrl`)).not.toBe('Allowed');
  });

  test('a principal of another account is refused by the endpoint policy', async () => {
    const decision = await evaluate({
      role,
      action: 'bedrock:InvokeModel',
      resourceArn: `arn:aws:bedrock:${REGION}::foundation-model/${HAIKU.foundationModelId}`,
      viaVpcEndpoint: endpoint as never,
      context: { 'aws:PrincipalAccount': '444455556666', 'bedrock:GuardrailIdentifier': identifier },
    });
    expect(decision).not.toBe('Allowed');
  });
});
