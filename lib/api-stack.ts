import { App, Aws, Stack, StackProps } from 'aws-cdk-lib';
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
  QUOTA_PERIODS,
  RouteAuthorization,
} from '../constructs/api';
import { MonitoredWorkload } from '../constructs/audit';
import {
  apiClientSecretName,
  apiRouteRolePath,
  roleArnFromName,
  SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES,
  workloadRoleName,
} from './config/names';
import { PlatformConfig } from './config/platform-config';
import type { Platform } from './platform-app';
import type { PlatformStack } from './platform-stack';
import type { WorkloadCompute } from './workloads/compute';
import type { WorkloadStack } from './workload-stack';

/** How the reference app exposes its models (`api` in the platform configuration). */
/** The evaluation window of the web ACLs' per-IP rate rule (ApiWebAcl's default), seconds. */
const WAF_RATE_WINDOW_SECONDS = 300;

export interface ApiConfig {
  /** Realtime-inference workloads exposed through the API. Omit for every realtime-inference workload. */
  readonly expose?: readonly string[];
  /** Stage name: 1-128 letters, digits or '_'. */
  readonly stageName: string;
  /** Stage-wide throttling: requests per second (> 0) and burst (an integer >= rate). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Longest prompt admitted, characters; sizes the JSON schema and the WAF body limit. 1 to 16128. */
  readonly maxPromptChars: number;
  /**
   * Requests one client IP may make in 5 minutes before WAF blocks it, on both APIs (on the private
   * machine API the client IP is the caller's address in the VPC). It caps every caller, whatever its
   * usage plan: 1000 is about 3.3 requests a second sustained. On the machine API it is raised to the
   * highest client's usage-plan rate over the window (callers in the VPC may share one address), so WAF
   * never blocks what a usage plan admits. 10 to 2,000,000,000.
   */
  readonly rateLimitPerIp: number;
  /**
   * Endpoint of the machine API (declared callers, IAM): `private` (only through the execute-api
   * interface endpoint in the platform VPC; callers need no internet path) or `regional` (internet).
   * Behind WAF either way.
   */
  readonly machineEndpointType: 'regional' | 'private';
  /** People reach each exposed model through a second, regional API behind WAF, with Cognito. */
  readonly people: boolean;
  /** Usage plans with API keys, per calling workload. */
  readonly clients: readonly ApiClientConfig[];
}

/** A usage plan of one calling workload. */
export interface ApiClientConfig {
  /** A workload that `invokes` an exposed workload. */
  readonly caller: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per quota period (a positive integer). */
  readonly quotaLimit: number;
  /** DAY, WEEK or MONTH. */
  readonly quotaPeriod: string;
  /**
   * Version of the client's API key (a positive integer). Raise it to replace the key: a new value
   * is generated in the secret `<platformName>/api-clients/<caller>` and the API key is replaced.
   * Default 1.
   */
  readonly keyVersion?: number;
}

export const DEFAULT_API_CONFIG: ApiConfig = {
  stageName: 'live',
  throttle: { rateLimit: 50, burstLimit: 100 },
  maxPromptChars: 8000,
  rateLimitPerIp: 1000,
  machineEndpointType: 'private',
  people: true,
  clients: [],
};

/** The largest maxPromptChars whose JSON body (4 bytes a character + 1 KB) WAF can still inspect (64 KB). */
export const MAX_PROMPT_CHARS = 16128;
const API_KEYS = [
  'expose',
  'stageName',
  'throttle',
  'maxPromptChars',
  'rateLimitPerIp',
  'machineEndpointType',
  'people',
  'clients',
];
const CLIENT_KEYS = ['caller', 'rateLimit', 'burstLimit', 'quotaLimit', 'quotaPeriod', 'keyVersion'];
const MAX_KEY_VERSION = 1_000_000;

/**
 * Problems of the `api` section of a raw platform configuration, one line each, naming the field,
 * the value received and what is allowed (empty when it is valid or absent). Reads `workloads` of
 * the same configuration for the names it refers to.
 */
