import * as path from 'path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ApiEndpointAccess, ModelGatewayApi, RouteAuthorization } from '../../../constructs/api';
import { PlatformEndpoint } from '../../../constructs/network/platform-endpoint';
import { SegmentedNetwork } from '../../../constructs/network/segmented-network';
import { runCfnGuard } from '../../helpers/guard';
import { describeFindings, isAcknowledged, nagFindings } from '../../helpers/nag';
import { resourcesOfType } from '../../helpers/stacks';
import { fixture, Fixture, gateway } from './fixtures';

const CLIENTS = [
  {
    name: 'support-agent',
    throttle: { rateLimit: 10, burstLimit: 20 },
    quota: { limit: 10000, period: apigateway.Period.DAY },
  },
];

/** The synthesized method of a route, by its path. */
function methodOf(api: ModelGatewayApi, json: any, routePath: string): any {
  const method = api.methods.get(routePath);
  if (!method) throw new Error(`no route ${routePath}`);
  const id = Stack.of(api).getLogicalId(method.node.defaultChild as CfnElement);
  return json.Resources[id];
}

describe('ModelGatewayApi (regional, IAM and user-pool routes)', () => {
  let f: Fixture;
  let api: ModelGatewayApi;
  let t: Template;
  let json: any;

  beforeAll(() => {
    f = fixture();
    api = gateway(f, { clients: CLIENTS });
    t = Template.fromStack(f.stack);
    json = t.toJSON();
  });

  test('one POST method per route under /v1/<workload>/<operation>, none without authorization', () => {
    const methods = resourcesOfType(json, 'AWS::ApiGateway::Method');
    expect(methods).toHaveLength(3);
    for (const [, m] of methods) {
      expect(m.Properties.HttpMethod).toBe('POST');
      expect(['AWS_IAM', 'COGNITO_USER_POOLS']).toContain(m.Properties.AuthorizationType);
    }
    expect([...api.methods.keys()].sort()).toEqual([
      '/v1/doc-model/invoke',
      '/v1/fraud-scoring/invoke',
      '/v1/fraud-scoring/user-invoke',
    ]);
  });

  test('machine routes use AWS_IAM and require an API key; the people route uses the user pool with its scope', () => {
    const invoke = methodOf(api, json, '/v1/fraud-scoring/invoke');
    expect(invoke.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(invoke.Properties.ApiKeyRequired).toBe(true);
    const people = methodOf(api, json, '/v1/fraud-scoring/user-invoke');
    expect(people.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
    expect(people.Properties.AuthorizationScopes).toEqual(['model-gateway/invoke']);
    expect(people.Properties.ApiKeyRequired).toBe(false);
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  test('integration: SageMaker runtime AWS service integration, JSON only, through the route role', () => {
    const invoke = methodOf(api, json, '/v1/fraud-scoring/invoke');
    const integration = invoke.Properties.Integration;
    expect(integration.Type).toBe('AWS');
    expect(integration.IntegrationHttpMethod).toBe('POST');
    expect(integration.PassthroughBehavior).toBe('NEVER');
    expect(Object.keys(integration.RequestTemplates)).toEqual(['application/json']);
    expect(JSON.stringify(integration.Uri)).toContain(
      ':runtime.sagemaker:path/endpoints/fraud-scoring-endpoint/invocations',
    );
    expect(JSON.stringify(integration.Uri)).toContain(':apigateway:');
    expect(integration.Credentials['Fn::GetAtt'][0]).toMatch(/^GatewayRoutefraudscoringinvokeIntegrationRole/);
    expect(resourcesOfType(json, 'AWS::Lambda::Function')).toHaveLength(0);
  });

  test('each route role, under the route role path, is assumed by API Gateway (the documented plain trust) and may invoke only its endpoint, by a managed policy', () => {
    const roles = resourcesOfType(json, 'AWS::IAM::Role');
    expect(roles).toHaveLength(3);
    for (const [id, role] of roles) {
      expect(role.Properties.Policies).toBeUndefined();
      expect(role.Properties.Path).toBe('/ztai/api-route/');
      // API Gateway documents no aws:SourceAccount/aws:SourceArn when it assumes integration
      // credentials: a condition on them could fail every call of the route.
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      const policies = resourcesOfType(json, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
        p.Properties.Roles.some((r: any) => r.Ref === id),
      );
      expect(policies).toHaveLength(1);
      const statements = policies[0][1].Properties.PolicyDocument.Statement;
      expect(statements).toHaveLength(1);
      expect(statements[0].Action).toBe('sagemaker:InvokeEndpoint');
      const resource = JSON.stringify(statements[0].Resource);
      const endpoint = id.includes('docmodel') ? 'doc-model-endpoint' : 'fraud-scoring-endpoint';
      expect(resource).toContain(`:endpoint/${endpoint}`);
      expect(resource).not.toContain('*');
    }
    expect(resourcesOfType(json, 'AWS::IAM::Policy')).toHaveLength(0);
    expect(api.routeRolePath).toBe('/ztai/api-route/');
    expect(f.stack.resolve(ModelGatewayApi.routeRoleArnPattern())['Fn::Join'][1]).toContain(':role/ztai/api-route/*');
  });

  test('request validation: a JSON schema per route with required prompt, max length and no additional properties', () => {
    const models = resourcesOfType(json, 'AWS::ApiGateway::Model');
    expect(models).toHaveLength(3);
    const fraud = models.find(([, m]) => m.Properties.Name === 'FraudScoringInvokeRequest')![1];
    expect(fraud.Properties.ContentType).toBe('application/json');
    expect(fraud.Properties.Schema).toMatchObject({
      type: 'object',
      required: ['prompt'],
      additionalProperties: false,
      properties: {
        prompt: { type: 'string', minLength: 1, maxLength: 4000 },
        parameters: { type: 'object', additionalProperties: false },
      },
    });
    const docs = models.find(([, m]) => m.Properties.Name === 'DocModelInvokeRequest')![1];
    expect(docs.Properties.Schema.properties.prompt.maxLength).toBe(8000);
    t.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    for (const [, m] of resourcesOfType(json, 'AWS::ApiGateway::Method')) {
      expect(m.Properties.RequestValidatorId).toBeDefined();
      expect(Object.keys(m.Properties.RequestModels)).toEqual(['application/json']);
    }
  });

  test('stage: explicit, throttled on every method and per route, ERROR logging without data, X-Ray, JSON access logs', () => {
    const [[, stage]] = resourcesOfType(json, 'AWS::ApiGateway::Stage');
    expect(stage.Properties.StageName).toBe('live');
    expect(stage.Properties.TracingEnabled).toBe(true);
    expect(stage.Properties.MethodSettings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ResourcePath: '/*',
          HttpMethod: '*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
        expect.objectContaining({
          ResourcePath: '/~1v1~1fraud-scoring~1user-invoke',
          HttpMethod: 'POST',
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
        }),
      ]),
    );
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      userArn: '$context.identity.userArn',
    });
    for (const [, d] of resourcesOfType(json, 'AWS::ApiGateway::Deployment')) {
      expect(d.Properties.StageName).toBeUndefined();
    }
  });

  test('access log group: KMS-encrypted, retained one year (kept on delete and update, removed when its own create rolls back)', () => {
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogsKey'), 'Arn'] },
        RetentionInDays: 365,
        LogGroupName: Match.absent(),
      },
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the fixed-name execution log group is retained except when its own create rolls back (a retry can recreate it)', () => {
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: Match.objectLike({ LogGroupName: Match.anyValue() }),
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    for (const [, group] of resourcesOfType(json, 'AWS::Logs::LogGroup')) {
      expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
    }
  });

  test('regional endpoint, execute-api endpoint on (no custom domain), WAF web ACL associated with the stage', () => {
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      DisableExecuteApiEndpoint: false,
    });
    const [[, assoc]] = resourcesOfType(json, 'AWS::WAFv2::WebACLAssociation');
    expect(assoc.Properties.WebACLArn['Fn::GetAtt'][1]).toBe('Arn');
    const joined = assoc.Properties.ResourceArn['Fn::Join'][1];
    const stageId = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0][0];
    expect(joined).toContainEqual({ Ref: stageId });
    // The body limit covers the longest route prompt (8000 chars x 4 bytes + 1 KB envelope).
    expect(api.webAcl!.maxBodyBytes).toBe(33024);
  });

  test('usage plan per client: API key, quota, rate and burst on this stage', () => {
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 10000, Period: 'DAY' },
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      ApiStages: [Match.objectLike({ Stage: { Ref: Match.stringLikeRegexp('^GatewayDeploymentStagelive') } })],
    });
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    t.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
  });

  test('resource policy: callers allowed on their own route, every other principal denied there, people routes open to the authorizer', () => {
    const policy = t.findResources('AWS::ApiGateway::RestApi');
    const statements = (Object.values(policy)[0] as any).Properties.Policy.Statement;
    const bySid = Object.fromEntries(statements.map((s: any) => [s.Sid, s]));
    expect(bySid.AllowFraudScoringInvokeDeclaredCallers.Resource).toBe(
      'execute-api:/live/POST/v1/fraud-scoring/invoke',
    );
    expect(bySid.DenyFraudScoringInvokeOtherPrincipals).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: 'execute-api:/live/POST/v1/fraud-scoring/invoke',
    });
    expect(bySid.DenyFraudScoringInvokeOtherPrincipals.Condition.StringNotEquals['aws:PrincipalArn']).toHaveLength(1);
    expect(bySid.AllowFraudScoringUserInvokeUserPoolAuthorized.Resource).toBe(
      'execute-api:/live/POST/v1/fraud-scoring/user-invoke',
    );
    expect(statements.filter((s: any) => s.Resource === 'execute-api:/*')).toHaveLength(0);
  });

  test('every cdk-nag pack is clean, acknowledgements narrowed to the stage and the IAM methods', () => {
    const findings = nagFindings(f.app);
    expect(describeFindings(findings)).toBe('');
  });

  test('the Guard rules (cfn-guard) pass on the template', () => {
    const assembly = f.app.synth();
    const file = path.join(assembly.directory, f.stack.templateFile);
    const failures = runCfnGuard([file]).get(path.basename(file));
    expect([...(failures ?? [])]).toEqual([]);
  });
});

