import { Annotations, Aws, Duration, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { WORKLOAD_NAME_PATTERN } from '../identity/workload-identity';
import { PlatformEndpoint } from '../network/platform-endpoint';
import { IPlatformNetwork, SubnetTier } from '../network/segmented-network';
import { acknowledgeFindings } from '../private/nag';
import { describeValue, IAM_PATH_PATTERN, PlatformValidationError, validateIntegerRange } from '../private/validation';
import type { IApiClientKey } from './api-client-key';
import { ApiUserPool } from './api-user-pool';
import { ApiWebAcl, ApiWebAclOptions, MAX_INSPECTABLE_BODY_BYTES } from './api-web-acl';
import * as perms from './private/api-perms';
import { QuotaLimits, ThrottleLimits, validateQuota, validateThrottle } from './private/throttle';

export type { QuotaLimits, ThrottleLimits } from './private/throttle';
export { QUOTA_PERIODS } from './private/throttle';

/** Bytes a JSON body may need per prompt character (UTF-8 takes up to 4), and for the envelope around it. */
export const BODY_BYTES_PER_PROMPT_CHAR = 4;
export const BODY_ENVELOPE_BYTES = 1024;
/** Path segment of an operation: lower-case letters, digits and '-'. */
const OPERATION_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
const STAGE_NAME_PATTERN = /^[A-Za-z0-9_]{1,128}$/;

/**
 * The default IAM path of the route integration roles. The platform's permissions boundary denies
 * `sagemaker:InvokeEndpoint*` to every role outside this path, and the audit alarms on endpoint
 * invocations admit it as the only invoker (see `ModelGatewayApi.routeRoleArnPattern()`).
 */
export const DEFAULT_ROUTE_ROLE_PATH = '/ztai/api-route/';

/** A SageMaker endpoint the gateway can front: its name, and a grant of invoke on it alone. */
export interface IModelEndpoint {
  readonly endpointName: string;
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

/** How the callers of a route authenticate. */
export class RouteAuthorization {
  /**
   * Machines: SigV4 (`AWS_IAM`), and the API's resource policy admits these roles, and only these,
   * on this route (an explicit deny for every other principal, so an identity policy elsewhere in
   * the account cannot widen it).
   */
  public static iam(...callers: iam.IRole[]): RouteAuthorization {
    return new RouteAuthorization('iam', callers, []);
  }

  /**
   * People: a Cognito user pool authorizer on the API's `userPool`. With scopes (declared on the
   * pool), the access token must carry every one of them.
   */
  public static userPool(options: { readonly scopes?: string[] } = {}): RouteAuthorization {
    return new RouteAuthorization('cognito', [], options.scopes ?? []);
  }

  private constructor(
    public readonly kind: 'iam' | 'cognito',
    public readonly callers: readonly iam.IRole[],
    public readonly scopes: readonly string[],
  ) {}
}

/** Where the API is reachable from. */
export class ApiEndpointAccess {
  /** A regional endpoint on the internet, behind the API's WAF web ACL. */
  public static regional(): ApiEndpointAccess {
    return new ApiEndpointAccess('regional');
  }

  /**
   * A private endpoint, reachable only through an execute-api interface endpoint in the network's
   * endpoints tier: the network's own (`PlatformEndpoint.EXECUTE_API`) when it has one, else one
   * the API creates. The resource policy denies every request that does not arrive through it. The
   * stage is behind the API's WAF web ACL too, unless `withoutWebAclOnPrivateApi` is set.
   */
  public static privateIn(network: IPlatformNetwork): ApiEndpointAccess {
    return new ApiEndpointAccess('private', network);
  }

  /**
   * A private endpoint, reachable only through this execute-api interface endpoint; behind the API's
   * WAF web ACL too, unless `withoutWebAclOnPrivateApi` is set.
   */
  public static privateThrough(vpcEndpoint: ec2.IInterfaceVpcEndpoint): ApiEndpointAccess {
    return new ApiEndpointAccess('private', undefined, vpcEndpoint);
  }

  private constructor(
    public readonly kind: 'regional' | 'private',
    public readonly network?: IPlatformNetwork,
    public readonly vpcEndpoint?: ec2.IInterfaceVpcEndpoint,
  ) {}
}

/** One route: `POST /v1/<workload>/<operation>` in front of one model endpoint. */
export interface ModelRoute {
  /** The workload the route serves (first path segment after `/v1`). */
  readonly workload: string;
  /** Second path segment. @default 'invoke' */
  readonly operation?: string;
  /** The model endpoint the route invokes (and the only one its integration role may invoke). */
  readonly endpoint: IModelEndpoint;
  readonly authorization: RouteAuthorization;
  /** Longest prompt admitted, characters. @default - the API's maxPromptChars */
  readonly maxPromptChars?: number;
  /** Largest `parameters.max_new_tokens` admitted, 1 to 32,768. @default 1024 */
  readonly maxNewTokens?: number;
  /** Method throttling of this route (below the stage defaults). @default - the stage defaults */
  readonly throttle?: ThrottleLimits;
}

/** A client with an API key and a usage plan: its own rate, burst and quota. */
export interface ApiClient {
  /** Name of the client (usage plan and API key name suffix): lower-case letters, digits, '-'. */
  readonly name: string;
  readonly throttle: ThrottleLimits;
  readonly quota: QuotaLimits;
  /**
   * Where the API key's value comes from: a secret the client's role may read (`ApiClientKey`).
   * From version 2 on, the key's version is part of the API key's name (`<api>-<client>-v<n>`), so
   * a new version replaces the key.
   * @default - API Gateway generates the value; only principals allowed `apigateway:GET` on the key
   *   can read it, so the client has no way to get it unless an administrator hands it over
   */
  readonly key?: IApiClientKey;
  /**
   * An API key the client already has (on another API of the platform): this API's usage plan meters
   * that key instead of making a new one (a key may be in up to 10 usage plans). Not with `key`.
   * @default - a new API key (from `key`, or generated)
   */
  readonly existingApiKey?: apigateway.IApiKey;
}

/** A custom domain in front of the API (TLS 1.2 minimum; the default execute-api endpoint is turned off). */
export interface ApiCustomDomain {
  readonly domainName: string;
  /** A regional ACM certificate for `domainName`. */
  readonly certificate: acm.ICertificate;
}

export interface ModelGatewayApiProps {
  /** The routes, one per exposed workload endpoint and authorization. At least one. */
  readonly routes: ModelRoute[];
  /** Key of the access log group (and the WAF log group). */
  readonly logEncryptionKey: kms.IKey;
  /** Where the API is reachable from. @default ApiEndpointAccess.regional() */
  readonly endpointAccess?: ApiEndpointAccess;
  /** Name of the REST API. @default - derived from the construct path */
  readonly restApiName?: string;
  /**
   * IAM path of the route integration roles: the path the permissions boundary admits as the only
   * caller of `sagemaker:InvokeEndpoint*` (`PlatformPermissionsBoundary.restrictModelInvocationTo`).
   * @default DEFAULT_ROUTE_ROLE_PATH ('/ztai/api-route/')
   */
  readonly routeRolePath?: string;
  /** Name of the stage. @default 'live' */
  readonly stageName?: string;
  /** Stage-wide throttling, every method. @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: ThrottleLimits;
  /** Longest prompt admitted by every route without its own, characters (1 to 16,128). @default 8000 */
  readonly maxPromptChars?: number;
  /**
   * Largest request body WAF admits, bytes (1 to 65,536).
   * @default - 4 bytes per character of the longest route prompt, plus 1 KB of JSON envelope
   */
  readonly maxBodyBytes?: number;
  /** Usage plans with API keys, one per client; with any, every IAM route requires an API key. @default - none */
  readonly clients?: ApiClient[];
  /** The user pool of routes with `RouteAuthorization.userPool()`. @default - no people routes allowed */
  readonly userPool?: ApiUserPool;
  /** Tuning of the web ACL (regional and private endpoints). @default - the ApiWebAcl defaults */
  readonly webAcl?: ApiWebAclOptions;
  /**
   * LOOSENS THE DEFAULT: no WAF web ACL on a private API (endpoint type PRIVATE). By default a private
   * API gets the same web ACL as a regional one: the per-client-IP rate limit (a runaway caller inside
   * the VPC), the body size limit, and the known-bad-inputs and common rule sets. Without it, only the
   * resource policy, the VPC endpoint policy and API Gateway throttling stand in front of the models,
   * and a `ztai:api-private-without-web-acl` warning is emitted. Refused on a regional API, which
   * always has its web ACL.
   *
   * Cost of the web ACL this turns off (AWS WAF list prices): about 5 USD a month for the web ACL and
   * 1 USD a month per rule (6 rules: body size, rate limit, 4 AWS managed rule groups), so about
   * 11 USD a month; per request 0.60 USD a million, plus 0.30 USD a million for each 16 KB of body
   * inspected beyond the first 16 KB (the inspection limit follows `maxBodyBytes`); and the WAF log
   * ingestion and storage.
   * @default false - a private API has a web ACL
   */
  readonly withoutWebAclOnPrivateApi?: boolean;
  /** Retention of the access log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** A custom domain (regional endpoints only). @default - none; the execute-api endpoint serves the API */
  readonly customDomain?: ApiCustomDomain;
  /**
   * LOGS PROMPTS AND MODEL OUTPUTS: turns on execution logging at INFO with full request and
   * response data, so prompts and model responses land in the execution logs.
   * @default false
   */
  readonly logFullRequestsAndResponses?: boolean;
}

/**
 * The platform's API front door: a REST API with one route per model workload,
 * `POST /v1/<workload>/invoke`, integrated directly with the SageMaker runtime (an AWS service
 * integration, no Lambda in the path) through an integration role per route that may invoke only
 * that route's endpoint.
 *
 * - Authentication per route: IAM (SigV4) with a resource policy admitting only the declared caller
 *   roles on their routes, or a Cognito user pool authorizer (MFA, threat protection) with
 *   optional scopes. No method is unauthorized.
 * - Behind a WAF web ACL (body size limit sized to the longest prompt, per-IP rate limit, managed
 *   rule groups, encrypted logs): regional, or private behind an execute-api interface endpoint
 *   (the web ACL too, unless explicitly turned off with `withoutWebAclOnPrivateApi`).
 * - Throttling: stage defaults on every method, per-route method limits, usage plans with API keys.
 * - Request validation: a JSON schema per route (required prompt, maximum length, no additional
 *   properties), JSON bodies only (other content types are refused with 415), body validated.
 * - JSON access logs to a KMS-encrypted, retained log group; execution logging at ERROR without
 *   data; X-Ray tracing; TLS 1.2 on a custom domain, and then no default execute-api endpoint.
 */
export class ModelGatewayApi extends Construct {
  /**
   * The ARN pattern of every route integration role under `routeRolePath`, in this account: for the
   * permissions boundary's model-invocation deny and the audit alarms' endpoint-invoker allow list.
   */
  public static routeRoleArnPattern(routeRolePath: string = DEFAULT_ROUTE_ROLE_PATH): string {
    if (!IAM_PATH_PATTERN.test(routeRolePath) || routeRolePath.length > 512) {
      throw new PlatformValidationError(
        undefined,
        `routeRolePath must be an IAM path ('/' or '/segment/.../', letters, digits and +=,.@_-, at most 512 characters), got ${describeValue(routeRolePath)}`,
      );
    }
    return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${routeRolePath}*`;
  }

  public readonly api: apigateway.RestApi;
  public readonly stage: apigateway.Stage;
  /** The REST API's name (the `ApiName` metric dimension). */
  public readonly restApiName: string;
  public readonly stageName: string;
  /** The stage's execution-log group (errors only, unless full request logging is turned on). */
  public readonly executionLogGroup: logs.LogGroup;
  public readonly accessLogGroup: logs.LogGroup;
  /** The resource policy of the API. */
  public readonly resourcePolicy: iam.PolicyDocument;
  /** The IAM path of the route integration roles. */
  public readonly routeRolePath: string;
  /** The web ACL on the stage (always on a regional endpoint; on a private one unless `withoutWebAclOnPrivateApi`). */
  public readonly webAcl?: ApiWebAcl;
  /** The execute-api interface endpoint requests must arrive through (private endpoints). */
  public readonly vpcEndpoint?: ec2.IInterfaceVpcEndpoint;
  /** Each route's method, by path (`/v1/<workload>/<operation>`). */
  public readonly methods: ReadonlyMap<string, apigateway.Method>;
  /** Each route's integration role, by path. */
  public readonly integrationRoles: ReadonlyMap<string, iam.Role>;
  /** Each client's usage plan and API key, by client name. */
  public readonly usagePlans: ReadonlyMap<string, { plan: apigateway.UsagePlan; key: apigateway.IApiKey }>;

  constructor(scope: Construct, id: string, props: ModelGatewayApiProps) {
    super(scope, id);
    const access = props.endpointAccess ?? ApiEndpointAccess.regional();
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    const defaultPromptChars = props.maxPromptChars ?? 8000;
    this.stageName = props.stageName ?? 'live';
    this.routeRolePath = props.routeRolePath ?? DEFAULT_ROUTE_ROLE_PATH;
    const routes = this.validate(props, access, throttle, defaultPromptChars);
    this.restApiName = props.restApiName ?? Names.uniqueResourceName(this, { maxLength: 255, separator: '-' });

    this.vpcEndpoint = access.kind === 'private' ? this.privateEndpoint(access, routes) : undefined;
    this.resourcePolicy = this.buildResourcePolicy(routes);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const fullData = props.logFullRequestsAndResponses === true;
    if (fullData) {
      Annotations.of(this).addWarningV2(
        'ztai:api-full-request-logging',
        'logFullRequestsAndResponses is on: prompts and model outputs are written to the execution logs.',
      );
    }

    this.api = new apigateway.RestApi(this, 'Resource', {
      restApiName: this.restApiName,
      description: 'Model gateway: authenticated, throttled, validated access to the platform model endpoints',
      endpointConfiguration:
        access.kind === 'private'
          ? { types: [apigateway.EndpointType.PRIVATE], vpcEndpoints: [this.vpcEndpoint!] }
          : { types: [apigateway.EndpointType.REGIONAL] },
      policy: this.resourcePolicy,
      cloudWatchRole: false,
      disableExecuteApiEndpoint: props.customDomain !== undefined,
      apiKeySourceType: apigateway.ApiKeySourceType.HEADER,
      deployOptions: {
        stageName: this.stageName,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        methodOptions: Object.fromEntries(
          routes
            .filter((r) => r.throttle)
            .map((r) => [
              `${r.path}/POST`,
              { throttlingRateLimit: r.throttle!.rateLimit, throttlingBurstLimit: r.throttle!.burstLimit },
            ]),
        ),
        loggingLevel: fullData ? apigateway.MethodLoggingLevel.INFO : apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: fullData,
        metricsEnabled: true,
        tracingEnabled: true,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
      },
    });
    this.stage = this.api.deploymentStage;
    // API Gateway writes execution logs to API-Gateway-Execution-Logs_<api id>/<stage>. Created here
    // first, the group is encrypted with the platform key, has a retention and is retained; left to
    // the service, it would be unencrypted and kept forever.
    this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${this.stageName}`,
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.stage.node.addDependency(this.executionLogGroup);
    // A resource policy change takes effect only with a new deployment: make the policy part of its identity.
    this.api.latestDeployment?.addToLogicalId({ resourcePolicy: this.resourcePolicy });
    acknowledgeFindings(
      this.stage,
      [
        'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
        'PCI.DSS.321-APIGWCacheEnabledAndEncrypted',
        'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
      ],
      'Inference is POST-only and never cached: a response cache would keep model outputs outside the model boundary, and API Gateway caches no POST responses anyway.',
    );
    acknowledgeFindings(
      this.stage,
      ['NIST.800.53.R5-APIGWSSLEnabled', 'PCI.DSS.321-APIGWSSLEnabled', 'HIPAA.Security-APIGWSSLEnabled'],
      'The only backend is an AWS service integration (SageMaker runtime over TLS, SigV4-signed with the route integration role); a client certificate authenticates API Gateway to HTTP backends only.',
    );

    if (props.customDomain) {
      this.api.addDomainName('CustomDomain', {
        domainName: props.customDomain.domainName,
        certificate: props.customDomain.certificate,
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
    }

    const validator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const authorizer = routes.some((r) => r.authorization.kind === 'cognito')
      ? new apigateway.CognitoUserPoolsAuthorizer(this, 'UserPoolAuthorizer', {
          cognitoUserPools: [props.userPool!.userPool],
          // No cache: a revoked token or disabled user is refused on the next request.
          resultsCacheTtl: Duration.seconds(0),
        })
      : undefined;
    // Usage plans meter machine clients: with any, every IAM route requires an API key. People's
    // routes do not (a key in a browser application is not a secret); stage and method limits apply.
    const apiKeyRequired = (props.clients ?? []).length > 0;

    const methods = new Map<string, apigateway.Method>();
    const roles = new Map<string, iam.Role>();
    for (const route of routes) {
      const routeScope = new Construct(this, `Route-${route.workload}-${route.operation}`);
      const role = this.integrationRole(routeScope, route);
      roles.set(route.path, role);
      const model = this.api.addModel(`${pascal(route.workload)}${pascal(route.operation)}Request`, {
        contentType: 'application/json',
        modelName: `${pascal(route.workload)}${pascal(route.operation)}Request`,
        description: `Request body of POST ${route.path}`,
        schema: requestSchema(route.maxPromptChars, route.maxNewTokens),
      });
      const cognito = route.authorization.kind === 'cognito';
      const method = this.api.root.resourceForPath(route.path.slice(1)).addMethod(
        'POST',
        new apigateway.AwsIntegration({
          service: 'runtime.sagemaker',
          path: `endpoints/${route.endpoint.endpointName}/invocations`,
          integrationHttpMethod: 'POST',
          options: {
            credentialsRole: role,
            // Only JSON reaches the model: any other content type is refused with 415.
            passthroughBehavior: apigateway.PassthroughBehavior.NEVER,
            requestTemplates: { 'application/json': '$input.body' },
            requestParameters: {
              'integration.request.header.Content-Type': "'application/json'",
              'integration.request.header.Accept': "'application/json'",
            },
            integrationResponses: [
              { statusCode: '200' },
              {
                selectionPattern: '4\\d{2}',
                statusCode: '502',
                responseTemplates: { 'application/json': '{"message": "The model rejected the request."}' },
              },
              {
                selectionPattern: '5\\d{2}',
                statusCode: '503',
                responseTemplates: { 'application/json': '{"message": "The model is unavailable."}' },
              },
            ],
          },
        }),
        {
          authorizationType: cognito ? apigateway.AuthorizationType.COGNITO : apigateway.AuthorizationType.IAM,
          authorizer: cognito ? authorizer : undefined,
          authorizationScopes:
            cognito && route.authorization.scopes.length > 0
              ? route.authorization.scopes.map((s) => props.userPool!.scopeName(s))
              : undefined,
          apiKeyRequired: apiKeyRequired && !cognito,
          requestValidator: validator,
          requestModels: { 'application/json': model },
          methodResponses: [{ statusCode: '200' }, { statusCode: '502' }, { statusCode: '503' }],
        },
      );
      if (!cognito) {
        acknowledgeFindings(
          method,
          ['AwsSolutions-COG4'],
          'A machine-to-machine route: callers authenticate with SigV4 (AWS_IAM) and the API resource policy admits only the roles declared for this route.',
        );
      }
      methods.set(route.path, method);
    }
    this.methods = methods;
    this.integrationRoles = roles;

    const plans = new Map<string, { plan: apigateway.UsagePlan; key: apigateway.IApiKey }>();
    for (const client of props.clients ?? []) {
      const plan = this.api.addUsagePlan(`UsagePlan-${client.name}`, {
        name: `${this.restApiName}-${client.name}`,
        description: `Usage plan of client ${client.name}`,
        throttle: { rateLimit: client.throttle.rateLimit, burstLimit: client.throttle.burstLimit },
        quota: { limit: client.quota.limit, period: client.quota.period },
        apiStages: [{ api: this.api, stage: this.stage }],
      });
      // The value and the name of an API key are set at creation only: a new key version gets a new
      // name, so CloudFormation replaces the key (with the value regenerated in the secret).
      const version = client.key && client.key.keyVersion > 1 ? `-v${client.key.keyVersion}` : '';
      const key =
        client.existingApiKey ??
        this.api.addApiKey(`ApiKey-${client.name}`, {
          apiKeyName: `${this.restApiName}-${client.name}${version}`,
          description: `API key of client ${client.name}`,
          value: client.key?.apiKeyValue,
        });
      plan.addApiKey(key);
      plans.set(client.name, { plan, key });
    }
    this.usagePlans = plans;

    // WAF associates with private REST APIs as with regional ones (a REGIONAL-scope web ACL on the
    // stage): https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-control-access-aws-waf.html
    // On a private API its rules still matter: the per-IP rate limit stops a runaway caller in the VPC
    // before it uses up the stage throttle of every other caller, the body size limit and the
    // known-bad-inputs and common rule sets inspect what reaches the model. The IP reputation and
    // anonymous IP groups see the callers' private VPC addresses there, which those lists of public
    // addresses never match: harmless (no block of a legitimate caller), they stay for one web ACL
    // shape. The client IP is the caller's address in the VPC, so callers sharing one (containers on
    // one host's network, Lambda functions sharing a VPC network interface) share one rate limit.
    if (access.kind === 'private' && props.withoutWebAclOnPrivateApi === true) {
      Annotations.of(this).addWarningV2(
        'ztai:api-private-without-web-acl',
        'withoutWebAclOnPrivateApi is on: the private API has no WAF web ACL, so no per-IP rate limit, body size limit or managed rule groups in front of the models (only the resource policy, the VPC endpoint policy and API Gateway throttling).',
      );
      acknowledgeFindings(
        this.stage,
        ['AwsSolutions-APIG3', 'NIST.800.53.R5-APIGWAssociatedWithWAF', 'PCI.DSS.321-APIGWAssociatedWithWAF'],
        'A private API whose web ACL was explicitly turned off (withoutWebAclOnPrivateApi): reachable only through the execute-api interface endpoint (the resource policy denies every other source), never from the internet.',
      );
    } else {
      const longestPrompt = Math.max(...routes.map((r) => r.maxPromptChars));
      this.webAcl = new ApiWebAcl(this, 'WebAcl', {
        ...props.webAcl,
        maxBodyBytes: props.maxBodyBytes ?? BODY_BYTES_PER_PROMPT_CHAR * longestPrompt + BODY_ENVELOPE_BYTES,
        logEncryptionKey: props.logEncryptionKey,
        webAclName: `${this.restApiName}-${this.stageName}`.slice(0, 128),
      });
      this.webAcl.associate('WebAclAssociation', this.stage);
    }
  }

  /** The ARN callers are admitted on for a route, e.g. `arn:aws:execute-api:<region>:<account>:<api>/<stage>/POST/v1/<workload>/invoke`. */
  public routeArn(workload: string, operation = 'invoke'): string {
    return this.api.arnForExecuteApi('POST', `/v1/${workload}/${operation}`, this.stageName);
  }

  private validate(
    props: ModelGatewayApiProps,
    access: ApiEndpointAccess,
    throttle: ThrottleLimits,
    defaultPromptChars: number,
  ): ResolvedRoute[] {
    if (!IAM_PATH_PATTERN.test(this.routeRolePath) || this.routeRolePath.length > 512) {
      throw new PlatformValidationError(
        this,
        `routeRolePath must be an IAM path ('/' or '/segment/.../', letters, digits and +=,.@_-, at most 512 characters), got ${describeValue(this.routeRolePath)}`,
      );
    }
    if (!STAGE_NAME_PATTERN.test(this.stageName)) {
      throw new PlatformValidationError(
        this,
        `stageName must be 1-128 letters, digits or '_', got ${describeValue(this.stageName)}`,
      );
    }
    validateThrottle(this, 'throttle', throttle);
    validatePromptChars(this, 'maxPromptChars', defaultPromptChars);
    if (props.maxBodyBytes !== undefined) {
      validateIntegerRange(this, 'maxBodyBytes', props.maxBodyBytes, 1, MAX_INSPECTABLE_BODY_BYTES);
    }
    if (props.routes.length === 0) {
      throw new PlatformValidationError(this, 'routes must hold at least one route, got []');
    }
    const seen = new Set<string>();
    const routes = props.routes.map((r, i): ResolvedRoute => {
      const field = `routes[${i}]`;
      const operation = r.operation ?? 'invoke';
      if (!WORKLOAD_NAME_PATTERN.test(r.workload)) {
        throw new PlatformValidationError(
          this,
          `${field}.workload must be 2-32 lower-case letters, digits and '-', starting with a letter, got ${describeValue(r.workload)}`,
        );
      }
      if (!OPERATION_PATTERN.test(operation)) {
        throw new PlatformValidationError(
          this,
          `${field}.operation must be 1-32 lower-case letters, digits and '-', starting with a letter, got ${describeValue(operation)}`,
        );
      }
      const path = `/v1/${r.workload}/${operation}`;
      if (seen.has(path)) {
        throw new PlatformValidationError(this, `${field}: route POST ${path} is declared twice`);
      }
      seen.add(path);
      const maxPromptChars = r.maxPromptChars ?? defaultPromptChars;
      validatePromptChars(this, `${field}.maxPromptChars`, maxPromptChars);
      const maxNewTokens = r.maxNewTokens ?? 1024;
      validateIntegerRange(this, `${field}.maxNewTokens`, maxNewTokens, 1, 32768);
      if (r.throttle) {
        validateThrottle(this, `${field}.throttle`, r.throttle);
        if (
          !Token.isUnresolved(r.throttle.rateLimit) &&
          !Token.isUnresolved(throttle.rateLimit) &&
          r.throttle.rateLimit > throttle.rateLimit
        ) {
          throw new PlatformValidationError(
            this,
            `${field}.throttle.rateLimit (${r.throttle.rateLimit}) must be <= the stage throttle.rateLimit (${throttle.rateLimit})`,
          );
        }
      }
      const auth = r.authorization;
      if (auth.kind === 'iam' && auth.callers.length === 0) {
        throw new PlatformValidationError(
          this,
          `${field}.authorization: RouteAuthorization.iam() needs at least one caller role, got none (an IAM route no one may call)`,
        );
      }
      if (auth.kind === 'cognito') {
        if (!props.userPool) {
          throw new PlatformValidationError(
            this,
            `${field}.authorization is RouteAuthorization.userPool() but the API has no userPool; set userPool or use RouteAuthorization.iam()`,
          );
        }
        auth.scopes.forEach((s) => props.userPool!.scopeName(s));
      }
      return { ...r, operation, path, maxPromptChars, maxNewTokens };
    });
    const clientNames = new Set<string>();
    (props.clients ?? []).forEach((c, i) => {
      if (!WORKLOAD_NAME_PATTERN.test(c.name) || clientNames.has(c.name)) {
        throw new PlatformValidationError(
          this,
          `clients[${i}].name must be unique, 2-32 lower-case letters, digits and '-', starting with a letter, got ${describeValue(c.name)}`,
        );
      }
      clientNames.add(c.name);
      if (c.key && c.existingApiKey) {
        throw new PlatformValidationError(
          this,
          `clients[${i}]: give key (a new API key from a secret) or existingApiKey (a key of another API), not both`,
        );
      }
      validateThrottle(this, `clients[${i}].throttle`, c.throttle);
      validateQuota(this, `clients[${i}].quota`, c.quota);
    });
    if (props.withoutWebAclOnPrivateApi === true && access.kind !== 'private') {
      throw new PlatformValidationError(
        this,
        'withoutWebAclOnPrivateApi applies to private endpoints only (a regional API always has its web ACL); got it with ApiEndpointAccess.regional()',
      );
    }
    if (props.customDomain && access.kind === 'private') {
      throw new PlatformValidationError(
        this,
        'customDomain is supported for regional endpoints only; got a custom domain with ApiEndpointAccess.privateIn/privateThrough',
      );
    }
    return routes;
  }

  /**
   * The resource policy: each IAM route admits its callers and explicitly denies every other
   * principal; user-pool routes admit any principal (the authorizer decides); a private API denies
   * every request that does not arrive through its VPC endpoint.
   */
  private buildResourcePolicy(routes: ResolvedRoute[]): iam.PolicyDocument {
    const doc = new iam.PolicyDocument();
    const resource = (r: ResolvedRoute) => `execute-api:/${this.stageName}/POST${r.path}`;
    for (const r of routes) {
      const sid = `${pascal(r.workload)}${pascal(r.operation)}`;
      if (r.authorization.kind === 'iam') {
        const arns = r.authorization.callers.map((c) => c.roleArn);
        doc.addStatements(
          new iam.PolicyStatement({
            sid: `Allow${sid}DeclaredCallers`,
            principals: arns.map((a) => new iam.ArnPrincipal(a)),
            actions: perms.API_INVOKE,
            resources: [resource(r)],
          }),
          new iam.PolicyStatement({
            sid: `Deny${sid}OtherPrincipals`,
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: perms.API_INVOKE,
            resources: [resource(r)],
            conditions: { StringNotEquals: { 'aws:PrincipalArn': arns } },
          }),
        );
      } else {
        doc.addStatements(
          new iam.PolicyStatement({
            sid: `Allow${sid}UserPoolAuthorized`,
            principals: [new iam.AnyPrincipal()],
            actions: perms.API_INVOKE,
            resources: [resource(r)],
          }),
        );
      }
    }
    if (this.vpcEndpoint) {
      doc.addStatements(
        new iam.PolicyStatement({
          sid: 'DenyOutsideVpcEndpoint',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: perms.API_INVOKE,
          resources: ['execute-api:/*'],
          conditions: { StringNotEquals: { 'aws:SourceVpce': this.vpcEndpoint.vpcEndpointId } },
        }),
      );
    }
    return doc;
  }

  /**
   * The route's integration role, under `routeRolePath`: assumed by API Gateway, may invoke the
   * route's endpoint only.
   *
   * The trust is the one API Gateway documents for the roles it assumes for an AWS service
   * integration, `apigateway.amazonaws.com` with no condition
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html). API Gateway
   * does not document sending `aws:SourceAccount` or `aws:SourceArn` when it assumes integration
   * credentials, and a condition on a key absent from the request never matches, so such a
   * condition could fail every call of the route. What the role can do is bounded by its own
   * policy (one endpoint) and by the permissions boundary.
   */
  private integrationRole(scope: Construct, route: ResolvedRoute): iam.Role {
    const role = new iam.Role(scope, 'IntegrationRole', {
      path: this.routeRolePath,
      description: `API Gateway integration of POST ${route.path}: invokes endpoint ${route.endpoint.endpointName} only`,
      assumedBy: new iam.ServicePrincipal(perms.APIGATEWAY_SERVICE),
    });
    route.endpoint.grantInvoke(new ManagedPolicyPrincipal(scope, role, 'IntegrationPolicy'));
    return role;
  }

  /**
   * The execute-api interface endpoint of a private API: the one given, the network's own, or a new
   * one whose policy admits SigV4 callers of this account only (`aws:PrincipalAccount`), on this
   * account's APIs only. A request with no signature (a bearer token, as user-pool routes carry) is
   * evaluated as anonymous by the endpoint policy
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-vpc-endpoint-policies.html),
   * so user-pool routes get their own statement: any caller, on exactly those routes (stage, method
   * and path); their authorizer decides. The API's id cannot be named there (the API refers to the
   * endpoint), so the statement names every API of this account with that route.
   */
  private privateEndpoint(access: ApiEndpointAccess, routes: ResolvedRoute[]): ec2.IInterfaceVpcEndpoint {
    const userPoolRoutes = routes.filter((r) => r.authorization.kind === 'cognito');
    const reused = access.vpcEndpoint ?? access.network!.interfaceEndpoint(PlatformEndpoint.EXECUTE_API);
    if (reused) {
      if (userPoolRoutes.length > 0) {
        Annotations.of(this).addWarningV2(
          'ztai:api-private-user-pool-routes',
          `A private API with user-pool routes (${userPoolRoutes.map((r) => r.path).join(', ')}) through an existing execute-api endpoint: ` +
            'bearer-token requests are anonymous to the endpoint policy, so that policy must admit them on these routes.',
        );
      }
      return reused;
    }
    const network = access.network!;
    const endpoint = new ec2.InterfaceVpcEndpoint(this, 'ExecuteApiEndpoint', {
      vpc: network.vpc,
      service: ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
      subnets: network.tierSubnets(SubnetTier.ENDPOINTS),
      securityGroups: [network.endpointsSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    });
    const apis = `arn:${Aws.PARTITION}:execute-api:${Aws.REGION}:${Aws.ACCOUNT_ID}`;
    endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ThisAccountsPrincipalsOnThisAccountsApis',
        principals: [new iam.AnyPrincipal()],
        actions: perms.API_INVOKE,
        resources: [`${apis}:*`],
        conditions: { StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (userPoolRoutes.length > 0) {
      endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'UserPoolRoutesOfThisAccountsApis',
          principals: [new iam.AnyPrincipal()],
          actions: perms.API_INVOKE,
          resources: userPoolRoutes.map((r) => `${apis}:*/${this.stageName}/POST${r.path}`),
        }),
      );
    }
    return endpoint;
  }
}

interface ResolvedRoute extends ModelRoute {
  readonly operation: string;
  readonly path: string;
  readonly maxPromptChars: number;
  readonly maxNewTokens: number;
}

/** Longest prompt: positive, and small enough that its body stays within what WAF can inspect. */
function validatePromptChars(scope: IConstruct, field: string, chars: number): void {
  const max = Math.floor((MAX_INSPECTABLE_BODY_BYTES - BODY_ENVELOPE_BYTES) / BODY_BYTES_PER_PROMPT_CHAR);
  validateIntegerRange(scope, field, chars, 1, max);
}

/** The JSON schema of a route's request body. */
export function requestSchema(maxPromptChars: number, maxNewTokens: number): apigateway.JsonSchema {
  return {
    schema: apigateway.JsonSchemaVersion.DRAFT4,
    title: 'ModelInvocation',
    type: apigateway.JsonSchemaType.OBJECT,
    required: ['prompt'],
    additionalProperties: false,
    properties: {
      prompt: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: maxPromptChars },
      parameters: {
        type: apigateway.JsonSchemaType.OBJECT,
        additionalProperties: false,
        properties: {
          max_new_tokens: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: maxNewTokens },
          temperature: { type: apigateway.JsonSchemaType.NUMBER, minimum: 0, maximum: 2 },
          top_p: { type: apigateway.JsonSchemaType.NUMBER, minimum: 0, maximum: 1 },
        },
      },
    },
  };
}

/** Access log entries: one JSON object per request, who called, what happened, and WAF's verdict. */
function accessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      extendedRequestId: '$context.extendedRequestId',
      requestTime: '$context.requestTime',
      ip: '$context.identity.sourceIp',
      userAgent: '$context.identity.userAgent',
      caller: '$context.identity.caller',
      userArn: '$context.identity.userArn',
      cognitoSub: '$context.authorizer.claims.sub',
      apiKeyId: '$context.identity.apiKeyId',
      vpceId: '$context.identity.vpceId',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      protocol: '$context.protocol',
      status: '$context.status',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationStatus: '$context.integration.status',
      integrationLatency: '$context.integration.latency',
      errorMessage: '$context.error.message',
      validationError: '$context.error.validationErrorString',
      wafStatus: '$context.waf.status',
    }),
  );
}

function pascal(s: string): string {
  return s
    .split('-')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
