/**
 * The service quotas a platform's size meets that a synth does not show: a template within
 * CloudFormation's limits still fails to deploy, or to work, when a security group has more rules
 * than EC2 allows, an API more resources than API Gateway allows, or the account fewer SageMaker
 * endpoints or instances than the workloads need. Each check is a pure function of the validated
 * configuration, derived from the same budgets the stacks are packed to; a hard limit exceeded is a
 * problem (the config fails validation), an adjustable default exceeded is a warning, and a quota
 * whose default varies by account is a note of what the platform needs. Each names the number and
 * the quota.
 */

/** A service quota: its name as Service Quotas and the service's documentation give it. */
export interface Quota {
  readonly service: string;
  readonly name: string;
  /** The default value (a hard limit when not adjustable); absent when it varies by account and Region. */
  readonly value?: number;
  readonly adjustable: boolean;
  readonly scope: string;
  /** Where the quota is documented. */
  readonly url: string;
}

export const QUOTAS = {
  securityGroupInboundRules: {
    service: 'Amazon VPC',
    name: 'Inbound or outbound rules per security group',
    value: 60,
    adjustable: true,
    scope: 'per security group',
    url: 'https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups',
  },
  apiGatewayResourcesPerApi: {
    service: 'API Gateway',
    name: 'Resources per API',
    value: 300,
    adjustable: true,
    scope: 'per REST API',
    url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html',
  },
  stackOutputs: {
    service: 'CloudFormation',
    name: 'Outputs per stack',
    value: 200,
    adjustable: false,
    scope: 'per stack',
    url: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html',
  },
  stackResources: {
    service: 'CloudFormation',
    name: 'Resources per stack',
    value: 500,
    adjustable: false,
    scope: 'per stack',
    url: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html',
  },
  sagemakerEndpoints: {
    service: 'SageMaker',
    name: 'Maximum number of endpoints',
    adjustable: true,
    scope: 'per account and Region',
    url: 'https://docs.aws.amazon.com/general/latest/gr/sagemaker.html',
  },
  sagemakerEndpointInstances: {
    service: 'SageMaker',
    name: '<instance type> for endpoint usage',
    adjustable: true,
    scope: 'per account and Region, per instance type',
    url: 'https://docs.aws.amazon.com/general/latest/gr/sagemaker.html',
  },
} as const satisfies Record<string, Quota>;

/**
 * The budgets one API stack is packed to (`apiShards` in lib/api-stack.ts). CloudFormation allows 500
 * resources a stack (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html),
 * API Gateway 8,192 characters of resource policy and 300 resources per REST API
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
 * The platform keeps every stack under 400 resources for headroom.
 */
export const API_SHARD_BUDGET = {
  /** Resources of one API stack. */
  stackResources: 400,
  /** What one API stack has whatever its routes: two APIs, stages, deployments, WAF, logs, user pool, client keys. */
  fixedResources: 60,
  /** Per exposed workload: two routes (machine and people), each a role, a policy, a model, a method and two API resources. */
  resourcesPerWorkload: 12,
  /** Characters of an API's resource policy (quota, adjustable). */
  resourcePolicyChars: 8192,
  /** The statements every machine API's policy has whatever its routes (the VPC endpoint deny), with margin. */
  fixedPolicyChars: 700,
  /**
   * Per machine route: its allow and deny statements as API Gateway stores them (the resource expanded to
   * the full execute-api ARN), without the callers' ARNs.
   */
  policyCharsPerRoute: 560,
  /** Per caller of a route: its role ARN twice (allow principal, deny condition), quoted, 12-digit account. */
  policyCharsPerCallerArn: 2 * 4,
} as const;

/** A budget for `apiShards`: `API_SHARD_BUDGET`, or a lowered one (tests shard a small platform). */
export type ApiShardBudget = { readonly [K in keyof typeof API_SHARD_BUDGET]: number };

