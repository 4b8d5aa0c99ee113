/**
 * A small language for operational journeys: a journey is a list of steps a deployed platform must be
 * able to take (or must refuse), each step one AWS request (who sends it, which action on which
 * resource, through which network, with which request context) or one check of the templates.
 *
 * A request step is evaluated against every policy in its way in the synthesized assembly: the
 * identity policies and permissions boundary of the role, the resource policy (bucket, key, repository,
 * API, topic policy, or the role's trust policy for `sts:AssumeRole`), and the policy of the VPC
 * endpoint the request crosses. Requests from AWS services use the service principal with the
 * context keys the service documents that it sends; requests AWS services make on a caller's behalf
 * (forward access sessions, e.g. S3 calling KMS) carry `aws:ViaAWSService` and `kms:ViaService`.
 *
 * Context keys AWS adds on its own (principal, TLS, account, tags, endpoint, S3 TLS version, KMS caller
 * account and key aliases) are filled in here; a step names only what is particular to its request.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
import { AssemblyResource, CloudAssembly } from './assembly';
import { AssemblyResolver, PlaceholderEnvironment } from './intrinsics';
import { byString } from './json';
import { EndpointRecord, PolicyIndex, RoleRecord } from './policies';
import { asArray, tagsOf } from './resolved-templates';
import { Decision, NamedPolicy, PolicyDoc, simulateRequest } from './simulate';

/** A role of the assembly, found by its ARN (as the design names it), else by its owner construct path. */
export interface RoleActor {
  readonly kind: 'role';
  /** The ARN the design gives the role (a role with a fixed name). */
  readonly arn?: string;
  /** The owner construct path of the role, to find it when no role has `arn`. */
  readonly path?: string;
  /** An ARN pattern (`*` wildcards) the role's ARN must match, e.g. an IAM path. */
  readonly arnLike?: string;
  /** Session name of the request principal (`…:assumed-role/<role>/<session>`). */
  readonly session: string;
  /** What the role is, for the report. */
  readonly label: string;
}

/** An AWS service principal acting on its own (not a role it assumed). */
export interface ServiceActor {
  readonly kind: 'service';
  /** e.g. `cloudtrail.amazonaws.com` */
  readonly service: string;
  readonly label: string;
}

/** A principal outside the assembly (another account, AWS-owned, or the CDK deployment role). */
export interface ExternalActor {
  readonly kind: 'external';
  readonly arn: string;
  readonly account: string;
  /** Its own identity policies (outside the assembly: stated here as assumed). */
  readonly identityPolicies: NamedPolicy[];
  readonly label: string;
}

/** An unsigned request (a person calling with a Cognito token: IAM sees no principal). */
export interface AnonymousActor {
  readonly kind: 'anonymous';
  readonly label: string;
}

export type Actor = RoleActor | ServiceActor | ExternalActor | AnonymousActor;

/** Where the request comes from. */
export type Network =
  /** From inside the VPC, through the platform's VPC endpoint for this service (`s3`, `ecr.dkr`, `execute-api`…). */
  | { readonly endpoint: string }
  /** From outside the VPC: the public service endpoint (a CI runner, a person, an attacker with stolen credentials). */
  | { readonly outside: true }
  /** Inside AWS: a service's own network (SageMaker pulling an image with the execution role, API Gateway calling SageMaker). */
  | { readonly awsNetwork: string }
  /** Made by an AWS service on the caller's behalf (forward access session), e.g. S3 calling KMS. */
  | { readonly via: string };

export type Expectation = 'Allowed' | 'Denied';

interface StepBase {
  /** `<journey>.<n>`, stable. */
  readonly id: string;
  readonly title: string;
  /** The AWS pages that document the request and its context keys (or the check). */
  readonly doc: readonly string[];
  /** The issue #11 defects (design decisions) this step covers. */
  readonly defects?: readonly string[];
  /** Only in this profile of the platform (not applicable to an assembly of another profile). */
  readonly profile?: 'production';
}

