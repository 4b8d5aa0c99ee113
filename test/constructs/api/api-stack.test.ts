import * as fs from 'fs';
import * as path from 'path';
import { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiStack, DEFAULT_API_CONFIG, validateApiConfig } from '../../../lib/api-stack';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { buildPlatform } from '../../../lib/platform-app';
import { runCfnGuard } from '../../helpers/guard';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp, resourcesOfType } from '../../helpers/stacks';

const raw = (api: unknown) => ({ ...DEFAULT_PLATFORM_CONFIG, api });

describe('validateApiConfig', () => {
  test('the default configuration, and no api section, have no problems', () => {
    expect(validateApiConfig(raw(DEFAULT_API_CONFIG))).toEqual([]);
    expect(validateApiConfig(DEFAULT_PLATFORM_CONFIG)).toEqual([]);
    expect(
      validateApiConfig(
        raw({
          clients: [{ caller: 'support-agent', rateLimit: 10, burstLimit: 20, quotaLimit: 1000, quotaPeriod: 'WEEK' }],
        }),
      ),
    ).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    [
      'unknown exposed workload',
      { expose: ['claims'] },
      "api.expose[0]: must name a realtime-inference workload (fraud-scoring), got 'claims'",
    ],
    [
      'exposed workload of another kind',
      { expose: ['doc-finetune'] },
      "api.expose[0]: must name a realtime-inference workload (fraud-scoring), got 'doc-finetune'",
    ],
    [
      'a declared caller whose model is not exposed',
      { expose: [] },
      "workloads[2].invokes[0]: 'fraud-scoring' is not exposed by the API (api.expose: none)",
    ],
    [
      'unknown caller',
      { clients: [{ caller: 'doc-finetune', rateLimit: 1, burstLimit: 1, quotaLimit: 1, quotaPeriod: 'DAY' }] },
      "api.clients[0].caller: must name a workload that invokes an exposed workload (support-agent), got 'doc-finetune'",
    ],
    [
      'rate 0',
      { throttle: { rateLimit: 0, burstLimit: 10 } },
      'api.throttle.rateLimit: must be a number of requests per second greater than 0, got 0',
    ],
    [
      'burst below rate',
      { throttle: { rateLimit: 20, burstLimit: 10 } },
      'api.throttle.burstLimit: must be >= rateLimit (20), got 10',
    ],
    [
      'burst not an integer',
      { throttle: { rateLimit: 1, burstLimit: '5' } },
      "api.throttle.burstLimit: must be a positive integer, got '5'",
    ],
    [
      'client quota period unknown',
      { clients: [{ caller: 'support-agent', rateLimit: 1, burstLimit: 1, quotaLimit: 1, quotaPeriod: 'YEAR' }] },
      "api.clients[0].quotaPeriod: must be one of DAY, WEEK, MONTH, got 'YEAR'",
    ],
    [
      'client quota 0',
      { clients: [{ caller: 'support-agent', rateLimit: 1, burstLimit: 1, quotaLimit: 0, quotaPeriod: 'DAY' }] },
      'api.clients[0].quotaLimit: must be a positive integer of requests per period, got 0',
    ],
    [
      'client key version 0',
      {
        clients: [
          { caller: 'support-agent', rateLimit: 1, burstLimit: 1, quotaLimit: 1, quotaPeriod: 'DAY', keyVersion: 0 },
        ],
      },
      'api.clients[0].keyVersion: must be an integer from 1 to 1000000, got 0',
    ],
    [
      'client key version not an integer',
      {
        clients: [
          { caller: 'support-agent', rateLimit: 1, burstLimit: 1, quotaLimit: 1, quotaPeriod: 'DAY', keyVersion: '2' },
        ],
      },
      "api.clients[0].keyVersion: must be an integer from 1 to 1000000, got '2'",
    ],
    [
      'body limit 0',
      { maxPromptChars: 0 },
      'api.maxPromptChars: must be an integer from 1 to 16128 (it sizes the WAF body limit, which must be > 0 and at most 64 KB), got 0',
    ],
    [
      'body limit negative',
      { maxPromptChars: -1 },
      'api.maxPromptChars: must be an integer from 1 to 16128 (it sizes the WAF body limit, which must be > 0 and at most 64 KB), got -1',
    ],
    [
      'unknown field',
      { cors: true },
      'api.cors: unknown field; allowed fields of api: expose, stageName, throttle, maxPromptChars, rateLimitPerIp, machineEndpointType, people, clients',
    ],
    [
      'endpoint type',
      { machineEndpointType: 'edge' },
      "api.machineEndpointType: must be one of regional, private, got 'edge'",
    ],
    ['rate per IP', { rateLimitPerIp: 1 }, 'api.rateLimitPerIp: must be an integer from 10 to 2000000000, got 1'],
    ['stage name', { stageName: 'my stage' }, "api.stageName: must be 1-128 letters, digits or '_', got 'my stage'"],
    ['not an object', 'yes', "api: must be an object, got 'yes'"],
  ])('%s', (_name, api, problem) => {
    expect(validateApiConfig(raw(api))).toContain(problem);
  });
});

