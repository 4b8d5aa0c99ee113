import { Stack } from 'aws-cdk-lib';
import { generatedConfig } from '../../bench/generated-config';
import { API_SHARD_BUDGET, apiShards, resolveApiConfig } from '../../lib/api-stack';
import { MONITORED_WORKLOADS_PER_STACK, monitoringShards } from '../../lib/audit-stack';
import { PlatformConfig } from '../../lib/config/platform-config';
import { validatePlatformConfig } from '../../lib/config/validate-config';
import { buildPlatform, Platform } from '../../lib/platform-app';
import { newApp, resourcesOfType } from '../helpers/stacks';

/**
 * The sharding of what grows with the workloads (issue #13): API routes over `<platform>-api-<n>` stacks,
 * per-workload alarms and dashboards over `<platform>-monitoring-<n>`, image repositories over
 * `<platform>-images-<n>`. A small generated platform is sharded with lowered budgets (fast); the 300-workload
 * platform is measured by `npm run bench` and synthesized with `npx cdk synth -c config=…`.
 */

const validated = (count: number, extra: Record<string, unknown> = {}): PlatformConfig =>
  validatePlatformConfig(generatedConfig(count, extra), `generated (${count})`, { referenceWorkloads: false });

/** An API stack budget that holds `routes` exposed workloads. */
const apiBudgetFor = (routes: number) => ({
  ...API_SHARD_BUDGET,
  stackResources: API_SHARD_BUDGET.fixedResources + routes * API_SHARD_BUDGET.resourcesPerWorkload,
});

describe('apiShards: the exposed workloads packed into API stacks', () => {
  const config = validated(300);
  const api = resolveApiConfig(config.api);
  const shards = apiShards(config, api);
  const models = config.workloads.filter((w) => w.kind === 'realtime-inference').map((w) => w.name);

  test('every exposed model is routed by exactly one API stack, in config order', () => {
    expect(shards.flat()).toEqual(models);
  });

  test('no API stack goes over its resource budget (400 of CloudFormation’s 500)', () => {
    const b = API_SHARD_BUDGET;
    for (const shard of shards) {
      expect(b.fixedResources + shard.length * b.resourcesPerWorkload).toBeLessThanOrEqual(b.stackResources);
    }
    // The resource-policy budget binds first here (each route names its caller's role twice): more, smaller shards.
    expect(shards.length).toBeGreaterThanOrEqual(
      Math.ceil(models.length / Math.floor((b.stackResources - b.fixedResources) / b.resourcesPerWorkload)),
    );
  });

  test('appending workloads never moves a route to another API', () => {
    const more = apiShards(validated(330), api);
    expect(more.slice(0, shards.length - 1)).toEqual(shards.slice(0, -1));
    expect(more[shards.length - 1].slice(0, shards[shards.length - 1].length)).toEqual(shards[shards.length - 1]);
  });

  test('a lowered budget shards a small platform: two routes a stack', () => {
    expect(apiShards(validated(12), api, apiBudgetFor(2))).toEqual([
      ['model-001', 'model-004'],
      ['model-007', 'model-010'],
    ]);
  });

  test('the resource-policy budget splits too: a route with many callers fills an API sooner', () => {
    // model-001 is invoked by every agent; with 100 agents its route alone needs 100 role ARNs in the policy.
    const base = validated(300);
    const crowded: PlatformConfig = {
      ...base,
      workloads: base.workloads.map((w) => (w.kind === 'agent' ? { ...w, invokes: ['model-001'] } : w)),
    };
    expect(() => apiShards(crowded, api)).toThrow(/workload 'model-001' has 100 declared callers .* split its callers/);
    // 30 more agents also call model-001: its route's policy fills most of an API's 8,192 characters.
    const some: PlatformConfig = {
      ...base,
      workloads: base.workloads.map((w, i) =>
        w.kind === 'agent' && i < 90 ? { ...w, invokes: [...(w.invokes ?? []), 'model-001'] } : w,
      ),
    };
    const split = apiShards(some, api);
    expect(split.flat()).toEqual(models);
    expect(split[0][0]).toBe('model-001');
    expect(split[0].length).toBeLessThan(shards[0].length);
  });
});

describe('monitoringShards: per-workload alarms and dashboards spread over stacks', () => {
  test(`at most ${MONITORED_WORKLOADS_PER_STACK} workloads a stack, each with its people-API entry`, () => {
    const config = validated(300);
    const monitored = config.workloads.flatMap((w) =>
      w.kind === 'realtime-inference' ? [{ name: w.name }, { name: `${w.name}-people` }] : [{ name: w.name }],
    );
    const shards = monitoringShards(config, monitored);
    expect(shards).toHaveLength(6);
    for (const shard of shards) {
      expect(shard.filter((m) => !m.name.endsWith('-people')).length).toBeLessThanOrEqual(
        MONITORED_WORKLOADS_PER_STACK,
      );
      for (const m of shard.filter((e) => e.name.endsWith('-people'))) {
        expect(shard.map((e) => e.name)).toContain(m.name.replace(/-people$/, ''));
      }
    }
    expect(
      shards
        .flat()
        .map((m) => m.name)
        .sort(),
    ).toEqual(monitored.map((m) => m.name).sort());
  });
});