export interface RequestStep extends StepBase {
  readonly kind: 'request';
  readonly actor: Actor;
  readonly action: string;
  /** Resource ARN, or `*` for actions that take no resource. */
  readonly resource: string;
  /** The account owning the resource, when the ARN does not say (S3) and the resource is not in the assembly. */
  readonly resourceAccount?: string;
  readonly network: Network;
  /** The context keys particular to this request, as AWS documents them. */
  readonly context?: Record<string, string | string[]>;
  readonly expect: Expectation;
  /** An abuse case: what must be refused. */
  readonly abuse?: boolean;
  /** For Denied: the policy type whose statement must deny (`boundary:explicit`, `resource:explicit`, `endpoint`…). */
  readonly deniedBy?: string;
}

export interface CheckOutcome {
  readonly pass: boolean;
  readonly detail: string;
}

export interface CheckStep extends StepBase {
  readonly kind: 'check';
  /** Who relies on it (CloudFormation, the deployer, a reviewer). */
  readonly actor: string;
  /** What is checked, as a sentence. */
  readonly request: string;
  readonly run: (w: JourneyWorld) => CheckOutcome;
}

export type Step = RequestStep | CheckStep;

export interface Journey {
  readonly id: number;
  readonly slug: string;
  readonly title: string;
  readonly summary: string;
  readonly steps: readonly Step[];
}

/** How a step came out. */
export type Outcome = 'pass' | 'fail' | 'error' | 'not-applicable';

export interface StepResult {
  readonly id: string;
  readonly title: string;
  readonly kind: 'request' | 'check';
  /** Who sends the request: the role ARN, the service principal, the external principal. */
  readonly actor: string;
  /** `<action> <resource>`, or the checked property. */
  readonly request: string;
  /** Through which VPC endpoint, or from where. */
  readonly network: string;
  readonly expected: Expectation | 'Pass';
  /** Request: the simulator's decision; check: Pass or Fail. */
  readonly decision: Decision | 'Pass' | 'Fail' | 'NotApplicable';
  readonly outcome: Outcome;
  /** The statements that decided it (grants when Allowed, denials otherwise), or the check's detail. */
  readonly deciding: string[];
  /** The context the request was evaluated with. */
  readonly context?: Record<string, string | string[]>;
  /** The policies evaluated. */
  readonly evaluated?: string[];
  /** Explicit context keys of the step that the simulator ignored (AWS does not send them with this action). */
  readonly ignoredContextKeys?: string[];
  readonly abuse?: boolean;
  readonly defects?: readonly string[];
  readonly doc: readonly string[];
  /** Why the outcome is not `pass`: the lookup that failed, the unexpected decision, the ARN that differs. */
  readonly problem?: string;
  /** For role actors: the ARN the design gives the role, when the role found has another. */
  readonly designedArn?: string;
}

export interface JourneyResult {
  readonly id: number;
  readonly slug: string;
  readonly title: string;
  readonly summary: string;
  readonly steps: StepResult[];
}

/** An account that is not the platform's (for abuse cases). */
export const OTHER_ACCOUNT = '444455556666';
/** Placeholder for an AWS-owned account (the principal ECR presigns image-layer URLs with). */
export const AWS_OWNED_ACCOUNT = '999999999999';
/** A documentation address (RFC 5737): the source IP of requests from outside the VPC. */
export const OUTSIDE_IP = '203.0.113.25';
/** The marker lookups return for what the assembly does not have. */
const MISSING = 'missing:';

/**
 * The assembly seen as a platform: its name, workloads, buckets, keys, endpoints, roles and APIs.
 * Lookups never throw: what is not found comes back as `missing:<what>`, and a step that uses it is an error.
 */
export class JourneyWorld {
  public readonly index: PolicyIndex;
  public readonly account: string;
  public readonly region: string;
  public readonly platformName: string;
  public readonly profile: 'dev' | 'production';

