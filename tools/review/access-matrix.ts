/**
 * The access matrix: for every IAM role of the assembly and every platform resource (buckets and the
 * object prefixes policies name, KMS keys, SageMaker endpoints, API routes, signing profiles), whether
 * each sensitive action is Allowed or Denied, by evaluating the synthesized policies with
 * `@cloud-copilot/iam-simulate` (identity policies, permissions boundary, resource policy, VPC endpoint policy).
 *
 * Intrinsics are resolved to placeholder ARNs (see intrinsics.ts) the same way for policies and resources.
 * The request context is that of a real caller: a role session over TLS, through the platform's VPC
 * endpoint for the service when the assembly has one, and for KMS data actions either direct or via
 * each service that uses the key (kms:ViaService).
 */
import { CloudAssembly } from './assembly';
import { AssemblyResolver, PlaceholderEnvironment } from './intrinsics';
import { byString } from './json';
import { defaultKeyPolicy, EndpointRecord, expandExecuteApi, PolicyIndex } from './policies';
import { asArray, tagsOf } from './resolved-templates';
import { Decision, NamedPolicy, PolicyDoc, simulateRequest } from './simulate';

export type { Decision } from './simulate';

/** Sensitive actions evaluated for each kind of resource. */
export const SENSITIVE_ACTIONS = {
  bucket: ['s3:ListBucket', 's3:PutBucketPolicy', 's3:DeleteBucket'],
  object: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
  'kms-key': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
  'sagemaker-endpoint': ['sagemaker:InvokeEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:DeleteEndpoint'],
  'api-route': ['execute-api:Invoke'],
  'signing-profile': ['signer:StartSigningJob', 'signer:RevokeSignature'],
  // Generative AI (issue #14): a model is evaluated once per guardrail of the assembly (the request names
  // that guardrail's published version) and once naming none.
  'bedrock-model': ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
  'bedrock-guardrail': ['bedrock:ApplyGuardrail', 'bedrock:UpdateGuardrail', 'bedrock:DeleteGuardrail'],
  'vector-collection': ['aoss:APIAccessAll', 'aoss:DeleteCollection'],
  'knowledge-base': ['bedrock:Retrieve', 'bedrock:DeleteKnowledgeBase'],
} as const;

export type ResourceKind = keyof typeof SENSITIVE_ACTIONS;

/** KMS actions that services perform on a caller's behalf (evaluated once direct and once per using service). */
const KMS_DATA_ACTIONS = new Set(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);

/** The tag naming the workload a role or resource belongs to. */
export const WORKLOAD_TAG = 'ai-platform:workload';

export interface MatrixPrincipal {
  /** Construct path of the role (stable key). */
  readonly id: string;
  readonly arn: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly workload?: string;
  /** ARN of the permissions boundary, if any. */
  readonly permissionsBoundary?: string;
  /** Identity policies evaluated, by name. */
  readonly identityPolicies: string[];
  /** Policies attached but not in the assembly (AWS managed or imported): not evaluated. */
  readonly unevaluatedPolicies: string[];
  /** Who may assume the role (principals of Allow statements of the trust policy). */
  readonly trustedBy: string[];
}

export interface MatrixResource {
  /** Stable key: construct path, plus `#<key pattern>` for objects or the route for API routes. */
  readonly id: string;
  readonly kind: ResourceKind;
  /** The ARN used as the request's resource. */
  readonly arn: string;
  readonly constructPath?: string;
  readonly workload?: string;
  /** For objects: the bucket's id. For API routes: the API's id. */
  readonly parent?: string;
  /** For objects: the key pattern policies name (`data/fraud/*`), or `*` for keys no policy names. */
  readonly keyPattern?: string;
  /** For buckets and objects: the id of the KMS key that encrypts them, if in the assembly. */
  readonly encryptionKey?: string;
  /** The ARN of the bucket's default key, as its policies name it: a compliant upload names it in its SSE-KMS headers. */
  readonly encryptionKeyArn?: string;
  /** For API routes: the method's authorization type. */
  readonly authorizationType?: string;
  /**
   * For API routes whose method has an authorizer (Cognito user pool, Lambda): what a caller needs beyond IAM,
   * e.g. `a Cognito token (authorizer PeopleAuthorizer)`. IAM alone does not decide these routes.
   */
  readonly authorizer?: string;
  /** For KMS keys: services that use the key (their kms:ViaService values). */
  readonly usedVia?: string[];
  /** The VPC endpoint a caller reaches this resource through, if the assembly has one for its service. */
  readonly vpcEndpoint?: string;
  /**
   * For Bedrock models: the guardrail (id) whose published version the request names
   * (`bedrock:GuardrailIdentifier`), or `none`.
   */
  readonly guardrail?: string;
  readonly actions: string[];
}

