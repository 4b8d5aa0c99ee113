/**
 * IAM policy evaluation of synthesized templates for tests: a thin layer over the review tool's
 * resolver (tools/review/intrinsics.ts), policy index (tools/review/policies.ts) and request
 * evaluation (tools/review/simulate.ts, @cloud-copilot/iam-simulate: AGPL, a devDependency used only
 * by tests and the review tool, never imported from constructs/). One way to resolve templates and
 * evaluate a request, shared with the access matrix and the journeys (test/journeys).
 *
 * `CfnResolver` resolves the intrinsics of a synthesized stage as if deployed to ACCOUNT/REGION.
 * `roleUnderTest` collects what IAM evaluates for a role: its managed and inline policies, its
 * permissions boundary and its tags. `evaluate` runs one request made with a session of the role.
 */
import { Stage } from 'aws-cdk-lib';
import { AssemblyStack, CloudAssembly, findStack, loadAssembly } from '../../tools/review/assembly';
import { AssemblyResolver } from '../../tools/review/intrinsics';
import { PolicyIndex } from '../../tools/review/policies';
import { endpointPolicy, simulateRequest } from '../../tools/review/simulate';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const PARTITION = 'aws';

type Json = any;
interface Template {
  Resources: Record<string, { Type: string; Properties?: Json }>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}

/** Resolves intrinsics of the templates of one synthesized stage, as if deployed to ACCOUNT/REGION. */
export class CfnResolver {
  /** Every stack template of the stage, by stack name. */
  public readonly templates: Record<string, Template> = {};
  /** The synthesized assembly, as the review tool reads it. */
  public readonly assembly: CloudAssembly;
  /** The review tool's resolver over that assembly. */
  public readonly intrinsics: AssemblyResolver;
  /** The review tool's policy index over that assembly. */
  public readonly index: PolicyIndex;

  constructor(stage: Stage) {
    this.assembly = loadAssembly(stage.synth().directory);
    this.intrinsics = new AssemblyResolver(this.assembly, { account: ACCOUNT, region: REGION });
    this.index = new PolicyIndex(this.assembly, this.intrinsics);
    for (const stack of this.assembly.stacks) this.templates[stack.stackName] = stack.template as Template;
  }

  /** The template of a stack. */
  public template(stackName: string): Template {
    const t = this.templates[stackName];
    if (!t) throw new Error(`no stack '${stackName}'; stacks: ${Object.keys(this.templates).join(', ')}`);
    return t;
  }

  /** Logical ids of the resources of a type in a stack whose logical id starts with `prefix`. */
  public find(stackName: string, type: string, prefix = ''): string[] {
    return Object.entries(this.template(stackName).Resources)
      .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
      .map(([id]) => id);
  }

  /** Resolve a template value of a stack. */
  public resolve(stackName: string, value: Json): Json {
    return this.intrinsics.resolve(this.stack(stackName), value);
  }

  /** The physical name a resource gets: its explicit name property, else one derived from its logical id. */
  public physicalName(stackName: string, logicalId: string): string {
    if (!this.template(stackName).Resources[logicalId]) {
      throw new Error(`no resource '${logicalId}' in stack '${stackName}'`);
    }
    return this.intrinsics.physicalName(this.stack(stackName), logicalId);
  }

  private stack(stackName: string): AssemblyStack {
    const stack = findStack(this.assembly, stackName);
    if (!stack) throw new Error(`no stack '${stackName}'; stacks: ${Object.keys(this.templates).join(', ')}`);
    return stack;
  }
}

/** What IAM evaluates for requests made with a role's session. */
export interface RoleUnderTest {
  readonly roleArn: string;
  /** The role's managed (and inline) policies, resolved. */
  readonly identityPolicies: { name: string; policy: Json }[];
  /** The role's permissions boundary, resolved (a managed policy of the assembly). */
  readonly boundary?: { name: string; policy: Json };
  /** The role's tags (they become `aws:PrincipalTag/*`). */
  readonly tags: Record<string, string>;
}

