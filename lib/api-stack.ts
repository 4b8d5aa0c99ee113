import { Aws, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  ApiClient,
  ApiClientKey,
  ApiGatewayAccountLogging,
  ApiEndpointAccess,
  ApiUserPool,
  ModelGatewayApi,
  ModelRoute,
  RouteAuthorization,
} from '../constructs/api';
import { MonitoredWorkload } from '../constructs/audit';
import {
  apiClientSecretName,
  apiGatewayName,
  apiRouteRolePath,
  peopleMonitoredWorkloadName,
  roleArnFromName,
  SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES,
  workloadRoleName,
} from './config/names';
import { ApiConfig, PlatformConfig } from './config/platform-config';
import { API_SHARD_BUDGET, ApiShardBudget } from './config/quotas';
import { DEFAULT_API_CONFIG } from './config/validate-config';
import { PlatformValidationError } from '../constructs/private/validation';
import type { PlatformStack } from './platform-stack';
import type { WorkloadCompute } from './workloads/compute';
import type { WorkloadStack } from './workload-stack';

// The `api` section's type, defaults and validation live with the config (lib/config); re-exported for existing importers.
export type { ApiClientConfig, ApiConfig } from './config/platform-config';
export { MAX_PROMPT_CHARS } from './config/platform-config';
export { DEFAULT_API_CONFIG, resolveApiConfig, validateApiConfig } from './config/validate-config';

/** The evaluation window of the web ACLs' per-IP rate rule (ApiWebAcl's default), seconds. */
const WAF_RATE_WINDOW_SECONDS = 300;

/** What `addApiStacks` builds on: the platform stack, and each workload's stack and compute, by name. */
export interface BuiltWorkloads {
  readonly platform: PlatformStack;
  readonly workloads: ReadonlyMap<string, WorkloadStack>;
  readonly computes: ReadonlyMap<string, WorkloadCompute>;
}

export interface ApiStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly platform: PlatformStack;
  readonly workloads: ReadonlyMap<string, WorkloadStack>;
  readonly computes: ReadonlyMap<string, WorkloadCompute>;
  /** @default DEFAULT_API_CONFIG */
  readonly api?: ApiConfig;
  /**
   * The exposed workloads this stack routes: one shard of them (`apiShards`).
   * @default - every exposed workload
   */
  readonly routedWorkloads?: readonly string[];
  /**
   * The first API stack, when this one is a further shard: it holds what the account and the platform
   * have once (API Gateway's CloudWatch role, the people user pool, each client's key); this stack's APIs
   * are named `<api name>-<shard>`.
   * @default - this is the first (or only) API stack
   */
  readonly primary?: ApiStack;
  /** The shard's number, from 1 (the first stack). @default 1 */
  readonly shard?: number;
}

/**
 * The API front door of the reference platform. Every exposed realtime-inference workload gets
 * `POST /v1/<workload>/invoke` on two APIs:
 *
 * - the machine API (`<platform>-model-gateway`), for the workloads that declare they invoke it
 *   (IAM, admitted by role in the resource policy); private by default, so agents in the VPC reach
 *   it through the execute-api interface endpoint with no internet path, and behind WAF like the
 *   people API (per-IP rate limit, body size limit, managed rule groups);
 * - the people API (`<platform>-model-gateway-people`), regional behind WAF, with a Cognito user
 *   pool authorizer (MFA, threat protection).
 *
 * A REST API has one endpoint type, so the two audiences get one API each. Deploys after the
 * platform and workload stacks; they never reference it.
 */
