/**
 * Who may call which route, shown by IAM policy evaluation of the synthesized API resource policy
 * (@cloud-copilot/iam-simulate through test/helpers/iam-eval.ts), not by string matching: the
 * declared caller is allowed `execute-api:Invoke` on its own route; every other principal (even one
 * whose identity policy allows `execute-api:Invoke` on everything) and every other route is denied.
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
  vpcEndpointPolicy,
} from '../../helpers/iam-eval';
import { newApp } from '../../helpers/stacks';
import { fixture, gateway } from './fixtures';

const API_ID = 'a1b2c3d4e5';
const routeArn = (stage: string, method: string, path: string) =>
  `arn:${PARTITION}:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${stage}/${method}${path}`;

/** The API's resource policy as API Gateway evaluates it: `execute-api:/…` expanded to this API's ARN. */
function apiResourcePolicy(resolver: CfnResolver, stackName: string, prefix = ''): any {
  const [id] = resolver.find(stackName, 'AWS::ApiGateway::RestApi', prefix);
  const policy = resolver.resolve(stackName, resolver.template(stackName).Resources[id].Properties!.Policy);
  for (const s of policy.Statement) {
    const expand = (r: string) =>
      r.replace(/^execute-api:\//, `arn:${PARTITION}:execute-api:${REGION}:${ACCOUNT}:${API_ID}/`);
    s.Resource = Array.isArray(s.Resource) ? s.Resource.map(expand) : expand(s.Resource);
    if (JSON.stringify(s.Principal) === JSON.stringify({ AWS: '*' })) s.Principal = '*';
  }
  return policy;
}

/** A role of the account, outside the platform, whose own policy allows invoking any API. */
const INTRUDER: RoleUnderTest = {
  roleArn: `arn:${PARTITION}:iam::${ACCOUNT}:role/intruder`,
  identityPolicies: [
    {
      name: 'invoke-anything',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] },
    },
  ],
  tags: {},
};

async function invoke(
  role: RoleUnderTest,
  resourceArn: string,
  resourcePolicy: unknown,
  viaVpcEndpoint?: { id: string; policy: unknown },
) {
  return evaluate({ role, action: 'execute-api:Invoke', resourceArn, resourcePolicy, viaVpcEndpoint });
}