export interface MatrixCell {
  readonly principal: string;
  readonly resource: string;
  readonly action: string;
  /** For KMS data actions: `direct` or the kms:ViaService value. */
  readonly via?: string;
  readonly decision: Decision;
  /** Statements that allowed the request (Allowed only). */
  readonly allowedBy?: string[];
  /** Policies that denied it: `<policy type>:explicit(<sid or #n>)` or `<policy type>:implicit`. */
  readonly deniedBy?: string[];
  /** For an Allowed API route with an authorizer: IAM allows it, and the caller also needs this (see MatrixResource.authorizer). */
  readonly requires?: string;
  readonly error?: string;
}

export interface AccessMatrix {
  readonly schemaVersion: 1;
  readonly environment: { readonly account: string; readonly region: string };
  readonly requestContext: string[];
  readonly principals: MatrixPrincipal[];
  readonly resources: MatrixResource[];
  readonly cells: MatrixCell[];
  /** Allowed cells where the role's workload differs from the resource's. */
  readonly crossWorkloadAllowed: Array<{ principal: string; resource: string; action: string; via?: string }>;
  /** References the resolver could not resolve (their placeholders cannot match real grants). */
  readonly unresolved: string[];
}

export interface AccessMatrixOptions extends PlaceholderEnvironment {
  /** Limit the evaluation to these principal ids (construct paths). @default - every role */
  readonly principals?: string[];
}

interface Principal extends MatrixPrincipal {
  readonly account: string;
  readonly sessionArn: string;
  readonly tags: Record<string, string>;
  readonly policies: NamedPolicy[];
  readonly boundaryPolicy?: PolicyDoc;
}

interface Resource extends MatrixResource {
  readonly account: string;
  /** Request context particular to the resource (a Bedrock model's guardrail). */
  readonly context?: Record<string, string>;
  readonly resourcePolicy?: PolicyDoc;
  readonly tags: Record<string, string>;
  readonly endpoint?: { id: string; vpcId?: string; policy?: PolicyDoc };
}

/** Evaluate the matrix for an assembly. */
export async function buildAccessMatrix(
  assembly: CloudAssembly,
  options: AccessMatrixOptions = {},
): Promise<AccessMatrix> {
  const resolver = new AssemblyResolver(assembly, options);
  const model = new PolicyModel(assembly, resolver);
  const principals = model
    .principals()
    .filter((p) => !options.principals || options.principals.includes(p.id))
    .sort((a, b) => byString(a.id, b.id));
  const resources = model.resources().sort((a, b) => byString(a.id, b.id));

  const cells: MatrixCell[] = [];
  for (const principal of principals) {
    for (const resource of resources) {
      for (const action of resource.actions) {
        const vias =
          resource.kind === 'kms-key' && KMS_DATA_ACTIONS.has(action)
            ? ['direct', ...(resource.usedVia ?? [])]
            : [undefined];
        for (const via of vias) {
          cells.push(await evaluate(principal, resource, action, via));
        }
      }
    }
  }
  cells.sort(
    (a, b) =>
      byString(a.principal, b.principal) ||
      byString(a.resource, b.resource) ||
      byString(a.action, b.action) ||
      byString(a.via ?? '', b.via ?? ''),
  );

  const principalById = new Map(principals.map((p) => [p.id, p]));
  const resourceById = new Map(resources.map((r) => [r.id, r]));
  const crossWorkloadAllowed = cells
    .filter((c) => {
      const pw = principalById.get(c.principal)?.workload;
      const rw = resourceById.get(c.resource)?.workload;
      return c.decision === 'Allowed' && pw !== undefined && rw !== undefined && pw !== rw;
    })
    .map((c) => ({ principal: c.principal, resource: c.resource, action: c.action, ...(c.via ? { via: c.via } : {}) }));

  return {
    schemaVersion: 1,
    environment: { account: resolver.account, region: resolver.region },
    requestContext: [
      'principal: a session of the role (arn:aws:sts::<account>:assumed-role/<name>/review); aws:PrincipalArn is the role ARN',
      'aws:SecureTransport = true; aws:PrincipalAccount, aws:PrincipalTag/* from the role',
      "s3:PutObject: SSE-KMS headers naming the bucket's own key (a compliant upload)",
      'aws:SourceVpce / aws:SourceVpc: the assembly VPC endpoint for the service, when there is one (its policy is evaluated too)',
      'kms data actions: evaluated direct and via each service that uses the key (kms:ViaService, aws:ViaAWSService)',
      'no SCPs or RCPs (none are in the assembly); AWS managed policies are listed as unevaluated',
      'API routes with a Cognito or Lambda authorizer: the decision is the IAM layer only; the cell says what the authorizer also requires (field requires)',
    ],
    principals: principals.map(publicPrincipal),
    resources: resources.map(publicResource),
    cells,
    crossWorkloadAllowed,
    unresolved: [...resolver.unresolved].sort(byString),
  };
}