export class ApiStack extends Stack {
  /** The API of declared machine callers (absent when no workload invokes an exposed model). */
  public readonly machineGateway?: ModelGatewayApi;
  /** The API of people (absent when `people` is off). */
  public readonly peopleGateway?: ModelGatewayApi;
  public readonly userPool?: ApiUserPool;
  /** Each API client's key (secret `<platformName>/api-clients/<caller>`), by caller. */
  public readonly clientKeys: ReadonlyMap<string, ApiClientKey> = new Map();
  /** The exposed workloads. */
  public readonly exposed: readonly string[];

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, platform, workloads, computes } = props;
    const api = props.api ?? DEFAULT_API_CONFIG;
    const primary = props.primary;
    const shard = props.shard ?? 1;
    this.addStackDependency(platform, 'logs key, network');
    // Execution logging needs the account's API Gateway CloudWatch role (one per account and region):
    // the first API stack sets it, and further shards deploy after it.
    const accountLogging = primary ? undefined : new ApiGatewayAccountLogging(this, 'AccountLogging');
    if (primary) this.addStackDependency(primary, 'account logging role, user pool, client keys');

    this.exposed = [...(props.routedWorkloads ?? exposedWorkloads(config, api))];
    const exposedHere = new Set(this.exposed);
    for (const [name, stack] of workloads) {
      const calls = config.workloads.find((w) => w.name === name)?.invokes?.some((m) => exposedHere.has(m));
      if (!primary || exposedHere.has(name) || calls) {
        this.addStackDependency(stack, 'caller roles, model endpoints');
      }
    }
    const nameOf = (people: boolean) =>
      shard === 1
        ? apiGatewayName(config.platformName, people)
        : `${apiGatewayName(config.platformName, people)}-${shard}`;
    const machineRoutes: ModelRoute[] = [];
    const peopleRoutes: ModelRoute[] = [];
    for (const name of this.exposed) {
      const endpoint = computes.get(name)?.endpoint;
      if (!endpoint) throw new Error(`ApiStack: workload '${name}' has no SageMaker endpoint`);
      const callers = config.workloads.filter((w) => w.invokes?.includes(name)).map((w) => workloads.get(w.name)!);
      if (callers.length > 0) {
        machineRoutes.push({
          workload: name,
          endpoint,
          authorization: RouteAuthorization.iam(...callers.map((c) => c.identity.role)),
        });
      }
      if (api.people) peopleRoutes.push({ workload: name, endpoint, authorization: RouteAuthorization.userPool() });
    }
    const shared = {
      stageName: api.stageName,
      routeRolePath: apiRouteRolePath(config.platformName),
      logEncryptionKey: platform.keys.logs.key,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      throttle: api.throttle,
      maxPromptChars: api.maxPromptChars,
      webAcl: { rateLimitPerIp: api.rateLimitPerIp, logRetention: config.logRetentionDays as logs.RetentionDays },
    };

    if (machineRoutes.length > 0 && primary) {
      // A further shard: each client calling a route here is metered with its key of the first stack (a
      // key may be in up to 10 usage plans), so it keeps one key and one secret.
      this.clientKeys = primary.clientKeys;
      const callersHere = new Set(
        config.workloads.filter((w) => w.invokes?.some((m) => exposedHere.has(m))).map((w) => w.name),
      );
      const clients: ApiClient[] = api.clients
        .filter((c) => callersHere.has(c.caller))
        .map((c) => {
          const existing = primary.machineGateway?.usagePlans.get(c.caller)?.key;
          if (!existing) {
            throw new PlatformValidationError(
              this,
              `api.clients: caller '${c.caller}' calls models routed in API shard ${shard} only; its key is made by the first API ` +
                `stack, which has no machine route (declare it as a caller of a model in the first ${primary.exposed.length} exposed workloads)`,
            );
          }
          return {
            name: c.caller,
            throttle: { rateLimit: c.rateLimit, burstLimit: c.burstLimit },
            quota: { limit: c.quotaLimit, period: c.quotaPeriod as apigateway.Period },
            existingApiKey: existing,
          };
        });
      this.machineGateway = new ModelGatewayApi(this, 'ModelGateway', {
        ...shared,
        webAcl: { ...shared.webAcl, rateLimitPerIp: machineRateLimitPerIp(api) },
        restApiName: nameOf(false),
        routes: machineRoutes,
        endpointAccess:
          api.machineEndpointType === 'private'
            ? ApiEndpointAccess.privateIn(platform.network)
            : ApiEndpointAccess.regional(),
        clients,
      });
    } else if (machineRoutes.length > 0) {
      // Each client's API key comes from a secret only its role (and the deployment) may read, encrypted
      // with the platform's data key; the caller's stack grants its role read access by the secret's name.
      // The caller's role ARN from its name (no reference to its stack): agents and batch workloads
      // are under the path '/', real-time (SageMaker) workloads under their execution-role path.
      const callerRoleArn = (caller: string) => {
        const kind = config.workloads.find((w) => w.name === caller)?.kind;
        const path = kind === 'realtime-inference' ? SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES : '/';
        return roleArnFromName(Aws.PARTITION, Aws.ACCOUNT_ID, path, workloadRoleName(config.platformName, caller));
      };
      this.clientKeys = new Map(
        api.clients.map((c) => [
          c.caller,
          new ApiClientKey(this, `ClientKey-${c.caller}`, {
            secretName: apiClientSecretName(config.platformName, c.caller),
            encryptionKey: platform.keys.data.key,
            clientRoles: [
              iam.Role.fromRoleArn(this, `ClientRole-${c.caller}`, callerRoleArn(c.caller), { mutable: false }),
            ],
            keyVersion: c.keyVersion,
            description: `API key (x-api-key) of ${c.caller} on ${config.platformName}-model-gateway, version ${c.keyVersion ?? 1}`,
          }),
        ]),
      );
      const clients: ApiClient[] = api.clients.map((c) => ({
        name: c.caller,
        throttle: { rateLimit: c.rateLimit, burstLimit: c.burstLimit },
        quota: { limit: c.quotaLimit, period: c.quotaPeriod as apigateway.Period },
        key: this.clientKeys.get(c.caller),
      }));
      this.machineGateway = new ModelGatewayApi(this, 'ModelGateway', {
        ...shared,
        webAcl: { ...shared.webAcl, rateLimitPerIp: machineRateLimitPerIp(api) },
        restApiName: nameOf(false),
        routes: machineRoutes,
        endpointAccess:
          api.machineEndpointType === 'private'
            ? ApiEndpointAccess.privateIn(platform.network)
            : ApiEndpointAccess.regional(),
        clients,
      });
    }
    if (peopleRoutes.length > 0) {
      // One user pool for people on every shard: the first stack's.
      this.userPool =
        primary?.userPool ??
        new ApiUserPool(this, 'People', { userPoolName: apiGatewayName(config.platformName, true) });
      this.peopleGateway = new ModelGatewayApi(this, 'PeopleGateway', {
        ...shared,
        restApiName: nameOf(true),
        routes: peopleRoutes,
        endpointAccess: ApiEndpointAccess.regional(),
        userPool: this.userPool,
      });
    }
    if (accountLogging) {
      for (const gateway of [this.machineGateway, this.peopleGateway]) {
        gateway?.stage.node.addDependency(accountLogging);
      }
    }
  }

  /**
   * What AuditStack's OperationalMonitoring watches: per workload, the machine API (name and
   * stage) of an exposed workload and the workload's endpoint; and, per exposed workload, an entry
   * `<workload>-people` for the people API (a MonitoredWorkload watches one API).
   */
  public monitoredWorkloads(
    config: PlatformConfig,
    computes: ReadonlyMap<string, WorkloadCompute>,
  ): MonitoredWorkload[] {
    const apiOf = (gateway: ModelGatewayApi | undefined, name: string) =>
      gateway && gateway.methods.has(`/v1/${name}/invoke`)
        ? { apiName: gateway.restApiName, stage: gateway.stageName }
        : undefined;
    const monitored: MonitoredWorkload[] = config.workloads.map((w) => {
      // Built for every workload; platform-app merges the shards' APIs into one entry per workload.
      const endpoint = computes.get(w.name)?.endpoint;
      return {
        name: w.name,
        api: apiOf(this.machineGateway, w.name),
        endpoint: endpoint ? { endpointName: endpoint.endpointName } : undefined,
      };
    });
    for (const name of this.exposed) {
      const api = apiOf(this.peopleGateway, name);
      if (api) monitored.push({ name: peopleMonitoredWorkloadName(name), api });
    }
    return monitored;
  }
}