describe('ApiStack in the reference app', () => {
  let app: ReturnType<typeof newApp>;
  let api: ApiStack;
  let json: any;

  beforeAll(() => {
    app = newApp();
    api = buildPlatform(app, DEFAULT_PLATFORM_CONFIG).api!;
    json = Template.fromStack(api).toJSON();
  });

  test('exposes the realtime-inference workload: a private IAM API for the agent, a regional Cognito API for people', () => {
    expect(api.exposed).toEqual(['fraud-scoring']);
    expect([...api.machineGateway!.methods.keys()]).toEqual(['/v1/fraud-scoring/invoke']);
    expect([...api.peopleGateway!.methods.keys()]).toEqual(['/v1/fraud-scoring/invoke']);
    const apis = Object.fromEntries(
      resourcesOfType(json, 'AWS::ApiGateway::RestApi').map(([, r]) => [
        r.Properties.Name,
        r.Properties.EndpointConfiguration.Types,
      ]),
    );
    expect(apis).toEqual({ 'ztai-model-gateway': ['PRIVATE'], 'ztai-model-gateway-people': ['REGIONAL'] });
    const auth = resourcesOfType(json, 'AWS::ApiGateway::Method')
      .map(([, m]) => m.Properties.AuthorizationType)
      .sort();
    expect(auth).toEqual(['AWS_IAM', 'COGNITO_USER_POOLS']);
    // Both APIs are behind WAF, each with its own web ACL on its own stage; the private machine API
    // is reachable only through its VPC endpoint.
    expect(api.peopleGateway!.webAcl).toBeDefined();
    expect(api.machineGateway!.webAcl).toBeDefined();
    expect(api.machineGateway!.vpcEndpoint).toBeDefined();
    // Each association: its web ACL -> the stage it names (the last Ref of its ResourceArn).
    const associated = resourcesOfType(json, 'AWS::WAFv2::WebACLAssociation').map(([, a]) => {
      const refs = (a.Properties.ResourceArn['Fn::Join'][1] as any[]).filter((p) => p.Ref).map((p) => p.Ref);
      return `${a.Properties.WebACLArn['Fn::GetAtt'][0]} -> ${refs[refs.length - 1]}`;
    });
    const expected = [api.machineGateway!, api.peopleGateway!].map(
      (g) => `${api.getLogicalId(g.webAcl!.webAcl)} -> ${api.getLogicalId(g.stage.node.defaultChild as CfnElement)}`,
    );
    expect(associated.sort()).toEqual(expected.sort());
    expect(
      resourcesOfType(json, 'AWS::WAFv2::WebACL')
        .map(([, a]) => a.Properties.Name)
        .sort(),
    ).toEqual(['ztai-model-gateway-live', 'ztai-model-gateway-people-live']);
  });

  test("the machine API's per-IP rate limit admits what the highest usage plan admits; the people API keeps the configured one", () => {
    const limits = Object.fromEntries(
      resourcesOfType(json, 'AWS::WAFv2::WebACL').map(([, a]) => {
        const rule = a.Properties.Rules.find((r: any) => r.Name === 'RateLimitPerIp');
        return [a.Properties.Name, [rule.Statement.RateBasedStatement.Limit, rule.Action]];
      }),
    );
    // support-agent: 20 requests a second over WAF's 5-minute window is 6000; the configured limit is 1000.
    expect(DEFAULT_PLATFORM_CONFIG.api?.clients?.[0].rateLimit).toBe(20);
    expect(limits).toEqual({
      'ztai-model-gateway-live': [6000, { Block: {} }],
      'ztai-model-gateway-people-live': [1000, { Block: {} }],
    });
  });

  test('the integration roles invoke the workload endpoint by name, under the platform boundary', () => {
    const roles = resourcesOfType(json, 'AWS::IAM::Role').filter(([id]) => id.includes('IntegrationRole'));
    expect(roles).toHaveLength(2);
    for (const [, r] of roles) {
      expect(r.Properties.PermissionsBoundary).toBeDefined();
      expect(r.Properties.MaxSessionDuration).toBe(3600);
    }
    const integrationPolicies = resourcesOfType(json, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
      id.includes('IntegrationPolicy'),
    );
    expect(integrationPolicies).toHaveLength(2);
    for (const [, p] of integrationPolicies) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain(':endpoint/ztai-workload-fraud-scoring-endpoint');
    }
  });

  test('monitored workloads name each API and stage for the exposed model', () => {
    const monitored = api.monitoredWorkloads(DEFAULT_PLATFORM_CONFIG, new Map());
    expect(monitored.find((m) => m.name === 'fraud-scoring')!.api).toEqual({
      apiName: 'ztai-model-gateway',
      stage: 'live',
    });
    expect(monitored.find((m) => m.name === 'fraud-scoring-people')!.api).toEqual({
      apiName: 'ztai-model-gateway-people',
      stage: 'live',
    });
    expect(monitored.find((m) => m.name === 'support-agent')!.api).toBeUndefined();
  });

  test('every nag pack is clean across the app', () => {
    expect(describeFindings(nagFindings(app))).toBe('');
  });

  test('the Guard rules (cfn-guard) pass on the API template', () => {
    const assembly = app.synth();
    const file = path.join(assembly.directory, api.templateFile);
    expect(fs.existsSync(file)).toBe(true);
    expect([...(runCfnGuard([file]).get(path.basename(file)) ?? [])]).toEqual([]);
  });

  test('execution logging deploys: the account CloudWatch role (the trust API Gateway documents) and encrypted, retained execution-log groups', () => {
    const template = Template.fromJSON(json);
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const [account] = Object.values(template.findResources('AWS::ApiGateway::Account')) as any[];
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    // No aws:SourceAccount/aws:SourceArn: API Gateway does not document sending them for this role.
    expect(json.Resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const stages = template.findResources('AWS::ApiGateway::Stage');
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(stages).length).toBe(2);
    for (const [, stage] of Object.entries(stages) as [string, any][]) {
      const accountId = Object.keys(template.findResources('AWS::ApiGateway::Account'))[0];
      expect(stage.DependsOn).toContain(accountId);
      const executionLogs = stage.DependsOn.find((d: string) => d.includes('ExecutionLogs'));
      const group = groups[executionLogs];
      expect(JSON.stringify(group.Properties.LogGroupName)).toContain('API-Gateway-Execution-Logs_');
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBe(365);
      // Fixed name: retained, but removed when its own create rolls back, so a retry can recreate it.
      expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(group.UpdateReplacePolicy).toBe('Retain');
    }
  });

  test('usage plans: the support agent is a metered client of the machine API (its own plan and key); its IAM route requires the key', () => {
    const template = Template.fromJSON(json);
    expect(DEFAULT_PLATFORM_CONFIG.api?.clients?.map((c) => c.caller)).toEqual(['support-agent']);
    expect([...api.machineGateway!.usagePlans.keys()]).toEqual(['support-agent']);
    expect(api.peopleGateway!.usagePlans.size).toBe(0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'ztai-model-gateway-support-agent',
      Throttle: { RateLimit: 20, BurstLimit: 40 },
      Quota: { Limit: 500000, Period: 'DAY' },
      ApiStages: [
        Match.objectLike({
          ApiId: { Ref: Match.stringLikeRegexp('^ModelGateway') },
          Stage: { Ref: Match.stringLikeRegexp('^ModelGatewayDeploymentStagelive') },
        }),
      ],
    });
    template.hasResourceProperties('AWS::ApiGateway::ApiKey', { Name: 'ztai-model-gateway-support-agent' });
    // Its value comes from the secret ztai/api-clients/support-agent (resolved by CloudFormation at deploy).
    const [[secretId, secret]] = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    expect(secret.Properties.Name).toBe('ztai/api-clients/support-agent');
    const [[, apiKey]] = resourcesOfType(json, 'AWS::ApiGateway::ApiKey');
    expect(apiKey.Properties.Value).toEqual({
      'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:apiKey::}}']],
    });
    expect([...api.clientKeys.keys()]).toEqual(['support-agent']);
    const byAuth = Object.fromEntries(
      resourcesOfType(json, 'AWS::ApiGateway::Method').map(([, m]) => [
        m.Properties.AuthorizationType,
        m.Properties.ApiKeyRequired,
      ]),
    );
    expect(byAuth).toEqual({ AWS_IAM: true, COGNITO_USER_POOLS: false });
    expect(validateApiConfig(DEFAULT_PLATFORM_CONFIG)).toEqual([]);
  });

  test('negative control: without clients there is no usage plan and no key is required', () => {
    const app2 = newApp();
    const api2 = buildPlatform(app2, { ...DEFAULT_PLATFORM_CONFIG, api: { clients: [] } }).api!;
    const json2 = Template.fromStack(api2).toJSON();
    expect(resourcesOfType(json2, 'AWS::ApiGateway::UsagePlan')).toHaveLength(0);
    expect(resourcesOfType(json2, 'AWS::SecretsManager::Secret')).toHaveLength(0);
    expect(resourcesOfType(json2, 'AWS::ApiGateway::Method').every(([, m]) => !m.Properties.ApiKeyRequired)).toBe(true);
  });

  test('rotation from config: raising a client keyVersion regenerates its secret and replaces its API key (a new name)', () => {
    const clients = [{ ...DEFAULT_PLATFORM_CONFIG.api!.clients![0], keyVersion: 3 }];
    expect(validateApiConfig({ ...DEFAULT_PLATFORM_CONFIG, api: { clients } })).toEqual([]);
    const app2 = newApp();
    const api2 = buildPlatform(app2, { ...DEFAULT_PLATFORM_CONFIG, api: { clients } }).api!;
    const json2 = Template.fromStack(api2).toJSON();
    const [[secretId, secret]] = resourcesOfType(json2, 'AWS::SecretsManager::Secret');
    expect(secret.Properties.Name).toBe('ztai/api-clients/support-agent');
    expect(secret.Properties.GenerateSecretString.SecretStringTemplate).toBe('{"keyVersion":3}');
    const [[, apiKey]] = resourcesOfType(json2, 'AWS::ApiGateway::ApiKey');
    expect(apiKey.Properties.Name).toBe('ztai-model-gateway-support-agent-v3');
    expect(JSON.stringify(apiKey.Properties.Value)).toContain(secretId);
    // The secret keeps its logical id (and so its name and ARN): only its value is regenerated.
    expect(secretId).toBe(resourcesOfType(json, 'AWS::SecretsManager::Secret')[0][0]);
  });

  test('route roles live under the platform route role path', () => {
    const roles = resourcesOfType(json, 'AWS::IAM::Role').filter(([id]) => id.includes('IntegrationRole'));
    expect(roles.map(([, r]) => r.Properties.Path)).toEqual(['/ztai/api-route/', '/ztai/api-route/']);
  });

  test('no API stack when nothing is routed', () => {
    const app2 = newApp();
    const config = {
      ...DEFAULT_PLATFORM_CONFIG,
      workloads: DEFAULT_PLATFORM_CONFIG.workloads.filter((w) => w.kind === 'batch'),
    };
    const built = buildPlatform(app2, config);
    expect(built.api).toBeUndefined();
    // Still, nothing but a route role may invoke a model endpoint.
    const boundary = Template.fromStack(built.platform).toJSON().Resources;
    const statements = Object.values(boundary as Record<string, any>)
      .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement);
    expect(statements.find((st: any) => st.Sid === 'OnlyApiRoutesInvokeModels')).toBeDefined();
  });
});