async function evaluate(
  principal: Principal,
  resource: Resource,
  action: string,
  via: string | undefined,
): Promise<MatrixCell> {
  const context: Record<string, string | string[]> = {
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': principal.arn,
    'aws:PrincipalAccount': principal.account,
    'aws:PrincipalType': 'AssumedRole',
    'aws:ResourceAccount': resource.account,
  };
  for (const [k, v] of Object.entries(principal.tags)) context[`aws:PrincipalTag/${k}`] = v;
  for (const [k, v] of Object.entries(resource.tags)) context[`aws:ResourceTag/${k}`] = v;
  if (resource.endpoint && via === undefined) {
    context['aws:SourceVpce'] = resource.endpoint.id;
    if (resource.endpoint.vpcId) context['aws:SourceVpc'] = resource.endpoint.vpcId;
  }
  if (action.startsWith('kms:')) context['kms:CallerAccount'] = principal.account;
  Object.assign(context, resource.context ?? {});
  if (action === 's3:PutObject' && resource.encryptionKeyArn) {
    // A compliant upload names SSE-KMS and the bucket's own key, as the platform buckets require.
    context['s3:x-amz-server-side-encryption'] = 'aws:kms';
    context['s3:x-amz-server-side-encryption-aws-kms-key-id'] = resource.encryptionKeyArn;
  }
  if (via !== undefined) {
    context['aws:ViaAWSService'] = via === 'direct' ? 'false' : 'true';
    if (via !== 'direct') context['kms:ViaService'] = via;
    else if (resource.endpoint) {
      context['aws:SourceVpce'] = resource.endpoint.id;
      if (resource.endpoint.vpcId) context['aws:SourceVpc'] = resource.endpoint.vpcId;
    }
  }
  const useEndpoint = resource.endpoint && (via === undefined || via === 'direct');
  const base = { principal: principal.id, resource: resource.id, action, ...(via ? { via } : {}) };
  const result = await simulateRequest({
    principal: { arn: principal.sessionArn },
    action,
    resource: resource.arn,
    resourceAccount: resource.account,
    context,
    identityPolicies: principal.policies,
    ...(resource.resourcePolicy ? { resourcePolicy: resource.resourcePolicy } : {}),
    ...(principal.boundaryPolicy
      ? { permissionsBoundary: { name: principal.permissionsBoundary!, policy: principal.boundaryPolicy } }
      : {}),
    ...(useEndpoint && resource.endpoint?.policy
      ? { vpcEndpointPolicies: [{ name: resource.endpoint.id, policy: resource.endpoint.policy }] }
      : {}),
  });
  if (result.decision === 'Error') return { ...base, decision: 'Error', error: result.error };
  return {
    ...base,
    decision: result.decision,
    ...(result.allowedBy ? { allowedBy: result.allowedBy } : {}),
    ...(result.deniedBy ? { deniedBy: result.deniedBy } : {}),
    ...(result.decision === 'Allowed' && resource.authorizer ? { requires: resource.authorizer } : {}),
  };
}