  constructor(
    public readonly assembly: CloudAssembly,
    env: PlaceholderEnvironment = {},
  ) {
    const resolver = new AssemblyResolver(assembly, env);
    this.index = new PolicyIndex(assembly, resolver);
    const platformStack = assembly.stacks.find((s) => s.stackName.endsWith('-platform'));
    this.account = platformStack ? resolver.accountOf(platformStack) : resolver.account;
    this.region = platformStack ? resolver.regionOf(platformStack) : resolver.region;
    this.platformName = platformStack
      ? platformStack.stackName.slice(0, -'-platform'.length)
      : `${MISSING}platform stack`;
    this.profile = this.index.resourcesOfType('AWS::GuardDuty::Detector').length > 0 ? 'production' : 'dev';
  }

  /** Whether the assembly is a platform at all (has a `<name>-platform` stack). */
  public get isPlatform(): boolean {
    return !this.platformName.startsWith(MISSING);
  }

  public get resolver(): AssemblyResolver {
    return this.index.intrinsics;
  }

  public stackName(suffix: string): string {
    return `${this.platformName}-${suffix}`;
  }

  /**
   * Workload names by kind, from the workload stacks: an endpoint, a fleet, a grant to invoke Bedrock
   * models (genai), or none of these (an agent).
   */
  public workloads(kind: 'realtime' | 'batch' | 'agent' | 'genai'): string[] {
    const prefix = `${this.platformName}-workload-`;
    return this.assembly.stacks
      .filter((s) => s.stackName.startsWith(prefix))
      .filter((s) => {
        const types = new Set(Object.values(s.template.Resources ?? {}).map((r) => r.Type));
        const realtime = types.has('AWS::SageMaker::Endpoint');
        const batch = types.has('AWS::AutoScaling::AutoScalingGroup');
        const genai =
          !realtime && !batch && JSON.stringify(s.template.Resources ?? {}).includes('"bedrock:InvokeModel"');
        if (kind === 'genai') return genai;
        return kind === 'realtime' ? realtime : kind === 'batch' ? batch : !realtime && !batch && !genai;
      })
      .map((s) => s.stackName.slice(prefix.length))
      .sort(byString);
  }

  /** The first workload of a kind (the journeys' subject), or a missing marker. */
  public workload(kind: 'realtime' | 'batch' | 'agent' | 'genai'): string {
    return this.workloads(kind)[0] ?? `${MISSING}a ${kind} workload`;
  }

  /** The resources of a type whose owner path starts with `pathPrefix`. */
  public find(type: string, pathPrefix = ''): AssemblyResource[] {
    return this.index.resourcesOfType(type).filter((r) => this.index.idOf(r).startsWith(pathPrefix));
  }

  public props(r: AssemblyResource): Record<string, unknown> {
    return this.index.propsOf(r);
  }

  /** A bucket's name by its owner construct path. */
  public bucketName(path: string): string {
    const [bucket] = this.find('AWS::S3::Bucket', path).filter((b) => this.index.idOf(b) === path);
    return bucket ? this.index.refOf(bucket) : `${MISSING}bucket ${path}`;
  }

  public objectArn(bucketName: string, key: string): string {
    return `arn:aws:s3:::${bucketName}/${key}`;
  }

  public bucketArn(bucketName: string): string {
    return `arn:aws:s3:::${bucketName}`;
  }

  /** A key's ARN by one of its alias names (`alias/<platform>/data`). */
  public keyArnByAlias(alias: string): string {
    return this.index.keys().find((k) => k.aliases.includes(alias))?.arn ?? `${MISSING}key ${alias}`;
  }

  /** The ARN of the key a resource property names (key ARN, id or alias). */
  public keyArnOf(value: unknown): string {
    if (value === undefined) return `${MISSING}key`;
    return this.index.keyByArn(String(value))?.arn ?? `${MISSING}key ${String(value)}`;
  }