/**
 * Image repositories per stack: the platform stack holds the first this many, each further
 * `<platform>-images-<n>` stack as many (lib/workloads/compute.ts).
 */
export const IMAGE_REPOSITORIES_PER_STACK = 50;

/**
 * The platform stack's outputs whatever its repositories (network, keys, buckets, boundary, models
 * gate and the prefix-list lookup that other stacks reference), with margin: 17 measured.
 */
const PLATFORM_STACK_FIXED_OUTPUTS = 25;
/** Outputs per image repository a workload stack references (its ARN and name). */
const OUTPUTS_PER_REPOSITORY = 2;

/** Inbound rules on the interface endpoints' security group: the workload tier's one (constructs/network). */
const ENDPOINTS_SECURITY_GROUP_INBOUND_RULES = 1;

/** The budgets the stacks are packed to: the defaults, or lowered ones (tests shard a small platform). */
export interface ScaleBudgets {
  /** @default API_SHARD_BUDGET */
  readonly api?: ApiShardBudget;
  /** @default IMAGE_REPOSITORIES_PER_STACK */
  readonly imageRepositoriesPerStack?: number;
  /** Monitored workloads per audit or monitoring stack. @default MONITORED_WORKLOADS_PER_STACK (lib/audit-stack.ts) */
  readonly monitoredWorkloadsPerStack?: number;
}

/** A problem as the validator's rules report it (`Problem` of ./rules.ts, which imports this module). */
export interface QuotaProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** How much of one quota the configured platform uses, at most. */
export interface QuotaUse {
  readonly quota: Quota;
  /** The quota's name for this use (an instance type's quota names the type). */
  readonly name: string;
  /** What uses it: a stack, a security group, an API, the account. */
  readonly where: string;
  readonly used: number;
}

/** The slice of the validated configuration the quota checks read. */
interface QuotaConfig {
  readonly platformName?: unknown;
  readonly workloads?: unknown;
  readonly api?: unknown;
}

interface WorkloadShape {
  readonly name: string;
  readonly kind: string;
  readonly instanceType?: string;
  readonly invokes?: readonly string[];
  readonly compute?: { readonly imageUri?: string; readonly minInstances?: number; readonly maxInstances?: number };
}

/** The defaults of a real-time endpoint's instance counts (GpuModelEndpoint: 2, and twice the minimum). */
const ENDPOINT_MIN_INSTANCES = 2;