describe('ModelGatewayApi: deployments', () => {
  const deploymentId = (f: Fixture) =>
    resourcesOfType(Template.fromStack(f.stack).toJSON(), 'AWS::ApiGateway::Deployment')[0][0];

  test('a change of declared callers (resource policy only) makes a new deployment, so it takes effect', () => {
    const a = fixture();
    gateway(a);
    const b = fixture();
    gateway(b, {
      routes: [
        {
          workload: 'fraud-scoring',
          endpoint: b.fraud,
          authorization: RouteAuthorization.iam(b.agent, b.other),
          maxPromptChars: 4000,
        },
        { workload: 'doc-model', endpoint: b.docs, authorization: RouteAuthorization.iam(b.other) },
        {
          workload: 'fraud-scoring',
          operation: 'user-invoke',
          endpoint: b.fraud,
          authorization: RouteAuthorization.userPool({ scopes: ['invoke'] }),
          throttle: { rateLimit: 5, burstLimit: 10 },
        },
      ],
    });
    const c = fixture();
    gateway(c);
    expect(deploymentId(a)).toBe(deploymentId(c));
    expect(deploymentId(a)).not.toBe(deploymentId(b));
  });
});

describe('ModelGatewayApi: nag negative control', () => {
  test('without the acknowledgements on the stage the cache and client-certificate rules fire', () => {
    const f = fixture();
    gateway(f);
    const plain = new apigateway.RestApi(f.stack, 'Plain', { cloudWatchRole: false });
    plain.root.addMethod('GET', new apigateway.MockIntegration());
    const rules = nagFindings(f.app)
      .filter((x) => x.path.startsWith('Api/Plain/'))
      .map((x) => x.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG4',
        'NIST.800.53.R5-APIGWSSLEnabled',
        'Serverless-APIGWDefaultThrottling',
      ]),
    );
  });
});