  /** The default SSE-KMS key of a bucket. */
  public bucketKeyArn(bucketName: string): string {
    const bucket = this.index.bucketByName(bucketName);
    if (!bucket) return `${MISSING}bucket ${bucketName}`;
    const rule = asArray(
      (this.props(bucket).BucketEncryption as { ServerSideEncryptionConfiguration?: unknown } | undefined)
        ?.ServerSideEncryptionConfiguration,
    )[0] as { ServerSideEncryptionByDefault?: { KMSMasterKeyID?: unknown } } | undefined;
    return this.keyArnOf(rule?.ServerSideEncryptionByDefault?.KMSMasterKeyID);
  }

  /** The VPC endpoint of a service. */
  public endpoint(service: string): EndpointRecord | undefined {
    return this.index.endpointsByService().get(service);
  }

  /** The ARN of a workload's image repository (its name ends in `/<workload>`). */
  public repositoryArn(workload: string): string {
    const repo = this.index
      .resourcesOfType('AWS::ECR::Repository')
      .find((r) => String(this.props(r).RepositoryName ?? '').endsWith(`/${workload}`));
    return repo ? this.index.attOf(repo, 'Arn') : `${MISSING}image repository of ${workload}`;
  }

  /** The ARN of a workload's SageMaker endpoint. */
  public sagemakerEndpointArn(workload: string): string {
    const [ep] = this.find('AWS::SageMaker::Endpoint', this.stackName(`workload-${workload}`));
    return ep ? this.index.refOf(ep) : `${MISSING}SageMaker endpoint of ${workload}`;
  }

  /** The SageMaker model of a workload. */
  public sagemakerModel(workload: string): AssemblyResource | undefined {
    return this.find('AWS::SageMaker::Model', this.stackName(`workload-${workload}`))[0];
  }

  /** The routes of the REST APIs, with their integration roles. */
  public apiRoutes(): ApiRoute[] {
    const out: ApiRoute[] = [];
    for (const api of this.index.restApis()) {
      const stages = this.index
        .resourcesOfType('AWS::ApiGateway::Stage')
        .filter((s) => this.props(s).RestApiId === api.apiId)
        .map((s) => String(this.props(s).StageName));
      const parts = new Map<string, { part: string; parent: string }>();
      for (const r of this.index.resourcesOfType('AWS::ApiGateway::Resource')) {
        const rp = this.props(r);
        if (rp.RestApiId === api.apiId)
          parts.set(this.index.refOf(r), { part: String(rp.PathPart), parent: String(rp.ParentId) });
      }
      const pathOf = (resourceId: string): string => {
        const segments: string[] = [];
        for (let id = resourceId, i = 0; parts.has(id) && i < 64; i++) {
          segments.unshift(parts.get(id)!.part);
          id = parts.get(id)!.parent;
        }
        return `/${segments.join('/')}`;
      };
      for (const m of this.index.resourcesOfType('AWS::ApiGateway::Method')) {
        const mp = this.props(m);
        if (mp.RestApiId !== api.apiId || String(mp.HttpMethod).toUpperCase() === 'OPTIONS') continue;
        const integration = (mp.Integration ?? {}) as { Credentials?: unknown; Uri?: unknown };
        const endpointName = /endpoints\/([^/]+)\/invocations/.exec(String(integration.Uri ?? ''))?.[1];
        for (const stage of stages.length > 0 ? stages : [`${MISSING}stage`]) {
          const path = pathOf(String(mp.ResourceId));
          out.push({
            apiId: api.apiId,
            apiPath: api.id,
            private: api.endpointTypes.includes('PRIVATE'),
            stage,
            method: String(mp.HttpMethod).toUpperCase(),
            path,
            arn: `${api.arn}/${stage}/${String(mp.HttpMethod).toUpperCase()}${path}`,
            authorizationType: String(mp.AuthorizationType ?? 'NONE'),
            ...(mp.AuthorizerId ? { authorizerId: String(mp.AuthorizerId) } : {}),
            ...(integration.Credentials ? { integrationRoleArn: String(integration.Credentials) } : {}),
            ...(endpointName ? { endpointName } : {}),
            methodResource: m,
          });
        }
      }
    }
    return out.sort((a, b) => byString(a.arn, b.arn));
  }