/** Every quota use the configuration implies, each at its largest (the SageMaker instance types, most used first). */
export function quotaUsage(config: QuotaConfig, budgets: ScaleBudgets = {}): QuotaUse[] {
  const perStack = budgets.imageRepositoriesPerStack ?? IMAGE_REPOSITORIES_PER_STACK;
  const platform = typeof config.platformName === 'string' ? config.platformName : 'ztai';
  const workloads = (Array.isArray(config.workloads) ? config.workloads : []).filter(
    (w): w is WorkloadShape => typeof w === 'object' && w !== null && typeof w.name === 'string',
  );
  const api = (typeof config.api === 'object' && config.api !== null ? config.api : {}) as {
    people?: unknown;
    expose?: unknown;
  };
  const realtime = workloads.filter((w) => w.kind === 'realtime-inference');
  const exposed = Array.isArray(api.expose)
    ? realtime.filter((w) => (api.expose as unknown[]).includes(w.name))
    : realtime;
  const people = api.people !== false;
  const routed = exposed.filter((w) => people || workloads.some((c) => c.invokes?.includes(w.name)));
  const b = budgets.api ?? API_SHARD_BUDGET;
  const routesPerApi = Math.min(
    routed.length,
    Math.floor((b.stackResources - b.fixedResources) / b.resourcesPerWorkload),
  );
  // Platform repositories: real-time workloads without an imageUri, and every batch workload (lib/workloads/compute.ts).
  const repositories = workloads.filter(
    (w) => w.kind === 'batch' || (w.kind === 'realtime-inference' && !w.compute?.imageUri),
  ).length;

  const uses: QuotaUse[] = [
    {
      quota: QUOTAS.securityGroupInboundRules,
      name: QUOTAS.securityGroupInboundRules.name,
      where: `the interface endpoints' security group of ${platform}-platform (one rule from the workload tier, whatever the workloads)`,
      used: ENDPOINTS_SECURITY_GROUP_INBOUND_RULES,
    },
    {
      quota: QUOTAS.stackOutputs,
      name: QUOTAS.stackOutputs.name,
      where: `${platform}-platform (its image repositories, ${Math.min(repositories, perStack)} of ${repositories}, are referenced by workload stacks)`,
      used: PLATFORM_STACK_FIXED_OUTPUTS + OUTPUTS_PER_REPOSITORY * Math.min(repositories, perStack),
    },
  ];
  if (routesPerApi > 0) {
    uses.push({
      quota: QUOTAS.apiGatewayResourcesPerApi,
      name: QUOTAS.apiGatewayResourcesPerApi.name,
      where: `the largest model gateway API (${routesPerApi} routes /v1/<workload>/invoke; ${routed.length} routed workloads over API shards)`,
      // The root, /v1, and two resources per route.
      used: 2 + 2 * routesPerApi,
    });
  }
  if (realtime.length > 0) {
    uses.push({
      quota: QUOTAS.sagemakerEndpoints,
      name: QUOTAS.sagemakerEndpoints.name,
      where: `the account: one endpoint per realtime-inference workload`,
      used: realtime.length,
    });
    const byType = new Map<string, number>();
    for (const w of realtime) {
      const min = w.compute?.minInstances ?? ENDPOINT_MIN_INSTANCES;
      const max = w.compute?.maxInstances ?? 2 * min;
      const type = w.instanceType ?? 'unknown';
      byType.set(type, (byType.get(type) ?? 0) + max);
    }
    for (const [type, used] of [...byType.entries()].sort((x, y) => y[1] - x[1])) {
      uses.push({
        quota: QUOTAS.sagemakerEndpointInstances,
        name: `${type} for endpoint usage`,
        where: `the account: real-time endpoints on ${type} at their maximum instance counts`,
        used,
      });
    }
  }
  return uses;
}

const describe = (u: QuotaUse): string =>
  `${u.where}: ${u.used} against the ${u.quota.service} quota '${u.name}'` +
  (u.quota.value !== undefined
    ? ` (${u.quota.adjustable ? 'default' : 'hard limit'} ${u.quota.value} ${u.quota.scope})`
    : ` (${u.quota.scope}; the default varies by account)`) +
  ` ${u.quota.url}`;

/** Hard limits the configuration exceeds: the config fails validation (lib/config/rules.ts). */
export function quotaProblems(config: QuotaConfig, budgets: ScaleBudgets = {}): QuotaProblem[] {
  return quotaUsage(config, budgets)
    .filter((u) => !u.quota.adjustable && u.quota.value !== undefined && u.used > u.quota.value)
    .map((u) => ({ path: ['workloads'], message: `exceeds a limit: ${describe(u)}` }));
}

/** Adjustable quotas whose default the configuration exceeds: deployable only after an increase. */
export function quotaWarnings(config: QuotaConfig, budgets: ScaleBudgets = {}): string[] {
  return quotaUsage(config, budgets)
    .filter((u) => u.quota.adjustable && u.quota.value !== undefined && u.used > u.quota.value)
    .map((u) => `request a quota increase before deploying: ${describe(u)}`);
}

/** Quotas whose default varies by account (SageMaker): what the platform needs, to check before deploying. */
export function quotaNotes(config: QuotaConfig, budgets: ScaleBudgets = {}): string[] {
  return quotaUsage(config, budgets)
    .filter((u) => u.quota.value === undefined)
    .map((u) => `check the account's quota before deploying (Service Quotas): ${describe(u)}`);
}