describe('ModelGatewayApi: private endpoint', () => {
  /** A private gateway through an execute-api endpoint of a plain VPC. */
  function privateThrough(overrides: Partial<Parameters<typeof gateway>[1]> = {}) {
    const f = fixture();
    const vpc = new ec2.Vpc(f.stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'endpoints', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const vpce = vpc.addInterfaceEndpoint('ExecuteApi', { service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY });
    const api = gateway(f, { endpointAccess: ApiEndpointAccess.privateThrough(vpce), ...overrides });
    const t = Template.fromStack(f.stack);
    return { f, api, t, json: t.toJSON() };
  }
  /** A private gateway in a platform network (which passes nag and Guard on its own), through the endpoint it creates. */
  function privateIn(overrides: Partial<Parameters<typeof gateway>[1]> = {}) {
    const f = fixture();
    const network = new SegmentedNetwork(f.stack, 'Network', { interfaceEndpoints: PlatformEndpoint.BASELINE });
    const api = gateway(f, { endpointAccess: ApiEndpointAccess.privateIn(network), ...overrides });
    return { f, api, t: Template.fromStack(f.stack) };
  }
  const WAF_RULES = [
    'AwsSolutions::AwsSolutions-APIG3',
    'NIST.800.53.R5::NIST.800.53.R5-APIGWAssociatedWithWAF',
    'PCI.DSS.321::PCI.DSS.321-APIGWAssociatedWithWAF',
  ];

  test('PRIVATE endpoint type, an execute-api interface endpoint, and a deny for any other source', () => {
    const { t } = privateThrough();
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: {
        Types: ['PRIVATE'],
        VpcEndpointIds: [{ Ref: Match.stringLikeRegexp('^VpcExecuteApi') }],
      },
      Policy: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyOutsideVpcEndpoint',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: Match.stringLikeRegexp('^VpcExecuteApi') } } },
          },
        ]),
      },
    });
  });

  test('by default the private stage is behind its own web ACL: the association names the stage and the ACL', () => {
    const { f, api, t, json } = privateThrough();
    expect(api.webAcl).toBeDefined();
    t.resourceCountIs('AWS::WAFv2::WebACL', 1);
    const [[, assoc]] = resourcesOfType(json, 'AWS::WAFv2::WebACLAssociation');
    const aclId = f.stack.getLogicalId(api.webAcl!.webAcl);
    expect(assoc.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    // arn:<partition>:apigateway:<region>::/restapis/<private API>/stages/<its stage>
    const [[stageId, stage]] = resourcesOfType(json, 'AWS::ApiGateway::Stage');
    const [[apiId]] = resourcesOfType(json, 'AWS::ApiGateway::RestApi');
    expect(stage.Properties.StageName).toBe('live');
    const parts = assoc.Properties.ResourceArn['Fn::Join'][1];
    expect(parts).toEqual(expect.arrayContaining(['::/restapis/', { Ref: apiId }, '/stages/', { Ref: stageId }]));
    expect(json.Resources[apiId].Properties.EndpointConfiguration.Types).toEqual(['PRIVATE']);
  });

  test('the private API’s web ACL is the regional one: blocking per-IP rate limit, body limit, managed groups, encrypted logs', () => {
    const { f, api, t } = privateThrough();
    const acl = api.webAcl!;
    expect(acl.webAclName).toBe('model-gateway-live');
    // The longest route prompt (8000 chars x 4 bytes + 1 KB envelope), as on a regional API.
    expect(acl.maxBodyBytes).toBe(33024);
    const rules = (Object.values(t.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.Rules;
    expect(rules.map((r: any) => r.Name)).toEqual([
      'BodySizeLimit',
      'RateLimitPerIp',
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesAnonymousIpList',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesCommonRuleSet',
    ]);
    const rate = rules.find((r: any) => r.Name === 'RateLimitPerIp');
    expect(rate.Action).toEqual({ Block: {} });
    expect(rate.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', Limit: 1000 });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-model-gateway-live',
      KmsKeyId: { 'Fn::GetAtt': [f.stack.getLogicalId(f.key.node.defaultChild as CfnElement), 'Arn'] },
    });
    t.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
  });

  test('every cdk-nag pack is clean with no WAF acknowledgement on the private stage, and no warning', () => {
    const { f, api } = privateIn();
    expect(describeFindings(nagFindings(f.app))).toBe('');
    for (const rule of WAF_RULES) expect(isAcknowledged(api.stage.node.defaultChild as CfnElement, rule)).toBe(false);
    expect(Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('ztai:api'))).toHaveLength(0);
  });

  test('the Guard rules (cfn-guard) pass on the private template with its web ACL', () => {
    const { f } = privateIn();
    const assembly = f.app.synth();
    const file = path.join(assembly.directory, f.stack.templateFile);
    expect([...(runCfnGuard([file]).get(path.basename(file)) ?? [])]).toEqual([]);
  });

  test('withoutWebAclOnPrivateApi: no web ACL and no association, a ztai: warning, the WAF findings acknowledged on the stage', () => {
    // The synth validation report prints the warning; it is asserted below instead.
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const { f, api, t } = privateIn({ withoutWebAclOnPrivateApi: true });
    expect(api.webAcl).toBeUndefined();
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    t.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 0);
    Annotations.fromStack(f.stack).hasWarning(
      `/${api.node.path}`,
      Match.stringLikeRegexp(
        'withoutWebAclOnPrivateApi is on: the private API has no WAF web ACL.*ztai:api-private-without-web-acl',
      ),
    );
    for (const rule of WAF_RULES) expect(isAcknowledged(api.stage.node.defaultChild as CfnElement, rule)).toBe(true);
    expect(describeFindings(nagFindings(f.app))).toBe('');
  });
});