  /** The route of the private (machine) or regional (people) API that invokes a workload's endpoint. */
  public route(api: 'private' | 'people', workload: string): ApiRoute | undefined {
    return this.apiRoutes().find(
      (r) => r.private === (api === 'private') && r.endpointName !== undefined && r.path.includes(`/${workload}/`),
    );
  }

  /** The role an actor names: by its designed ARN, else by its construct path. */
  public role(actor: RoleActor): RoleRecord | undefined {
    return (
      (actor.arn ? this.index.roleByArn(actor.arn) : undefined) ??
      (actor.path ? this.index.roleByPath(actor.path) : undefined)
    );
  }

  /** The owner path of a workload's role. */
  public workloadRolePath(workload: string): string {
    return `${this.stackName(`workload-${workload}`)}/Identity`;
  }

  /** The trail of the audit stack. */
  public trail(): { arn: string; name: string; kmsKeyId: string; bucket: string } {
    const [trail] = this.index.resourcesOfType('AWS::CloudTrail::Trail');
    if (!trail)
      return {
        arn: `${MISSING}trail`,
        name: `${MISSING}trail`,
        kmsKeyId: `${MISSING}trail`,
        bucket: `${MISSING}trail`,
      };
    const p = this.props(trail);
    return {
      arn: this.index.attOf(trail, 'Arn'),
      name: this.index.refOf(trail),
      kmsKeyId: String(p.KMSKeyId ?? `${MISSING}trail key`),
      bucket: String(p.S3BucketName ?? `${MISSING}trail bucket`),
    };
  }

  /** Buckets with server access logging: the source bucket, the target bucket and prefix. */
  public accessLogging(): Array<{ source: string; target: string; prefix: string }> {
    return this.index
      .resourcesOfType('AWS::S3::Bucket')
      .map((b) => ({ b, lc: this.props(b).LoggingConfiguration as Record<string, unknown> | undefined }))
      .filter(({ lc }) => lc?.DestinationBucketName !== undefined)
      .map(({ b, lc }) => ({
        source: this.index.refOf(b),
        target: String(lc!.DestinationBucketName),
        prefix: String(lc!.LogFilePrefix ?? ''),
      }))
      .sort((a, b) => byString(a.source, b.source));
  }
}

/** A route of a REST API. */
export interface ApiRoute {
  readonly apiId: string;
  readonly apiPath: string;
  readonly private: boolean;
  readonly stage: string;
  readonly method: string;
  /** `/v1/<workload>/invoke` */
  readonly path: string;
  /** `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>` */
  readonly arn: string;
  readonly authorizationType: string;
  readonly authorizerId?: string;
  readonly integrationRoleArn?: string;
  readonly endpointName?: string;
  readonly methodResource: AssemblyResource;
}

/** Evaluate one step. */
export async function evaluateStep(w: JourneyWorld, step: Step): Promise<StepResult> {
  const common = {
    id: step.id,
    title: step.title,
    kind: step.kind,
    doc: step.doc,
    ...(step.defects ? { defects: step.defects } : {}),
  };
  if (step.profile && step.profile !== w.profile) {
    return {
      ...common,
      actor: step.kind === 'check' ? step.actor : describeActor(step.actor),
      request: step.kind === 'check' ? step.request : `${step.action} ${step.resource}`,
      network: step.kind === 'check' ? '' : describeNetwork(step.network),
      expected: step.kind === 'check' ? 'Pass' : step.expect,
      decision: 'NotApplicable',
      outcome: 'not-applicable',
      deciding: [`${step.profile} profile only (this assembly: ${w.profile})`],
      ...(step.kind === 'request' && step.abuse ? { abuse: true } : {}),
    };
  }
  if (step.kind === 'check') {
    let outcome: CheckOutcome;
    try {
      outcome = step.run(w);
    } catch (e) {
      outcome = { pass: false, detail: `check failed to run: ${(e as Error).message}` };
    }
    return {
      ...common,
      actor: step.actor,
      request: step.request,
      network: '',
      expected: 'Pass',
      decision: outcome.pass ? 'Pass' : 'Fail',
      outcome: outcome.pass ? 'pass' : 'fail',
      deciding: [outcome.detail],
      ...(outcome.pass ? {} : { problem: outcome.detail }),
    };
  }
  return evaluateRequest(w, step, common);
}