function publicPrincipal(p: Principal): MatrixPrincipal {
  return {
    id: p.id,
    arn: p.arn,
    stack: p.stack,
    logicalId: p.logicalId,
    ...(p.workload ? { workload: p.workload } : {}),
    ...(p.permissionsBoundary ? { permissionsBoundary: p.permissionsBoundary } : {}),
    identityPolicies: p.identityPolicies,
    unevaluatedPolicies: p.unevaluatedPolicies,
    trustedBy: p.trustedBy,
  };
}

function publicResource(r: Resource): MatrixResource {
  const out: Record<string, unknown> = { ...r };
  for (const internal of ['account', 'resourcePolicy', 'tags', 'endpoint', 'context']) delete out[internal];
  return out as unknown as MatrixResource;
}

/** Reads principals, resources and their policies out of the resolved templates. */
class PolicyModel extends PolicyIndex {
  public principals(): Principal[] {
    return this.roles().map((role) => ({
      id: role.id,
      arn: role.arn,
      sessionArn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/review`,
      account: role.account,
      stack: role.stack,
      logicalId: role.logicalId,
      ...(role.tags[WORKLOAD_TAG] ? { workload: role.tags[WORKLOAD_TAG] } : {}),
      ...(role.boundaryArn ? { permissionsBoundary: role.boundaryArn } : {}),
      identityPolicies: role.policies.map((p) => p.name),
      unevaluatedPolicies: role.unevaluated,
      trustedBy: trustedBy(role.trustPolicy),
      tags: role.tags,
      policies: role.policies,
      ...(role.boundary ? { boundaryPolicy: role.boundary.policy } : {}),
    }));
  }

  public resources(): Resource[] {
    const out: Resource[] = [];
    const keys = this.ofType('AWS::KMS::Key');
    const keyIdOf = (value: unknown): string | undefined => {
      if (value === undefined) return undefined;
      const v = String(value);
      const key = keys.find((k) => v === this.ref(k) || v === this.resolver.getAtt(k.stack, k.logicalId, 'Arn'));
      if (key) return this.id(key);
      const alias = this.ofType('AWS::KMS::Alias').find(
        (a) => v === this.props(a).AliasName || v.endsWith(`:${String(this.props(a).AliasName)}`),
      );
      return alias ? keyIdOf(this.props(alias).TargetKeyId) : undefined;
    };
    const keyArnOf = (value: unknown): string | undefined => {
      if (value === undefined) return undefined;
      const v = String(value);
      const key = keys.find((k) => v === this.ref(k) || v === this.resolver.getAtt(k.stack, k.logicalId, 'Arn'));
      return key ? this.resolver.getAtt(key.stack, key.logicalId, 'Arn') : undefined;
    };
    const endpoints = this.endpointsByService();
    const workloads = new Set<string>();
    for (const r of this.all) {
      const w = tagsOf(this.props(r))[WORKLOAD_TAG];
      if (w) workloads.add(w);
    }

    // Buckets and the object key patterns any policy names.
    const patterns = this.objectPatterns();
    for (const bucket of this.ofType('AWS::S3::Bucket')) {
      const props = this.props(bucket);
      const name = this.ref(bucket);
      const id = this.id(bucket);
      const tags = tagsOf(props);
      const enc = asArray(
        (props.BucketEncryption as { ServerSideEncryptionConfiguration?: unknown } | undefined)
          ?.ServerSideEncryptionConfiguration,
      )[0] as { ServerSideEncryptionByDefault?: { KMSMasterKeyID?: unknown } } | undefined;
      const encryptionKey = keyIdOf(enc?.ServerSideEncryptionByDefault?.KMSMasterKeyID);
      const encryptionKeyArn = keyArnOf(enc?.ServerSideEncryptionByDefault?.KMSMasterKeyID);
      const bucketPolicy = this.bucketPolicy(name);
      const common = {
        account: this.resolver.accountOf(bucket.stack),
        resourcePolicy: bucketPolicy,
        tags: {},
        endpoint: endpoints.get('s3'),
        ...(encryptionKey ? { encryptionKey } : {}),
        ...(encryptionKeyArn ? { encryptionKeyArn } : {}),
        ...(endpoints.get('s3') ? { vpcEndpoint: endpoints.get('s3')!.id } : {}),
      };
      out.push({
        ...common,
        id,
        kind: 'bucket',
        arn: `arn:aws:s3:::${name}`,
        constructPath: bucket.constructPath,
        ...(tags[WORKLOAD_TAG] ? { workload: tags[WORKLOAD_TAG] } : {}),
        actions: [...SENSITIVE_ACTIONS.bucket],
      });
      for (const pattern of ['*', ...[...(patterns.get(name) ?? [])].filter((p) => p !== '*').sort(byString)]) {
        const probe =
          pattern === '*' ? 'review-probe/any-key' : pattern.replace(/\*/g, 'review-probe').replace(/\?/g, 'x');
        const segmentWorkload = pattern.split('/').find((s) => workloads.has(s));
        const workload = segmentWorkload ?? tags[WORKLOAD_TAG];
        out.push({
          ...common,
          id: `${id}#${pattern}`,
          kind: 'object',
          arn: `arn:aws:s3:::${name}/${probe}`,
          constructPath: bucket.constructPath,
          parent: id,
          keyPattern: pattern,
          ...(workload ? { workload } : {}),
          actions: [...SENSITIVE_ACTIONS.object],
        });
      }
    }