export function validateApiConfig(raw: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(raw) || raw.api === undefined) return problems;
  const api = raw.api;
  if (!isObject(api)) return [`api: must be an object, got ${show(api)}`];
  for (const key of Object.keys(api)) {
    if (!API_KEYS.includes(key))
      problems.push(`api.${key}: unknown field; allowed fields of api: ${API_KEYS.join(', ')}`);
  }
  const workloads = (Array.isArray(raw.workloads) ? raw.workloads : []).filter(isObject);
  const realtime = workloads.filter((w) => w.kind === 'realtime-inference').map((w) => String(w.name));
  let exposed = realtime;
  if (api.expose !== undefined) {
    if (!Array.isArray(api.expose)) {
      problems.push(`api.expose: must be a list of workload names, got ${show(api.expose)}`);
    } else {
      api.expose.forEach((name, i) => {
        if (!realtime.includes(name as string)) {
          problems.push(
            `api.expose[${i}]: must name a realtime-inference workload (${realtime.join(', ') || 'none configured'}), got ${show(name)}`,
          );
        }
      });
      exposed = api.expose.filter((n): n is string => realtime.includes(n as string));
    }
  }
  if (
    api.stageName !== undefined &&
    !(typeof api.stageName === 'string' && /^[A-Za-z0-9_]{1,128}$/.test(api.stageName))
  ) {
    problems.push(`api.stageName: must be 1-128 letters, digits or '_', got ${show(api.stageName)}`);
  }
  if (api.throttle !== undefined) {
    if (!isObject(api.throttle)) problems.push(`api.throttle: must be an object, got ${show(api.throttle)}`);
    else throttleProblems('api.throttle', api.throttle.rateLimit, api.throttle.burstLimit, problems);
  }
  if (api.maxPromptChars !== undefined && !isInt(api.maxPromptChars, 1, MAX_PROMPT_CHARS)) {
    problems.push(
      `api.maxPromptChars: must be an integer from 1 to ${MAX_PROMPT_CHARS} (it sizes the WAF body limit, which must be > 0 and at most 64 KB), got ${show(api.maxPromptChars)}`,
    );
  }
  if (api.rateLimitPerIp !== undefined && !isInt(api.rateLimitPerIp, 10, 2_000_000_000)) {
    problems.push(`api.rateLimitPerIp: must be an integer from 10 to 2000000000, got ${show(api.rateLimitPerIp)}`);
  }
  if (api.machineEndpointType !== undefined && !['regional', 'private'].includes(api.machineEndpointType as string)) {
    problems.push(`api.machineEndpointType: must be one of regional, private, got ${show(api.machineEndpointType)}`);
  }
  if (api.people !== undefined && typeof api.people !== 'boolean') {
    problems.push(`api.people: must be true or false, got ${show(api.people)}`);
  }
  const callers = workloads
    .filter((w) => Array.isArray(w.invokes) && w.invokes.some((t) => exposed.includes(t as string)))
    .map((w) => String(w.name));
  if (api.clients !== undefined) {
    if (!Array.isArray(api.clients)) {
      problems.push(`api.clients: must be a list, got ${show(api.clients)}`);
    } else {
      const seen = new Set<string>();
      api.clients.forEach((c, i) => {
        const path = `api.clients[${i}]`;
        if (!isObject(c)) {
          problems.push(`${path}: must be an object, got ${show(c)}`);
          return;
        }
        for (const key of Object.keys(c)) {
          if (!CLIENT_KEYS.includes(key))
            problems.push(`${path}.${key}: unknown field; allowed fields of ${path}: ${CLIENT_KEYS.join(', ')}`);
        }
        if (!callers.includes(c.caller as string)) {
          problems.push(
            `${path}.caller: must name a workload that invokes an exposed workload (${callers.join(', ') || 'none configured'}), got ${show(c.caller)}`,
          );
        } else if (seen.has(c.caller as string)) {
          problems.push(`${path}.caller: ${show(c.caller)} already has a usage plan`);
        }
        seen.add(c.caller as string);
        throttleProblems(path, c.rateLimit, c.burstLimit, problems);
        if (!isInt(c.quotaLimit, 1, Number.MAX_SAFE_INTEGER)) {
          problems.push(
            `${path}.quotaLimit: must be a positive integer of requests per period, got ${show(c.quotaLimit)}`,
          );
        }
        if (!QUOTA_PERIODS.includes(c.quotaPeriod as string)) {
          problems.push(`${path}.quotaPeriod: must be one of ${QUOTA_PERIODS.join(', ')}, got ${show(c.quotaPeriod)}`);
        }
        if (c.keyVersion !== undefined && !isInt(c.keyVersion, 1, MAX_KEY_VERSION)) {
          problems.push(
            `${path}.keyVersion: must be an integer from 1 to ${MAX_KEY_VERSION}, got ${show(c.keyVersion)}`,
          );
        }
      });
    }
  }
  // A declared caller of a model the API does not expose could never reach it.
  for (const w of workloads) {
    if (!Array.isArray(w.invokes)) continue;
    w.invokes.forEach((t, i) => {
      if (realtime.includes(t as string) && !exposed.includes(t as string)) {
        problems.push(
          `workloads.${String(w.name)}.invokes[${i}]: ${show(t)} is not exposed by the API (api.expose: ${exposed.join(', ') || 'none'})`,
        );
      }
    });
  }
  return problems;
}

/** The `api` section with defaults filled in (validate it first with validateApiConfig). */
export function resolveApiConfig(api: Partial<ApiConfig> | undefined): ApiConfig {
  return { ...DEFAULT_API_CONFIG, ...(api ?? {}) };
}