describe('a small platform sharded with lowered budgets (buildPlatform)', () => {
  let platform: Platform;
  let templates: Map<string, { Resources: Record<string, any>; Outputs?: Record<string, unknown> }>;

  beforeAll(() => {
    const app = newApp();
    platform = buildPlatform(app, validated(12), {
      api: apiBudgetFor(2),
      monitoredWorkloadsPerStack: 5,
      imageRepositoriesPerStack: 3,
    });
    const assembly = app.synth();
    templates = new Map(assembly.stacks.map((s) => [s.stackName, s.template]));
  });

  const ofType = (stack: string, type: string) => resourcesOfType(templates.get(stack)!, type);

  test('the sharded stacks exist, named by their shard', () => {
    expect([...templates.keys()].filter((n) => /-(api|monitoring|images)(-\d+)?$/.test(n)).sort()).toEqual([
      'ztai-api',
      'ztai-api-2',
      'ztai-images-2',
      'ztai-images-3',
      'ztai-monitoring-2',
      'ztai-monitoring-3',
    ]);
    expect(platform.apis.map((a) => a.stackName)).toEqual(['ztai-api', 'ztai-api-2']);
    expect(platform.monitoring.map((m) => m.stackName)).toEqual(['ztai-monitoring-2', 'ztai-monitoring-3']);
  });

  test('each model is routed on one API stack only, on both its APIs, and only there', () => {
    const routes = (stack: string) =>
      ofType(stack, 'AWS::ApiGateway::Resource')
        .map(([, r]) => r.Properties.PathPart)
        .filter((p: string) => /^model-/.test(p))
        .sort();
    // Machine and people API: each route twice in its own stack.
    expect(routes('ztai-api')).toEqual(['model-001', 'model-001', 'model-004', 'model-004']);
    expect(routes('ztai-api-2')).toEqual(['model-007', 'model-007', 'model-010', 'model-010']);
    const names = ofType('ztai-api-2', 'AWS::ApiGateway::RestApi')
      .map(([, r]) => r.Properties.Name)
      .sort();
    expect(names).toEqual(['ztai-model-gateway-2', 'ztai-model-gateway-people-2']);
  });

  test('a further API shard reuses the first stack’s user pool and account logging, and deploys after it', () => {
    expect(ofType('ztai-api-2', 'AWS::Cognito::UserPool')).toEqual([]);
    expect(ofType('ztai-api-2', 'AWS::ApiGateway::Account')).toEqual([]);
    expect(ofType('ztai-api', 'AWS::Cognito::UserPool')).toHaveLength(1);
    expect(platform.apis[1].dependencies.map((s) => s.stackName)).toContain('ztai-api');
  });

  test('each workload is watched by one dashboard, every dashboard within CloudWatch’s 500 widgets', () => {
    const dashboards = [platform.audit, ...platform.monitoring].flatMap((s) =>
      ofType(s.stackName, 'AWS::CloudWatch::Dashboard').map(([, d]) => [s.stackName, d.Properties.DashboardName]),
    );
    expect(dashboards).toEqual([
      ['ztai-audit', 'ztai-operations'],
      ['ztai-monitoring-2', 'ztai-operations-2'],
      ['ztai-monitoring-3', 'ztai-operations-3'],
    ]);
    const widgets = [
      platform.audit.operationalMonitoring,
      ...platform.monitoring.map((m) => m.operationalMonitoring),
    ].map((m) => m.dashboardWidgetCounts());
    for (const [count] of widgets) expect(count).toBeGreaterThan(0);
    for (const [count] of widgets) expect(count).toBeLessThanOrEqual(500);
    // Alarms name their workload: each workload's in one stack only.
    const alarmStacks = (workload: string) =>
      [platform.audit, ...platform.monitoring]
        .filter((s) =>
          ofType(s.stackName, 'AWS::CloudWatch::Alarm').some(([, a]) =>
            JSON.stringify(a.Properties.AlarmName ?? '').includes(workload),
          ),
        )
        .map((s) => s.stackName);
    expect(alarmStacks('model-001')).toEqual(['ztai-audit']);
    expect(alarmStacks('model-007')).toEqual(['ztai-monitoring-2']);
    expect(alarmStacks('model-010')).toEqual(['ztai-monitoring-2']);
    expect(alarmStacks('train-011')).toEqual(['ztai-monitoring-3']);
  });

  test('image repositories fill the platform stack, then images stacks, three each', () => {
    const repositories = (stack: string) =>
      ofType(stack, 'AWS::ECR::Repository').map(([, r]) => r.Properties.RepositoryName);
    expect(repositories('ztai-platform')).toEqual([
      'ztai-platform/model-001',
      'ztai-platform/train-002',
      'ztai-platform/model-004',
    ]);
    expect(repositories('ztai-images-2')).toEqual([
      'ztai-platform/train-005',
      'ztai-platform/model-007',
      'ztai-platform/train-008',
    ]);
    expect(repositories('ztai-images-3')).toEqual(['ztai-platform/model-010', 'ztai-platform/train-011']);
    expect(Stack.of(platform.computes.get('train-011')!.repository!).stackName).toBe('ztai-images-3');
  });

  test('nothing shared grows per workload: one rule on the endpoints’ group; bucket policies name no workload', () => {
    const ingress = [...templates.values()].flatMap((t) => resourcesOfType(t, 'AWS::EC2::SecurityGroupIngress'));
    const endpoints = ingress.filter(([, r]) =>
      JSON.stringify(r.Properties.GroupId).includes('NetworkEndpointsSecurityGroup'),
    );
    expect(endpoints).toHaveLength(1);
    const policies = ofType('ztai-platform', 'AWS::S3::BucketPolicy').map(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument),
    );
    for (const policy of policies) expect(policy).not.toMatch(/ztai-workload-(model|train|agent)-\d/);
  });
});