    // KMS keys, with the services that use them.
    for (const key of keys) {
      const props = this.props(key);
      const tags = tagsOf(props);
      const ref = this.ref(key);
      const keyArn = this.resolver.getAtt(key.stack, key.logicalId, 'Arn');
      const via = new Set<string>();
      for (const r of this.all) {
        if (r === key || r.type.startsWith('AWS::KMS::') || r.type.startsWith('AWS::IAM::')) continue;
        const service = VIA_SERVICE[r.type];
        if (!service) continue;
        const text = JSON.stringify(this.props(r));
        if (text.includes(`"${keyArn}"`) || text.includes(`"${ref}"`))
          via.add(`${service}.${this.resolver.regionOf(r.stack)}.amazonaws.com`);
      }
      out.push({
        id: this.id(key),
        kind: 'kms-key',
        arn: keyArn,
        constructPath: key.constructPath,
        account: this.resolver.accountOf(key.stack),
        resourcePolicy:
          (props.KeyPolicy as PolicyDoc | undefined) ?? defaultKeyPolicy(this.resolver.accountOf(key.stack)),
        tags,
        endpoint: endpoints.get('kms'),
        ...(endpoints.get('kms') ? { vpcEndpoint: endpoints.get('kms')!.id } : {}),
        ...(tags[WORKLOAD_TAG] ? { workload: tags[WORKLOAD_TAG] } : {}),
        usedVia: [...via].sort(byString),
        actions: [...SENSITIVE_ACTIONS['kms-key']],
      });
    }

    for (const ep of this.ofType('AWS::SageMaker::Endpoint')) {
      const tags = tagsOf(this.props(ep));
      out.push({
        id: this.id(ep),
        kind: 'sagemaker-endpoint',
        arn: this.ref(ep),
        constructPath: ep.constructPath,
        account: this.resolver.accountOf(ep.stack),
        tags,
        endpoint: endpoints.get('sagemaker.runtime'),
        ...(endpoints.get('sagemaker.runtime') ? { vpcEndpoint: endpoints.get('sagemaker.runtime')!.id } : {}),
        ...(tags[WORKLOAD_TAG] ? { workload: tags[WORKLOAD_TAG] } : {}),
        actions: [...SENSITIVE_ACTIONS['sagemaker-endpoint']],
      });
    }

    for (const profile of this.ofType('AWS::Signer::SigningProfile')) {
      const tags = tagsOf(this.props(profile));
      out.push({
        id: this.id(profile),
        kind: 'signing-profile',
        arn: this.resolver.getAtt(profile.stack, profile.logicalId, 'Arn'),
        constructPath: profile.constructPath,
        account: this.resolver.accountOf(profile.stack),
        tags,
        ...(tags[WORKLOAD_TAG] ? { workload: tags[WORKLOAD_TAG] } : {}),
        actions: [...SENSITIVE_ACTIONS['signing-profile']],
      });
    }