async function evaluateRequest(
  w: JourneyWorld,
  step: RequestStep,
  common: Pick<StepResult, 'id' | 'title' | 'kind' | 'doc' | 'defects'>,
): Promise<StepResult> {
  const actor = step.actor;
  const role = actor.kind === 'role' ? w.role(actor) : undefined;
  const actorText =
    actor.kind === 'role'
      ? (role?.arn ?? `${MISSING}role ${actor.arn ?? actor.path}`)
      : actor.kind === 'service'
        ? actor.service
        : actor.kind === 'external'
          ? actor.arn
          : 'anonymous';
  const base = {
    ...common,
    actor: actorText,
    request: `${step.action} ${step.resource}`,
    network: describeNetwork(step.network),
    expected: step.expect,
    ...(step.abuse ? { abuse: true } : {}),
  };
  const designedArn =
    actor.kind === 'role' && role && actor.arn && role.arn !== actor.arn ? { designedArn: actor.arn } : {};
  const arnProblem =
    actor.kind === 'role' && role && actor.arnLike && !wildcardMatch(actor.arnLike, role.arn)
      ? `the role's ARN ${role.arn} is not under ${actor.arnLike}`
      : undefined;

  const missing = findMissing({
    actor: actorText,
    resource: step.resource,
    context: step.context ?? {},
    network: step.network,
  });
  const endpoint = 'endpoint' in step.network ? w.endpoint(step.network.endpoint) : undefined;
  if ('endpoint' in step.network && !endpoint) missing.push(`VPC endpoint for ${step.network.endpoint}`);
  if (missing.length > 0) {
    return {
      ...base,
      ...designedArn,
      decision: 'Error',
      outcome: 'error',
      deciding: [],
      problem: `not in the assembly: ${missing.join(', ')}`,
    };
  }

  // The resource, its account, its policy and tags.
  const target = resourceOf(w, step, role);
  const principalAccount =
    actor.kind === 'role' ? role!.account : actor.kind === 'external' ? actor.account : undefined;

  const context: Record<string, string | string[]> = { 'aws:SecureTransport': 'true' };
  const service = step.action.split(':')[0];
  if (actor.kind === 'role' || actor.kind === 'external') {
    const arn = actor.kind === 'role' ? role!.arn : actor.arn;
    Object.assign(context, {
      'aws:PrincipalArn': arn,
      'aws:PrincipalAccount': principalAccount!,
      'aws:PrincipalType': arn.includes(':assumed-role/') || arn.includes(':role/') ? 'AssumedRole' : 'User',
      'aws:PrincipalIsAWSService': 'false',
      'aws:ViaAWSService': 'false',
    });
    for (const [k, v] of Object.entries(actor.kind === 'role' ? role!.tags : {})) context[`aws:PrincipalTag/${k}`] = v;
  } else if (actor.kind === 'service') {
    Object.assign(context, { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': actor.service });
  }
  if (target.account) context['aws:ResourceAccount'] = target.account;
  for (const [k, v] of Object.entries(target.tags)) context[`aws:ResourceTag/${k}`] = v;
  if (endpoint) {
    context['aws:SourceVpce'] = endpoint.id;
    if (endpoint.vpcId) context['aws:SourceVpc'] = endpoint.vpcId;
  } else if ('outside' in step.network) {
    context['aws:SourceIp'] = OUTSIDE_IP;
  } else if ('via' in step.network) {
    context['aws:ViaAWSService'] = 'true';
  }
  if (service === 's3') {
    context['s3:TlsVersion'] = '1.3';
    context['s3:signatureversion'] = 'AWS4-HMAC-SHA256';
    context['s3:authType'] = 'REST-HEADER';
  }
  if (service === 'kms') {
    if (principalAccount) context['kms:CallerAccount'] = principalAccount;
    if (target.aliases.length > 0) context['kms:ResourceAliases'] = target.aliases;
    if ('via' in step.network) context['kms:ViaService'] = `${step.network.via}.${w.region}.amazonaws.com`;
  }
  Object.assign(context, step.context ?? {});

  const evaluated: string[] = [];
  const identityPolicies =
    actor.kind === 'role' ? role!.policies : actor.kind === 'external' ? actor.identityPolicies : [];
  for (const p of identityPolicies) evaluated.push(`identity: ${p.name}`);
  const boundary = actor.kind === 'role' ? role!.boundary : undefined;
  if (actor.kind === 'role' && role!.boundaryArn && !boundary)
    evaluated.push(`boundary NOT IN ASSEMBLY: ${role!.boundaryArn}`);
  if (boundary) evaluated.push(`boundary: ${boundary.name}`);
  if (target.policy) evaluated.push(`${target.policyKind}: ${target.policyName}`);
  if (endpoint?.policy) evaluated.push(`endpoint: ${endpoint.path} (${endpoint.id})`);
  if (actor.kind === 'role' && role!.unevaluated.length > 0)
    evaluated.push(`not in the assembly: ${role!.unevaluated.join(', ')}`);

  const principal =
    actor.kind === 'role'
      ? { arn: `arn:aws:sts::${role!.account}:assumed-role/${role!.name}/${actor.session}` }
      : actor.kind === 'external'
        ? { arn: actor.arn }
        : actor.kind === 'service'
          ? { service: actor.service }
          : { anonymous: true as const };
  const result = await simulateRequest({
    principal,
    action: step.action,
    resource: step.resource,
    resourceAccount: target.account ?? w.account,
    context,
    identityPolicies,
    ...(boundary ? { permissionsBoundary: boundary } : {}),
    ...(target.policy ? { resourcePolicy: target.policy } : {}),
    ...(endpoint?.policy ? { vpcEndpointPolicies: [{ name: endpoint.path, policy: endpoint.policy }] } : {}),
  });
  const ignored = (result.ignoredContextKeys ?? []).filter((k) => step.context && k in step.context);
  const deciding = result.allowedBy ?? result.deniedBy ?? (result.error ? [result.error] : []);
  const problems: string[] = [];
  if (result.decision === 'Error') problems.push(`the simulator rejected the request: ${result.error}`);
  else if (step.expect === 'Allowed' && result.decision !== 'Allowed')
    problems.push(`expected Allowed, got ${result.decision} (${deciding.join('; ')})`);
  else if (step.expect === 'Denied' && result.decision === 'Allowed')
    problems.push(`expected Denied, got Allowed (${deciding.join('; ')})`);
  else if (step.expect === 'Denied' && step.deniedBy && !deciding.some((d) => d.startsWith(step.deniedBy!)))
    problems.push(`expected a denial by ${step.deniedBy}, got ${deciding.join('; ')}`);
  if (ignored.length > 0) problems.push(`context keys AWS does not send with ${step.action}: ${ignored.join(', ')}`);
  if (arnProblem) problems.push(arnProblem);
  return {
    ...base,
    ...designedArn,
    decision: result.decision,
    outcome: result.decision === 'Error' ? 'error' : problems.length > 0 ? 'fail' : 'pass',
    deciding,
    context,
    evaluated,
    ...(ignored.length > 0 ? { ignoredContextKeys: ignored } : {}),
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

interface Target {
  readonly account?: string;
  readonly policy?: PolicyDoc;
  readonly policyKind?: string;
  readonly policyName?: string;
  readonly tags: Record<string, string>;
  readonly aliases: string[];
}

/** The resource a request names, with its policy: bucket, key, repository, API, topic policy, or a role's trust policy. */
function resourceOf(w: JourneyWorld, step: RequestStep, role: RoleRecord | undefined): Target {
  const arn = step.resource;
  const none = { tags: {}, aliases: [] };
  if (step.action.toLowerCase().startsWith('sts:assumerole')) {
    const assumed = w.index.roleByArn(arn);
    return {
      ...none,
      account: assumed?.account ?? step.resourceAccount,
      ...(assumed?.trustPolicy
        ? { policy: assumed.trustPolicy, policyKind: 'trust', policyName: `trust policy of ${assumed.id}` }
        : {}),
    };
  }
  const s3 = /^arn:aws:s3:::([^/]+)/.exec(arn);
  if (s3) {
    const bucket = w.index.bucketByName(s3[1]);
    const policy = bucket ? w.index.bucketPolicy(s3[1]) : undefined;
    return {
      ...none,
      account: bucket ? w.resolver.accountOf(bucket.stack) : (step.resourceAccount ?? w.account),
      ...(policy ? { policy, policyKind: 'resource', policyName: `bucket policy of ${s3[1]}` } : {}),
    };
  }
  const account =
    /^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(arn)?.[1] ?? step.resourceAccount ?? role?.account ?? w.account;
  if (arn.startsWith('arn:aws:kms:')) {
    const key = w.index.keyByArn(arn);
    return key
      ? {
          account,
          policy: key.policy,
          policyKind: 'resource',
          policyName: `key policy of ${key.id}`,
          tags: key.tags,
          aliases: key.aliases,
        }
      : { ...none, account };
  }
  if (arn.startsWith('arn:aws:ecr:')) {
    const policy = w.index.repositoryPolicy(arn);
    return {
      ...none,
      account,
      tags: w.index.repositoryTags(arn),
      ...(policy
        ? { policy, policyKind: 'resource', policyName: `repository policy of ${arn.split(':repository/')[1]}` }
        : {}),
    };
  }
  if (arn.startsWith('arn:aws:execute-api:')) {
    const api = w.index.restApis().find((a) => arn.startsWith(`${a.arn}/`));
    return {
      ...none,
      account,
      ...(api?.policy
        ? { policy: api.policy, policyKind: 'resource', policyName: `resource policy of API ${api.id}` }
        : {}),
    };
  }
  if (arn.startsWith('arn:aws:sns:')) {
    const policy = w.index.topicPolicy(arn);
    return {
      ...none,
      account,
      ...(policy ? { policy, policyKind: 'resource', policyName: `topic policy of ${arn}` } : {}),
    };
  }
  return { ...none, account };
}

function findMissing(value: unknown): string[] {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      const i = v.indexOf(MISSING);
      if (i >= 0) out.add(v.slice(i + MISSING.length));
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return [...out];
}

function describeActor(actor: Actor): string {
  switch (actor.kind) {
    case 'role':
      return actor.arn ?? actor.path ?? actor.label;
    case 'service':
      return actor.service;
    case 'external':
      return actor.arn;
    default:
      return 'anonymous';
  }
}

/** The network of a request, as the report shows it. */
export function describeNetwork(n: Network): string {
  if ('endpoint' in n) return `VPC endpoint ${n.endpoint}`;
  if ('outside' in n) return 'outside the VPC';
  if ('awsNetwork' in n) return `AWS network (${n.awsNetwork})`;
  return `via ${n.via} (on the caller's behalf)`;
}

/** IAM-style wildcard match (`*` any run, `?` one character). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/** A resource's tags (for checks). */
export function resourceTags(w: JourneyWorld, r: AssemblyResource): Record<string, string> {
  return tagsOf(w.props(r));
}