export interface ApiStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly platform: PlatformStack;
  readonly workloads: ReadonlyMap<string, WorkloadStack>;
  readonly computes: ReadonlyMap<string, WorkloadCompute>;
  /** @default DEFAULT_API_CONFIG */
  readonly api?: ApiConfig;
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
    this.addStackDependency(platform, 'logs key, network');
    // Execution logging needs the account's API Gateway CloudWatch role (one per account and region).
    const accountLogging = new ApiGatewayAccountLogging(this, 'AccountLogging');
    for (const stack of workloads.values()) this.addStackDependency(stack, 'caller roles, model endpoints');

    this.exposed = exposedWorkloads(config, api);
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

    if (machineRoutes.length > 0) {
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
      // WAF's per-IP limit must never block what a client's usage plan admits: callers in the VPC may share
      // one address (Lambda functions of a subnet and security group share their network interfaces), so on
      // the machine API the limit is at least the highest client rate over WAF's 5-minute window.
      const machineRateLimitPerIp = Math.max(
        api.rateLimitPerIp,
        ...api.clients.map((c) => Math.ceil(c.rateLimit * WAF_RATE_WINDOW_SECONDS)),
      );
      this.machineGateway = new ModelGatewayApi(this, 'ModelGateway', {
        ...shared,
        webAcl: { ...shared.webAcl, rateLimitPerIp: machineRateLimitPerIp },
        restApiName: `${config.platformName}-model-gateway`,
        routes: machineRoutes,
        endpointAccess:
          api.machineEndpointType === 'private'
            ? ApiEndpointAccess.privateIn(platform.network)
            : ApiEndpointAccess.regional(),
        clients,
      });
    }
    if (peopleRoutes.length > 0) {
      this.userPool = new ApiUserPool(this, 'People', { userPoolName: `${config.platformName}-model-gateway-people` });
      this.peopleGateway = new ModelGatewayApi(this, 'PeopleGateway', {
        ...shared,
        restApiName: `${config.platformName}-model-gateway-people`,
        routes: peopleRoutes,
        endpointAccess: ApiEndpointAccess.regional(),
        userPool: this.userPool,
      });
    }
    for (const gateway of [this.machineGateway, this.peopleGateway]) {
      gateway?.stage.node.addDependency(accountLogging);
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
      const endpoint = computes.get(w.name)?.endpoint;
      return {
        name: w.name,
        api: apiOf(this.machineGateway, w.name),
        endpoint: endpoint ? { endpointName: endpoint.endpointName } : undefined,
      };
    });
    for (const name of this.exposed) {
      const api = apiOf(this.peopleGateway, name);
      if (api) monitored.push({ name: `${name}-people`, api });
    }
    return monitored;
  }
}

/**
 * Add the API stack to a built platform, when any exposed workload has a route (an exposed model
 * with neither a declared caller nor people access gets none).
 */
export function addApiStack(
  app: App,
  config: PlatformConfig,
  built: Pick<Platform, 'platform' | 'workloads' | 'computes'>,
  api: ApiConfig = DEFAULT_API_CONFIG,
): ApiStack | undefined {
  // Every model call enters through the API: the boundary of every platform role denies endpoint
  // invocation to all but the route roles, whether or not this app has an API stack.
  built.platform.boundary.restrictModelInvocationTo(
    ModelGatewayApi.routeRoleArnPattern(apiRouteRolePath(config.platformName)),
  );
  const exposed = exposedWorkloads(config, api);
  const routed = exposed.some((name) => api.people || config.workloads.some((w) => w.invokes?.includes(name)));
  if (!routed) return undefined;
  const env = config.env ? { account: config.env.account, region: config.env.region } : undefined;
  return new ApiStack(app, `${config.platformName}-api`, {
    env,
    config,
    api,
    platform: built.platform,
    workloads: built.workloads,
    computes: built.computes,
    description: 'Zero-trust AI platform: API front door (WAF, authentication, throttling, validation) to the models',
  });
}

function exposedWorkloads(config: PlatformConfig, api: ApiConfig): string[] {
  const realtime = config.workloads.filter((w) => w.kind === 'realtime-inference').map((w) => w.name);
  return api.expose ? realtime.filter((n) => api.expose!.includes(n)) : realtime;
}

function throttleProblems(path: string, rate: unknown, burst: unknown, problems: string[]): void {
  const rateOk = typeof rate === 'number' && Number.isFinite(rate) && rate > 0;
  if (!rateOk)
    problems.push(`${path}.rateLimit: must be a number of requests per second greater than 0, got ${show(rate)}`);
  if (!isInt(burst, 1, Number.MAX_SAFE_INTEGER)) {
    problems.push(`${path}.burstLimit: must be a positive integer, got ${show(burst)}`);
  } else if (rateOk && (burst as number) < (rate as number)) {
    problems.push(`${path}.burstLimit: must be >= rateLimit (${String(rate)}), got ${show(burst)}`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isInt(x: unknown, min: number, max: number): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
}

function show(x: unknown): string {
  if (typeof x === 'string') return `'${x}'`;
  if (x === undefined) return 'undefined';
  return JSON.stringify(x);
}