describe('ModelGatewayApi: route role path', () => {
  test('routeRolePath puts every route role under that path, and the ARN pattern follows it', () => {
    const f = fixture();
    const api = gateway(f, { routeRolePath: '/acme/api-route/' });
    for (const [, role] of resourcesOfType(Template.fromStack(f.stack).toJSON(), 'AWS::IAM::Role')) {
      expect(role.Properties.Path).toBe('/acme/api-route/');
    }
    expect(api.routeRolePath).toBe('/acme/api-route/');
    expect(f.stack.resolve(ModelGatewayApi.routeRoleArnPattern('/acme/api-route/'))['Fn::Join'][1]).toContain(
      ':role/acme/api-route/*',
    );
    expect(() => ModelGatewayApi.routeRoleArnPattern('acme')).toThrow(/routeRolePath must be an IAM path/);
  });
});

describe('ModelGatewayApi: the execute-api interface endpoint it creates admits only this account', () => {
  function privateGateway(routes: 'iam' | 'mixed') {
    const f = fixture();
    // A network without its own execute-api endpoint: the API creates one.
    const network = new SegmentedNetwork(f.stack, 'Network', { interfaceEndpoints: PlatformEndpoint.BASELINE });
    const api = gateway(f, {
      endpointAccess: ApiEndpointAccess.privateIn(network),
      ...(routes === 'iam'
        ? {
            routes: [{ workload: 'fraud-scoring', endpoint: f.fraud, authorization: RouteAuthorization.iam(f.agent) }],
          }
        : {}),
    });
    const json = Template.fromStack(f.stack).toJSON();
    const [[, endpoint]] = resourcesOfType(json, 'AWS::EC2::VPCEndpoint').filter(([id]) =>
      id.startsWith('GatewayExecuteApiEndpoint'),
    );
    return { f, api, statements: endpoint.Properties.PolicyDocument.Statement as any[] };
  }

  test('SigV4 callers of this account (aws:PrincipalAccount), on this account’s APIs; nothing else without user-pool routes', () => {
    const { statements } = privateGateway('iam');
    expect(statements).toEqual([
      {
        Sid: 'ThisAccountsPrincipalsOnThisAccountsApis',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':execute-api:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':*',
            ],
          ],
        },
        Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  test('user-pool routes (bearer tokens are anonymous to the endpoint policy) are admitted on exactly their stage, method and path', () => {
    const { statements } = privateGateway('mixed');
    expect(statements).toHaveLength(2);
    const anonymous = statements.find((s) => s.Sid === 'UserPoolRoutesOfThisAccountsApis');
    expect(anonymous.Principal).toEqual({ AWS: '*' });
    expect(anonymous.Condition).toBeUndefined();
    expect(JSON.stringify(anonymous.Resource)).toContain(':*/live/POST/v1/fraud-scoring/user-invoke');
    // Only the user-pool route: never an IAM route, never a wildcard path.
    expect(JSON.stringify(anonymous.Resource)).not.toContain('/v1/fraud-scoring/invoke');
    expect(JSON.stringify(anonymous.Resource)).not.toContain('/v1/doc-model/');
    for (const s of statements.filter((x) => x.Sid !== 'UserPoolRoutesOfThisAccountsApis')) {
      expect(s.Condition).toEqual({ StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } });
    }
  });

  test('the network’s own execute-api endpoint is reused; with user-pool routes that is a ztai: warning', () => {
    const f = fixture();
    const network = new SegmentedNetwork(f.stack, 'Network', {
      interfaceEndpoints: [...PlatformEndpoint.BASELINE, PlatformEndpoint.EXECUTE_API],
    });
    const api = gateway(f, { endpointAccess: ApiEndpointAccess.privateIn(network) });
    expect(api.vpcEndpoint).toBe(network.interfaceEndpoint(PlatformEndpoint.EXECUTE_API));
    Annotations.fromStack(f.stack).hasWarning(
      `/${api.node.path}`,
      Match.stringLikeRegexp('bearer-token requests are anonymous to the endpoint policy'),
    );
  });
});

describe('ModelGatewayApi: custom domain', () => {
  test('TLS 1.2 minimum, and the default execute-api endpoint is disabled', () => {
    const f = fixture();
    const certificate = acm.Certificate.fromCertificateArn(
      f.stack,
      'Cert',
      'arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-3333-4444-555555555555',
    );
    gateway(f, { customDomain: { domainName: 'models.example.com', certificate } });
    const t = Template.fromStack(f.stack);
    t.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'models.example.com',
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });
});

describe('ModelGatewayApi: loosening is loud', () => {
  test('logFullRequestsAndResponses turns on data trace at INFO, with a ztai: warning', () => {
    // The synth validation report prints the warning; it is asserted below instead.
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const f = fixture();
    const api = gateway(f, { logFullRequestsAndResponses: true });
    Template.fromStack(f.stack).hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ResourcePath: '/*', DataTraceEnabled: true, LoggingLevel: 'INFO' }),
      ]),
    });
    Annotations.fromStack(f.stack).hasWarning(`/${api.node.path}`, Match.stringLikeRegexp('prompts and model outputs'));
  });

  test('by default there is no warning', () => {
    const f = fixture();
    gateway(f);
    expect(Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('ztai:api'))).toHaveLength(0);
  });
});

