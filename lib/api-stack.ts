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
import { DEFAULT_API_CONFIG } from './config/validate-config';
import type { PlatformStack } from './platform-stack';
import type { WorkloadCompute } from './workloads/compute';
import type { WorkloadStack } from './workload-stack';

// The `api` section's type, defaults and validation live with the config (lib/config); re-exported for existing importers.
export type { ApiClientConfig, ApiConfig } from './config/platform-config';
export { MAX_PROMPT_CHARS } from './config/platform-config';
export { DEFAULT_API_CONFIG, resolveApiConfig, validateApiConfig } from './config/validate-config';

/** The evaluation window of the web ACLs' per-IP rate rule (ApiWebAcl's default), seconds. */
const WAF_RATE_WINDOW_SECONDS = 300;

/** What `addApiStack` builds on: the platform stack, and each workload's stack and compute, by name. */
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
        restApiName: apiGatewayName(config.platformName),
        routes: machineRoutes,
        endpointAccess:
          api.machineEndpointType === 'private'
            ? ApiEndpointAccess.privateIn(platform.network)
            : ApiEndpointAccess.regional(),
        clients,
      });
    }
    if (peopleRoutes.length > 0) {
      this.userPool = new ApiUserPool(this, 'People', { userPoolName: apiGatewayName(config.platformName, true) });
      this.peopleGateway = new ModelGatewayApi(this, 'PeopleGateway', {
        ...shared,
        restApiName: apiGatewayName(config.platformName, true),
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
      if (api) monitored.push({ name: peopleMonitoredWorkloadName(name), api });
    }
    return monitored;
  }
}

/**
 * Add the API stack to a built platform, when any exposed workload has a route (an exposed model
 * with neither a declared caller nor people access gets none).
 */
export function addApiStack(
  scope: Construct,
  config: PlatformConfig,
  built: BuiltWorkloads,
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
  return new ApiStack(scope, `${config.platformName}-api`, {
    env,
    stackName: `${config.platformName}-api`,
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