describe('reference app: the agent may invoke the fraud-scoring model through the API, and no one else may', () => {
  let resolver: CfnResolver;
  let policy: unknown;
  let peoplePolicy: unknown;
  let vpce: { id: string; policy: unknown };
  let agent: RoleUnderTest;
  let model: RoleUnderTest;
  let batch: RoleUnderTest;
  let integration: RoleUnderTest;
  const invokeRoute = routeArn('live', 'POST', '/v1/fraud-scoring/invoke');
  /** A request through the machine API's execute-api interface endpoint, as an agent in the VPC makes it. */
  const inVpc = (role: RoleUnderTest, arn: string, p: unknown = policy) => invoke(role, arn, p, vpce);

  beforeAll(() => {
    const app = newApp();
    const api = buildPlatform(app, DEFAULT_PLATFORM_CONFIG).api!;
    resolver = new CfnResolver(app);
    policy = apiResourcePolicy(resolver, api.stackName, 'ModelGateway');
    peoplePolicy = apiResourcePolicy(resolver, api.stackName, 'PeopleGateway');
    const [endpointId] = resolver.find(api.stackName, 'AWS::EC2::VPCEndpoint', 'ModelGatewayExecuteApiEndpoint');
    vpce = {
      id: resolver.resolve(api.stackName, { Ref: endpointId }),
      policy: vpcEndpointPolicy(resolver, api.stackName, endpointId),
    };
    const identity = (stackName: string) =>
      roleUnderTest(resolver, stackName, resolver.find(stackName, 'AWS::IAM::Role', 'Identity')[0]);
    agent = identity('ztai-workload-support-agent');
    model = identity('ztai-workload-fraud-scoring');
    batch = identity('ztai-workload-doc-finetune');
    integration = roleUnderTest(
      resolver,
      api.stackName,
      resolver.find(api.stackName, 'AWS::IAM::Role', 'ModelGatewayRoutefraudscoringinvoke')[0],
    );
  });

  test('the declared caller (support-agent) is allowed on POST /v1/fraud-scoring/invoke through the VPC endpoint', async () => {
    expect(await inVpc(agent, invokeRoute)).toBe('Allowed');
  });

  test('the declared caller is explicitly denied from outside the VPC endpoint (private API)', async () => {
    expect(await invoke(agent, invokeRoute, policy)).toBe('ExplicitlyDenied');
  });

  test.each([
    ['the model workload itself', () => model],
    ['the batch workload', () => batch],
    ['the route integration role', () => integration],
    ['an account role whose own policy allows execute-api:Invoke on *', () => INTRUDER],
  ])('%s is explicitly denied on the route', async (_name, role) => {
    expect(await inVpc(role(), invokeRoute)).toBe('ExplicitlyDenied');
  });

  test('negative control: without the explicit denies, an account role with its own allow would get in', async () => {
    const withoutDeny = {
      ...(policy as any),
      Statement: (policy as any).Statement.filter((s: any) => s.Effect !== 'Deny'),
    };
    expect(await inVpc(INTRUDER, invokeRoute, withoutDeny)).toBe('Allowed');
    expect(await inVpc(model, invokeRoute, withoutDeny)).toBe('ImplicitlyDenied');
  });

  test.each([
    ['another stage', routeArn('prod', 'POST', '/v1/fraud-scoring/invoke')],
    ['another method', routeArn('live', 'GET', '/v1/fraud-scoring/invoke')],
    ['another workload', routeArn('live', 'POST', '/v1/doc-finetune/invoke')],
    ['another operation', routeArn('live', 'POST', '/v1/fraud-scoring/admin')],
  ])('the agent is denied on %s', async (_name, arn) => {
    expect(await inVpc(agent, arn)).toBe('ImplicitlyDenied');
  });

  test('the execute-api endpoint admits principals of this account only (aws:PrincipalAccount)', async () => {
    // Any API resource policy: the endpoint policy alone decides here.
    const openApi = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: '*' }],
    };
    const outsider: RoleUnderTest = { ...INTRUDER, roleArn: `arn:${PARTITION}:iam::444455556666:role/outsider` };
    const fromOtherAccount = (p: unknown) =>
      evaluate({
        role: outsider,
        action: 'execute-api:Invoke',
        resourceArn: invokeRoute,
        resourcePolicy: openApi,
        viaVpcEndpoint: { id: vpce.id, policy: p },
        context: { 'aws:PrincipalAccount': '444455556666', 'aws:PrincipalArn': outsider.roleArn },
      });
    expect(await inVpc(INTRUDER, invokeRoute, openApi)).toBe('Allowed');
    expect(await fromOtherAccount(vpce.policy)).toBe('ImplicitlyDenied');
    // Negative control: the endpoint policy without its aws:PrincipalAccount condition lets the outsider through.
    const unconditioned = {
      ...(vpce.policy as any),
      Statement: (vpce.policy as any).Statement.map(({ Condition: _c, ...st }: any) => st),
    };
    expect(await fromOtherAccount(unconditioned)).toBe('Allowed');
  });

  test("the execute-api endpoint admits this account's APIs only", async () => {
    const openApi = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: '*' }],
    };
    const otherAccountsApi = `arn:${PARTITION}:execute-api:${REGION}:444455556666:${API_ID}/live/POST/v1/fraud-scoring/invoke`;
    expect(await inVpc(INTRUDER, otherAccountsApi, openApi)).toBe('ImplicitlyDenied');
  });

  test('the people API admits its route to the user-pool authorizer, and no other route', async () => {
    // No IAM grant of its own: only the resource policy can admit the request.
    expect(await invoke(model, invokeRoute, peoplePolicy)).toBe('Allowed');
    expect(await invoke(model, routeArn('live', 'GET', '/v1/fraud-scoring/invoke'), peoplePolicy)).toBe(
      'ImplicitlyDenied',
    );
    expect(await invoke(model, routeArn('live', 'POST', '/v1/doc-finetune/invoke'), peoplePolicy)).toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('construct: with two IAM routes, each caller reaches only its own', () => {
  let policy: unknown;
  let agent: RoleUnderTest;
  let other: RoleUnderTest;
  const fraud = routeArn('live', 'POST', '/v1/fraud-scoring/invoke');
  const docs = routeArn('live', 'POST', '/v1/doc-model/invoke');

  beforeAll(() => {
    const f = fixture();
    gateway(f);
    const resolver = new CfnResolver(f.app);
    policy = apiResourcePolicy(resolver, f.stack.stackName);
    const role = (prefix: string) =>
      roleUnderTest(resolver, f.callers.stackName, resolver.find(f.callers.stackName, 'AWS::IAM::Role', prefix)[0]);
    agent = role('AgentRole');
    other = role('OtherRole');
  });

  test('each caller is allowed on its own route', async () => {
    expect(await invoke(agent, fraud, policy)).toBe('Allowed');
    expect(await invoke(other, docs, policy)).toBe('Allowed');
  });

  test("each caller is explicitly denied on the other's route", async () => {
    expect(await invoke(agent, docs, policy)).toBe('ExplicitlyDenied');
    expect(await invoke(other, fraud, policy)).toBe('ExplicitlyDenied');
  });
});