/** Collect, from every stack of the assembly, what IAM evaluates for the role `roleLogicalId` of `stackName`. */
export function roleUnderTest(resolver: CfnResolver, stackName: string, roleLogicalId: string): RoleUnderTest {
  const role = resolver.template(stackName).Resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${stackName}/${roleLogicalId} is not an AWS::IAM::Role`);
  const record = resolver.index
    .roles()
    .find((r) => r.logicalId === roleLogicalId && findStack(resolver.assembly, r.stack)?.stackName === stackName);
  if (!record) throw new Error(`role ${stackName}/${roleLogicalId} is not in the assembly`);
  if (record.unevaluated.length > 0) {
    throw new Error(`role ${record.name}: policies not in the assembly: ${record.unevaluated.join(', ')}`);
  }
  return {
    roleArn: record.arn,
    identityPolicies: record.policies,
    ...(record.boundary ? { boundary: record.boundary } : {}),
    tags: record.tags,
  };
}

/** The resolved policy of an S3 bucket of the assembly. */
export function bucketPolicy(resolver: CfnResolver, stackName: string, bucketLogicalId: string): Json {
  const policy = resolver.index.bucketPolicy(resolver.physicalName(stackName, bucketLogicalId));
  if (!policy) throw new Error(`bucket ${bucketLogicalId} of ${stackName} has no bucket policy`);
  return policy;
}

/**
 * The resolved policy of a VPC endpoint of the assembly. `Principal: {"AWS": "*"}` is written as
 * the equivalent `"*"`, the only form the simulator accepts in an endpoint policy.
 */
export function vpcEndpointPolicy(resolver: CfnResolver, stackName: string, endpointLogicalId: string): Json {
  const r = resolver.template(stackName).Resources[endpointLogicalId];
  return endpointPolicy(resolver.resolve(stackName, r.Properties.PolicyDocument));
}

export interface EvaluationRequest {
  readonly role: RoleUnderTest;
  readonly action: string;
  readonly resourceArn: string;
  readonly resourcePolicy?: Json;
  /** The request arrives through this VPC endpoint (its id, and its policy is evaluated). */
  readonly viaVpcEndpoint?: { id: string; policy: Json };
  /** Request-specific context (e.g. `s3:prefix`). */
  readonly context?: Record<string, string | string[]>;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/**
 * Evaluate one request made with a session of the role, with the context AWS would send: the
 * principal's ARN, account and tags, TLS, not an AWS service, and `aws:SourceVpce` when the
 * request crosses a VPC endpoint. Throws when the simulator rejects the input.
 */
export async function evaluate(request: EvaluationRequest): Promise<Decision> {
  const { role } = request;
  const roleName = role.roleArn.split('/').pop();
  const context: Record<string, string | string[]> = {
    'aws:PrincipalArn': role.roleArn,
    'aws:PrincipalAccount': ACCOUNT,
    'aws:PrincipalType': 'AssumedRole',
    'aws:SecureTransport': 'true',
    'aws:PrincipalIsAWSService': 'false',
    'aws:ViaAWSService': 'false',
    'aws:ResourceAccount': ACCOUNT,
    ...Object.fromEntries(Object.entries(role.tags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
    ...(request.viaVpcEndpoint ? { 'aws:SourceVpce': request.viaVpcEndpoint.id } : {}),
    ...request.context,
  };
  const result = await simulateRequest({
    principal: { arn: `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${roleName}/session` },
    action: request.action,
    resource: request.resourceArn,
    resourceAccount: ACCOUNT,
    context,
    identityPolicies: role.identityPolicies,
    ...(role.boundary ? { permissionsBoundary: role.boundary } : {}),
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    ...(request.viaVpcEndpoint
      ? { vpcEndpointPolicies: [{ name: 'vpce', policy: request.viaVpcEndpoint.policy }] }
      : {}),
  });
  if (result.decision === 'Error') throw new Error(`simulation rejected: ${result.error}`);
  return result.decision;
}