    out.push(...this.apiRoutes(endpoints.get('execute-api')));
    out.push(...this.genaiResources(endpoints, workloads));
    return out;
  }

  /**
   * Bedrock models (those the bedrock-runtime endpoint policies admit), evaluated through each guardrail's
   * published version and with none; the guardrails; vector collections; knowledge bases.
   */
  private genaiResources(endpoints: Map<string, EndpointRecord>, workloads: Set<string>): Resource[] {
    const out: Resource[] = [];
    const runtime = endpoints.get('bedrock-runtime');
    const agentRuntime = endpoints.get('bedrock-agent-runtime');
    const via = (ep: EndpointRecord | undefined) => (ep ? { endpoint: ep, vpcEndpoint: ep.id } : {});
    // A workload's guardrail construct is named Guardrail-<workload> (lib/genai/bedrock.ts).
    const workloadOf = (path: string): string | undefined => {
      const name = /\/Guardrail-([a-z0-9-]+)$/.exec(path)?.[1];
      return name && workloads.has(name) ? name : undefined;
    };
    const versions = this.ofType('AWS::Bedrock::GuardrailVersion');
    const guardrails = this.ofType('AWS::Bedrock::Guardrail').map((g) => {
      const arn = this.resolver.getAtt(g.stack, g.logicalId, 'GuardrailArn');
      const names = [this.resolver.getAtt(g.stack, g.logicalId, 'GuardrailId'), arn];
      const version = versions.find((v) => names.includes(String(this.props(v).GuardrailIdentifier)));
      return {
        resource: g,
        id: this.id(g),
        arn,
        workload: workloadOf(this.id(g)),
        identifier: version ? `${arn}:${this.resolver.getAtt(version.stack, version.logicalId, 'Version')}` : undefined,
      };
    });
    const models = new Set<string>();
    for (const st of asArray(runtime?.policy?.Statement) as { Action?: unknown; Resource?: unknown }[]) {
      if (!asArray(st.Action).includes('bedrock:InvokeModel')) continue;
      for (const r of asArray(st.Resource)) if (typeof r === 'string' && !r.includes('*')) models.add(r);
    }
    for (const model of [...models].sort(byString)) {
      const common = {
        kind: 'bedrock-model' as const,
        arn: model,
        account: this.resolver.account,
        tags: {},
        ...via(runtime),
        actions: [...SENSITIVE_ACTIONS['bedrock-model']],
      };
      out.push({ ...common, id: `${model}#guardrail=none`, guardrail: 'none' });
      for (const g of guardrails) {
        if (!g.identifier) continue;
        out.push({
          ...common,
          id: `${model}#guardrail=${g.id}`,
          guardrail: g.id,
          context: { 'bedrock:GuardrailIdentifier': g.identifier },
          ...(g.workload ? { workload: g.workload } : {}),
        });
      }
    }
    for (const g of guardrails) {
      out.push({
        id: g.id,
        kind: 'bedrock-guardrail',
        arn: g.arn,
        constructPath: g.resource.constructPath,
        account: this.resolver.accountOf(g.resource.stack),
        tags: {},
        ...via(runtime),
        ...(g.workload ? { workload: g.workload } : {}),
        actions: [...SENSITIVE_ACTIONS['bedrock-guardrail']],
      });
    }
    for (const c of this.ofType('AWS::OpenSearchServerless::Collection')) {
      const tags = tagsOf(this.props(c));
      out.push({
        id: this.id(c),
        kind: 'vector-collection',
        arn: this.resolver.getAtt(c.stack, c.logicalId, 'Arn'),
        constructPath: c.constructPath,
        account: this.resolver.accountOf(c.stack),
        tags,
        ...(tags[WORKLOAD_TAG] ? { workload: tags[WORKLOAD_TAG] } : {}),
        actions: [...SENSITIVE_ACTIONS['vector-collection']],
      });
    }
    for (const kb of this.ofType('AWS::Bedrock::KnowledgeBase')) {
      const tags = tagsOf(this.props(kb));
      out.push({
        id: this.id(kb),
        kind: 'knowledge-base',
        arn: this.resolver.getAtt(kb.stack, kb.logicalId, 'KnowledgeBaseArn'),
        constructPath: kb.constructPath,
        account: this.resolver.accountOf(kb.stack),
        tags,
        ...via(agentRuntime),
        ...(tags[WORKLOAD_TAG] ? { workload: tags[WORKLOAD_TAG] } : {}),
        actions: [...SENSITIVE_ACTIONS['knowledge-base']],
      });
    }
    return out;
  }

  private apiRoutes(endpoint: Resource['endpoint']): Resource[] {
    const out: Resource[] = [];
    for (const api of this.ofType('AWS::ApiGateway::RestApi')) {
      const apiId = this.ref(api);
      const account = this.resolver.accountOf(api.stack);
      const region = this.resolver.regionOf(api.stack);
      const apiArn = `arn:aws:execute-api:${region}:${account}:${apiId}`;
      const props = this.props(api);
      const tags = tagsOf(props);
      const policy = props.Policy ? (expandExecuteApi(props.Policy, apiArn) as PolicyDoc) : undefined;
      const stages = this.ofType('AWS::ApiGateway::Stage')
        .filter((s) => this.props(s).RestApiId === apiId)
        .map((s) => String(this.props(s).StageName));
      for (const d of this.ofType('AWS::ApiGateway::Deployment')) {
        const dp = this.props(d);
        if (dp.RestApiId === apiId && typeof dp.StageName === 'string') stages.push(dp.StageName);
      }
      const resourcesById = new Map<string, { part: string; parent: string }>();
      for (const r of this.ofType('AWS::ApiGateway::Resource')) {
        const rp = this.props(r);
        if (rp.RestApiId === apiId)
          resourcesById.set(this.ref(r), { part: String(rp.PathPart), parent: String(rp.ParentId) });
      }
      const pathOf = (resourceId: string): string => {
        const parts: string[] = [];
        for (let id = resourceId, i = 0; resourcesById.has(id) && i < 64; i++) {
          parts.unshift(resourcesById.get(id)!.part);
          id = resourcesById.get(id)!.parent;
        }
        return parts.join('/');
      };
      const methods = this.ofType('AWS::ApiGateway::Method').filter((m) => this.props(m).RestApiId === apiId);
      for (const stage of [...new Set(stages)].sort(byString)) {
        for (const method of methods) {
          const mp = this.props(method);
          const httpMethod = String(mp.HttpMethod).toUpperCase();
          if (httpMethod === 'OPTIONS') continue;
          const routePath = pathOf(String(mp.ResourceId));
          out.push({
            id: `${this.id(api)} ${stage} ${httpMethod} /${routePath}`,
            kind: 'api-route',
            arn: `${apiArn}/${stage}/${httpMethod === 'ANY' ? 'GET' : httpMethod}/${routePath}`,
            constructPath: method.constructPath,
            parent: this.id(api),
            account,
            resourcePolicy: policy,
            tags,
            endpoint,
            ...(endpoint ? { vpcEndpoint: endpoint.id } : {}),
            ...(tags[WORKLOAD_TAG] ? { workload: tags[WORKLOAD_TAG] } : {}),
            authorizationType: String(mp.AuthorizationType ?? 'NONE'),
            ...this.authorizerOf(String(mp.AuthorizationType ?? 'NONE'), mp.AuthorizerId),
            actions: [...SENSITIVE_ACTIONS['api-route']],
          });
        }
      }
    }
    for (const api of this.ofType('AWS::ApiGatewayV2::Api')) {
      const apiId = this.ref(api);
      const account = this.resolver.accountOf(api.stack);
      const apiArn = `arn:aws:execute-api:${this.resolver.regionOf(api.stack)}:${account}:${apiId}`;
      const stages = this.ofType('AWS::ApiGatewayV2::Stage')
        .filter((s) => this.props(s).ApiId === apiId)
        .map((s) => String(this.props(s).StageName));
      for (const stage of [...new Set(stages)].sort(byString)) {
        for (const route of this.ofType('AWS::ApiGatewayV2::Route').filter((r) => this.props(r).ApiId === apiId)) {
          const rp = this.props(route);
          const [method, routePath = ''] = String(rp.RouteKey).split(' ');
          out.push({
            id: `${this.id(api)} ${stage} ${rp.RouteKey}`,
            kind: 'api-route',
            arn: `${apiArn}/${stage}/${method === 'ANY' || method === '$default' ? 'GET' : method}${routePath}`,
            constructPath: route.constructPath,
            parent: this.id(api),
            account,
            tags: {},
            endpoint,
            authorizationType: String(rp.AuthorizationType ?? 'NONE'),
            actions: [...SENSITIVE_ACTIONS['api-route']],
          });
        }
      }
    }
    return out;
  }

  /** What a method's authorizer asks of a caller beyond IAM, by authorization type. */
  private authorizerOf(type: string, authorizerId: unknown): { authorizer?: string } {
    const what =
      type === 'COGNITO_USER_POOLS' ? 'a Cognito token' : type === 'CUSTOM' ? 'what its Lambda authorizer accepts' : '';
    if (!what) return {};
    const a = this.ofType('AWS::ApiGateway::Authorizer').find((x) => this.ref(x) === String(authorizerId));
    const name = a ? String(this.props(a).Name ?? this.id(a)) : undefined;
    return { authorizer: `${what}${name ? ` (authorizer ${name})` : ''}` };
  }

  /** Object key patterns per bucket name, from every policy document in the assembly. */
  private objectPatterns(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    const visit = (value: unknown): void => {
      if (typeof value === 'string') {
        const m = /^arn:aws:s3:::([^/*?]+)\/(.+)$/.exec(value);
        if (m) {
          if (!out.has(m[1])) out.set(m[1], new Set());
          out.get(m[1])!.add(m[2]);
        }
      } else if (Array.isArray(value)) {
        value.forEach(visit);
      } else if (value && typeof value === 'object') {
        const statement = value as Record<string, unknown>;
        if ('Resource' in statement || 'NotResource' in statement) {
          visit(statement.Resource);
          visit(statement.NotResource);
        } else {
          Object.values(statement).forEach(visit);
        }
      }
    };
    for (const r of this.all) {
      if (POLICY_HOLDERS.has(r.type)) visit(this.props(r));
    }
    return out;
  }
}

/** Resource types whose properties hold policy documents naming S3 objects. */
const POLICY_HOLDERS = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::RolePolicy',
  'AWS::IAM::ManagedPolicy',
  'AWS::S3::BucketPolicy',
  'AWS::EC2::VPCEndpoint',
]);

/** The service that calls KMS for a resource type (kms:ViaService is `<service>.<region>.amazonaws.com`). */
const VIA_SERVICE: Record<string, string> = {
  'AWS::S3::Bucket': 's3',
  'AWS::Logs::LogGroup': 'logs',
  'AWS::SageMaker::EndpointConfig': 'sagemaker',
  'AWS::SageMaker::Model': 'sagemaker',
  'AWS::SageMaker::NotebookInstance': 'sagemaker',
  'AWS::SNS::Topic': 'sns',
  'AWS::SQS::Queue': 'sqs',
  'AWS::CloudTrail::Trail': 'cloudtrail',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::SecretsManager::Secret': 'secretsmanager',
  'AWS::Lambda::Function': 'lambda',
  'AWS::EC2::Volume': 'ec2',
  'AWS::EC2::LaunchTemplate': 'ec2',
  'AWS::ECR::Repository': 'ecr',
  'AWS::KinesisFirehose::DeliveryStream': 'firehose',
};

function trustedBy(doc: PolicyDoc | undefined): string[] {
  const out = new Set<string>();
  for (const s of asArray(doc?.Statement) as Array<{ Effect?: string; Principal?: unknown; Condition?: unknown }>) {
    if (s.Effect !== 'Allow') continue;
    const p = s.Principal;
    const suffix = s.Condition ? ' (conditional)' : '';
    if (typeof p === 'string') out.add(p + suffix);
    else if (p && typeof p === 'object') {
      for (const [kind, values] of Object.entries(p))
        for (const v of asArray(values)) out.add(`${kind}:${String(v)}${suffix}`);
    }
  }
  return [...out].sort(byString);
}