// The budgets an API stack is packed to live with the quotas (lib/config/quotas.ts), which the config validator checks.
export { API_SHARD_BUDGET } from './config/quotas';
export type { ApiShardBudget } from './config/quotas';

/**
 * The exposed workloads split into API stacks, in config order: each stack takes workloads while its
 * resources stay within `API_SHARD_BUDGET.stackResources` and its machine API's resource policy
 * within `resourcePolicyChars` (counting each route's callers' role ARNs). Appending workloads never
 * moves a route to another API; removing or reordering exposed workloads may.
 */
export function apiShards(
  config: PlatformConfig,
  api: ApiConfig = DEFAULT_API_CONFIG,
  budget: ApiShardBudget = API_SHARD_BUDGET,
): string[][] {
  const b = budget;
  const callersOf = (name: string) => config.workloads.filter((w) => w.invokes?.includes(name));
  const routed = exposedWorkloads(config, api).filter((n) => api.people || callersOf(n).length > 0);
  const policyChars = (name: string) => {
    const callers = callersOf(name);
    if (callers.length === 0) return 0;
    return (
      b.policyCharsPerRoute +
      callers.reduce((sum, w) => {
        const path = w.kind === 'realtime-inference' ? SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES : '/';
        const arn = `arn:aws-us-gov:iam::123456789012:role${path}${workloadRoleName(config.platformName, w.name)}`;
        return sum + 2 * arn.length + b.policyCharsPerCallerArn;
      }, 0)
    );
  };
  const shards: string[][] = [];
  let current: string[] = [];
  let resources = b.fixedResources;
  let chars = b.fixedPolicyChars;
  for (const name of routed) {
    const c = policyChars(name);
    if (
      current.length > 0 &&
      (resources + b.resourcesPerWorkload > b.stackResources || chars + c > b.resourcePolicyChars)
    ) {
      shards.push(current);
      current = [];
      resources = b.fixedResources;
      chars = b.fixedPolicyChars;
    }
    if (b.fixedPolicyChars + c > b.resourcePolicyChars) {
      throw new PlatformValidationError(
        undefined,
        `workload '${name}' has ${callersOf(name).length} declared callers (invokes): its route alone needs about ${b.fixedPolicyChars + c} ` +
          `characters of API resource policy, over API Gateway's ${b.resourcePolicyChars}; split its callers`,
      );
    }
    current.push(name);
    resources += b.resourcesPerWorkload;
    chars += c;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

/**
 * Add the API stacks to a built platform: `<platform>-api` with the first shard of routes (and what the
 * account and the platform have once), then `<platform>-api-<n>` for each further shard. None when no
 * exposed workload has a route.
 */
export function addApiStacks(
  scope: Construct,
  config: PlatformConfig,
  built: BuiltWorkloads,
  api: ApiConfig = DEFAULT_API_CONFIG,
  budget: ApiShardBudget = API_SHARD_BUDGET,
): ApiStack[] {
  // Every model call enters through the API: the boundary of every platform role denies endpoint
  // invocation to all but the route roles, whether or not this app has an API stack.
  built.platform.boundary.restrictModelInvocationTo(
    ModelGatewayApi.routeRoleArnPattern(apiRouteRolePath(config.platformName)),
  );
  const env = config.env ? { account: config.env.account, region: config.env.region } : undefined;
  const stacks: ApiStack[] = [];
  apiShards(config, api, budget).forEach((routedWorkloads, i) => {
    const stackName = i === 0 ? `${config.platformName}-api` : `${config.platformName}-api-${i + 1}`;
    stacks.push(
      new ApiStack(scope, stackName, {
        env,
        stackName,
        config,
        api,
        platform: built.platform,
        workloads: built.workloads,
        computes: built.computes,
        routedWorkloads,
        primary: stacks[0],
        shard: i + 1,
        description:
          i === 0
            ? 'Zero-trust AI platform: API front door (WAF, authentication, throttling, validation) to the models'
            : `Zero-trust AI platform: API front door to the models, shard ${i + 1}`,
      }),
    );
  });
  return stacks;
}

/**
 * WAF's per-IP limit must never block what a client's usage plan admits: callers in the VPC may share
 * one address (Lambda functions of a subnet and security group share their network interfaces), so on
 * the machine API the limit is at least the highest client rate over WAF's 5-minute window.
 */
function machineRateLimitPerIp(api: ApiConfig): number {
  return Math.max(api.rateLimitPerIp, ...api.clients.map((c) => Math.ceil(c.rateLimit * WAF_RATE_WINDOW_SECONDS)));
}

function exposedWorkloads(config: PlatformConfig, api: ApiConfig): string[] {
  const realtime = config.workloads.filter((w) => w.kind === 'realtime-inference').map((w) => w.name);
  return api.expose ? realtime.filter((n) => api.expose!.includes(n)) : realtime;
}
