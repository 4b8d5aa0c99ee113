import { generatedConfig } from '../../bench/generated-config';
import {
  API_SHARD_BUDGET,
  QUOTAS,
  quotaNotes,
  quotaProblems,
  quotaUsage,
  quotaWarnings,
} from '../../lib/config/quotas';
import { validatePlatformConfig } from '../../lib/config/validate-config';

/** A generated platform of `count` workloads, validated as a config file would be. */
const validated = (count: number, extra: Record<string, unknown> = {}) =>
  validatePlatformConfig(generatedConfig(count, extra), `generated (${count})`, { referenceWorkloads: false });

describe('the quotas a synth does not show (lib/config/quotas.ts)', () => {
  const config = validated(300);
  const usage = quotaUsage(config);
  const use = (name: string) => usage.find((u) => u.name === name);

  test('300 generated workloads pass validation: every hard limit and every adjustable default holds', () => {
    expect(quotaProblems(config)).toEqual([]);
    expect(quotaWarnings(config)).toEqual([]);
  });

  test('the endpoints’ security group holds one inbound rule whatever the number of workloads', () => {
    for (const n of [1, 30, 300]) {
      expect(quotaUsage(validated(n)).find((u) => u.quota === QUOTAS.securityGroupInboundRules)?.used).toBe(1);
    }
  });

  test('the largest API holds the routes one API stack is packed to, within API Gateway’s 300 resources', () => {
    const perApi = Math.floor(
      (API_SHARD_BUDGET.stackResources - API_SHARD_BUDGET.fixedResources) / API_SHARD_BUDGET.resourcesPerWorkload,
    );
    expect(use('Resources per API')).toMatchObject({ used: 2 + 2 * perApi });
    expect(use('Resources per API')!.used).toBeLessThanOrEqual(QUOTAS.apiGatewayResourcesPerApi.value);
    // Few routes: the API holds what it routes.
    expect(quotaUsage(validated(3)).find((u) => u.name === 'Resources per API')?.used).toBe(4);
  });

  test('the platform stack’s outputs stay bounded by the repositories it holds, not the workloads', () => {
    const outputs = (n: number) => quotaUsage(validated(n)).find((u) => u.quota === QUOTAS.stackOutputs)!.used;
    expect(outputs(300)).toBe(outputs(150));
    expect(outputs(300)).toBeLessThanOrEqual(QUOTAS.stackOutputs.value);
  });

  test('SageMaker quotas vary by account: what the platform needs is noted, with the number and the quota', () => {
    const notes = quotaNotes(config).join('\n');
    expect(notes).toMatch(/100 against the SageMaker quota 'Maximum number of endpoints'/);
    // 100 models over three instance types, each at most 4 instances (default minimum 2, maximum twice that).
    expect(notes).toMatch(/136 against the SageMaker quota 'ml\.g5\.xlarge for endpoint usage'/);
    expect(notes).toMatch(/132 against the SageMaker quota 'ml\.g6\.2xlarge for endpoint usage'/);
    expect(
      quotaNotes(validated(1, { workloads: [{ name: 'train', kind: 'batch', instanceType: 'g5.2xlarge' }] })),
    ).toEqual([]);
  });

  test('a hard limit exceeded fails validation, naming the number and the quota', () => {
    // Negative control: more repositories per stack than the default budget puts the platform stack over 200 outputs.
    const problems = quotaProblems(config, { imageRepositoriesPerStack: 100 });
    expect(problems).toEqual([
      {
        path: ['workloads'],
        message: expect.stringMatching(
          /ztai-platform .*: 225 against the CloudFormation quota 'Outputs per stack' \(hard limit 200 per stack\)/,
        ),
      },
    ]);
  });

  test('an adjustable default exceeded warns, naming the number and the quota', () => {
    // Negative control: an API stack budget large enough for 161 routes (of 200 models) needs 324 API resources.
    const warnings = quotaWarnings(validated(600), { api: { ...API_SHARD_BUDGET, stackResources: 2000 } });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^request a quota increase before deploying: the largest model gateway API .*: 324 against the API Gateway quota 'Resources per API' \(default 300 per REST API\)/,
      ),
    ]);
  });
});
