/**
 * "Nothing but the API's route roles can call sagemaker:InvokeEndpoint", enforced by the platform
 * permissions boundary and shown by IAM policy evaluation of the synthesized reference app
 * (@cloud-copilot/iam-simulate through test/helpers/iam-eval.ts): the route role is allowed on its
 * endpoint; a workload role that is given an identity grant on the endpoint is explicitly denied
 * by its boundary; without the boundary's deny the same grant would get through.
 */
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { buildPlatform } from '../../../lib/platform-app';
import {
  ACCOUNT,
  CfnResolver,
  evaluate,
  PARTITION,
  REGION,
  RoleUnderTest,
  roleUnderTest,
} from '../../helpers/iam-eval';
import { newApp } from '../../helpers/stacks';

const INVOKE_ACTIONS = [
  'sagemaker:InvokeEndpoint',
  'sagemaker:InvokeEndpointAsync',
  'sagemaker:InvokeEndpointWithResponseStream',
];
const DENY_SID = 'OnlyApiRoutesInvokeModels';

/** The role, with one more identity policy that allows the invoke actions on `endpointArn`. */
function withInvokeGrant(role: RoleUnderTest, endpointArn: string): RoleUnderTest {
  return {
    ...role,
    identityPolicies: [
      ...role.identityPolicies,
      {
        name: 'added-invoke-grant',
        policy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: INVOKE_ACTIONS, Resource: endpointArn }],
        },
      },
    ],
  };
}

/** The role with its boundary minus the model-invocation deny (the negative control). */
function withoutInvocationDeny(role: RoleUnderTest): RoleUnderTest {
  const policy = role.boundary!.policy;
  return {
    ...role,
    boundary: {
      name: role.boundary!.name,
      policy: { ...policy, Statement: policy.Statement.filter((s: any) => s.Sid !== DENY_SID) },
    },
  };
}

describe('reference app: only the API route roles may invoke a model endpoint', () => {
  let resolver: CfnResolver;
  let route: RoleUnderTest;
  let agent: RoleUnderTest;
  let model: RoleUnderTest;
  let batch: RoleUnderTest;
  let endpointArn: string;
  const invoke = (role: RoleUnderTest, action = 'sagemaker:InvokeEndpoint', resourceArn = endpointArn) =>
    evaluate({ role, action, resourceArn });

  beforeAll(() => {
    const app = newApp();
    const api = buildPlatform(app, DEFAULT_PLATFORM_CONFIG).api!;
    resolver = new CfnResolver(app);
    const machineRoute = resolver.find(api.stackName, 'AWS::IAM::Role', 'ModelGatewayRoutefraudscoringinvoke')[0];
    route = roleUnderTest(resolver, api.stackName, machineRoute);
    const identity = (stackName: string) =>
      roleUnderTest(resolver, stackName, resolver.find(stackName, 'AWS::IAM::Role', 'Identity')[0]);
    agent = identity('ztai-workload-support-agent');
    model = identity('ztai-workload-fraud-scoring');
    batch = identity('ztai-workload-doc-finetune');
    const [endpointId] = resolver.find('ztai-workload-fraud-scoring', 'AWS::SageMaker::Endpoint');
    endpointArn = `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:endpoint/${resolver.physicalName('ztai-workload-fraud-scoring', endpointId)}`;
  });

  test('the route role sits under /ztai/api-route/ and carries the platform boundary with the deny', () => {
    expect(route.roleArn).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/ztai/api-route/`));
    const deny = route.boundary!.policy.Statement.find((s: any) => s.Sid === DENY_SID);
    expect(deny).toEqual({
      Sid: DENY_SID,
      Effect: 'Deny',
      Action: INVOKE_ACTIONS,
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/ztai/api-route/*` } },
    });
  });

  test('the route role is allowed to invoke its endpoint', async () => {
    expect(await invoke(route)).toBe('Allowed');
  });

  test('the route role may invoke no other endpoint', async () => {
    expect(await invoke(route, 'sagemaker:InvokeEndpoint', endpointArn.replace(/endpoint\/.*/, 'endpoint/other'))).toBe(
      'ImplicitlyDenied',
    );
  });

  test.each([
    ['the agent (a declared caller: it must go through the API)', () => agent],
    ['the model workload itself', () => model],
    ['the batch workload', () => batch],
  ])('%s, given an identity grant on the endpoint, is explicitly denied by its boundary', async (_name, role) => {
    for (const action of INVOKE_ACTIONS) {
      expect(await invoke(withInvokeGrant(role(), endpointArn), action)).toBe('ExplicitlyDenied');
    }
  });

  test('negative control: without the boundary deny, the same identity grant would be allowed', async () => {
    expect(await invoke(withoutInvocationDeny(withInvokeGrant(agent, endpointArn)))).toBe('Allowed');
    expect(await invoke(withoutInvocationDeny(withInvokeGrant(model, endpointArn)))).toBe('Allowed');
  });
});