describe('ModelGatewayApi: bad input fails at synth with the field, the value and what is allowed', () => {
  const cases: [string, (f: Fixture) => Partial<Parameters<typeof gateway>[1]>, RegExp][] = [
    [
      'stage rate 0',
      () => ({ throttle: { rateLimit: 0, burstLimit: 10 } }),
      /throttle\.rateLimit must be .* greater than 0, got 0/,
    ],
    [
      'stage burst < rate',
      () => ({ throttle: { rateLimit: 20, burstLimit: 10 } }),
      /throttle\.burstLimit \(10\) must be >= throttle\.rateLimit \(20\)/,
    ],
    [
      'stage burst fractional',
      () => ({ throttle: { rateLimit: 1, burstLimit: 2.5 } }),
      /throttle\.burstLimit must be a positive integer, got 2\.5/,
    ],
    [
      'client quota period unknown',
      () => ({ clients: [{ ...CLIENTS[0], quota: { limit: 10, period: 'YEAR' as apigateway.Period } }] }),
      /clients\[0\]\.quota\.period must be one of DAY, WEEK, MONTH, got 'YEAR'/,
    ],
    [
      'client quota 0',
      () => ({ clients: [{ ...CLIENTS[0], quota: { limit: 0, period: apigateway.Period.DAY } }] }),
      /clients\[0\]\.quota\.limit must be a positive integer .* got 0/,
    ],
    [
      'client burst < rate',
      () => ({ clients: [{ ...CLIENTS[0], throttle: { rateLimit: 5, burstLimit: 1 } }] }),
      /clients\[0\]\.throttle\.burstLimit \(1\) must be >= clients\[0\]\.throttle\.rateLimit \(5\)/,
    ],
    ['prompt 0', () => ({ maxPromptChars: 0 }), /maxPromptChars must be an integer from 1 to 16128, got 0/],
    [
      'prompt too large for WAF',
      () => ({ maxPromptChars: 20000 }),
      /maxPromptChars must be an integer from 1 to 16128, got 20000/,
    ],
    ['body limit 0', () => ({ maxBodyBytes: 0 }), /maxBodyBytes must be an integer from 1 to 65536, got 0/],
    ['no routes', () => ({ routes: [] }), /routes must hold at least one route, got \[\]/],
    [
      'IAM route without callers',
      (f) => ({ routes: [{ workload: 'fraud-scoring', endpoint: f.fraud, authorization: RouteAuthorization.iam() }] }),
      /routes\[0\]\.authorization: RouteAuthorization\.iam\(\) needs at least one caller role/,
    ],
    [
      'user-pool route without a pool',
      (f) => ({
        userPool: undefined,
        routes: [{ workload: 'fraud-scoring', endpoint: f.fraud, authorization: RouteAuthorization.userPool() }],
      }),
      /routes\[0\]\.authorization is RouteAuthorization\.userPool\(\) but the API has no userPool/,
    ],
    [
      'undeclared scope',
      (f) => ({
        routes: [
          {
            workload: 'fraud-scoring',
            endpoint: f.fraud,
            authorization: RouteAuthorization.userPool({ scopes: ['admin'] }),
          },
        ],
      }),
      /scope 'admin' is not declared on the user pool; declared: model-gateway\/invoke/,
    ],
    [
      'duplicate route',
      (f) => ({
        routes: [
          { workload: 'fraud-scoring', endpoint: f.fraud, authorization: RouteAuthorization.iam(f.agent) },
          { workload: 'fraud-scoring', endpoint: f.docs, authorization: RouteAuthorization.iam(f.other) },
        ],
      }),
      /routes\[1\]: route POST \/v1\/fraud-scoring\/invoke is declared twice/,
    ],
    [
      'bad workload segment',
      (f) => ({
        routes: [{ workload: 'Fraud_Scoring', endpoint: f.fraud, authorization: RouteAuthorization.iam(f.agent) }],
      }),
      /routes\[0\]\.workload must be 2-32 lower-case .* got 'Fraud_Scoring'/,
    ],
    [
      'route rate above the stage rate',
      (f) => ({
        routes: [
          {
            workload: 'fraud-scoring',
            endpoint: f.fraud,
            authorization: RouteAuthorization.iam(f.agent),
            throttle: { rateLimit: 500, burstLimit: 500 },
          },
        ],
      }),
      /routes\[0\]\.throttle\.rateLimit \(500\) must be <= the stage throttle\.rateLimit \(50\)/,
    ],
    ['bad stage name', () => ({ stageName: 'prod-1' }), /stageName must be 1-128 letters, digits or '_', got 'prod-1'/],
    [
      'route role path without its slashes',
      () => ({ routeRolePath: 'ztai/api-route' }),
      /routeRolePath must be an IAM path .* got 'ztai\/api-route'/,
    ],
    ['route role path with a wildcard', () => ({ routeRolePath: '/ztai/*/' }), /routeRolePath must be an IAM path/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    const f = fixture();
    expect(() => gateway(f, props(f))).toThrow(message);
  });

  test('withoutWebAclOnPrivateApi on a regional API is refused (a regional API always has its web ACL)', () => {
    const f = fixture();
    expect(() => gateway(f, { withoutWebAclOnPrivateApi: true })).toThrow(
      /withoutWebAclOnPrivateApi applies to private endpoints only .* got it with ApiEndpointAccess\.regional\(\)/,
    );
    expect(() =>
      gateway(fixture(), { endpointAccess: ApiEndpointAccess.regional(), withoutWebAclOnPrivateApi: false }),
    ).not.toThrow();
  });

  test('private endpoint with a custom domain is refused', () => {
    const f = fixture();
    const vpc = new ec2.Vpc(f.stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'e', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const vpce = vpc.addInterfaceEndpoint('ExecuteApi', { service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY });
    const certificate = acm.Certificate.fromCertificateArn(
      f.stack,
      'Cert',
      'arn:aws:acm:eu-west-1:111122223333:certificate/x',
    );
    expect(() =>
      gateway(f, {
        endpointAccess: ApiEndpointAccess.privateThrough(vpce),
        customDomain: { domainName: 'models.example.com', certificate },
      }),
    ).toThrow(/customDomain is supported for regional endpoints only/);
  });
});
