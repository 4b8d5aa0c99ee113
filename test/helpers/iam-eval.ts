/**
 * IAM policy evaluation of synthesized templates, with @cloud-copilot/iam-simulate (AGPL; a
 * devDependency used only by tests, never imported from constructs/).
 *
 * `CfnResolver` turns the CloudFormation intrinsics of a synthesized assembly (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Select, Fn::Split, Fn::Sub, Fn::ImportValue, Fn::GetStackOutput) into the concrete strings AWS would
 * see, for one made-up account and region, so the policies can be evaluated as written.
 * `roleUnderTest` collects what IAM evaluates for a role: its managed and inline policies, its
 * permissions boundary and its tags. `evaluate` runs one request.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Stage } from 'aws-cdk-lib';
import { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';

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

  constructor(stage: Stage) {
    const assembly = stage.synth();
    for (const artifact of assembly.artifacts) {
      if (artifact instanceof CloudFormationStackArtifact) {
        this.templates[artifact.stackName] = artifact.template as Template;
      }
    }
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
    if (Array.isArray(value)) return value.map((v) => this.resolve(stackName, v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [fn] = keys;
      const arg = value[fn];
      switch (fn) {
        case 'Ref':
          return this.ref(stackName, arg);
        case 'Fn::GetAtt':
          return this.getAtt(stackName, arg[0], arg[1]);
        case 'Fn::Join': {
          const [sep, parts] = arg;
          return (this.resolve(stackName, parts) as Json[]).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = this.resolve(stackName, arg);
          return list[Number(index)];
        }
        case 'Fn::Split': {
          const [sep, source] = this.resolve(stackName, arg);
          return String(source).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = typeof arg === 'string' ? [arg, {}] : arg;
          return String(text).replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
            name in vars
              ? this.resolve(stackName, vars[name])
              : name.includes('.')
                ? this.getAtt(stackName, name.split('.')[0], name.split('.').slice(1).join('.'))
                : this.ref(stackName, name),
          );
        }
        case 'Fn::ImportValue':
          return this.importValue(this.resolve(stackName, arg));
        case 'Fn::GetStackOutput': {
          const { StackName: producer, OutputName: output } = this.resolve(stackName, arg);
          const value = this.template(producer).Outputs?.[output]?.Value;
          if (value === undefined) throw new Error(`stack '${producer}' has no output '${output}'`);
          return this.resolve(producer, value);
        }
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(stackName, v)]));
  }

  /** The physical name a resource gets: its explicit name property, else one derived from its logical id. */
  public physicalName(stackName: string, logicalId: string): string {
    const r = this.resource(stackName, logicalId);
    const p = r.Properties ?? {};
    const explicit = {
      'AWS::S3::Bucket': p.BucketName,
      'AWS::IAM::Role': p.RoleName,
      'AWS::IAM::ManagedPolicy': p.ManagedPolicyName,
      'AWS::ECR::Repository': p.RepositoryName,
      'AWS::Logs::LogGroup': p.LogGroupName,
      'AWS::SageMaker::Endpoint': p.EndpointName,
    }[r.Type];
    if (explicit !== undefined) return this.resolve(stackName, explicit);
    const generated = `${stackName}-${logicalId}`;
    return r.Type === 'AWS::S3::Bucket' || r.Type === 'AWS::ECR::Repository' ? generated.toLowerCase() : generated;
  }

  private resource(stackName: string, logicalId: string) {
    const r = this.template(stackName).Resources[logicalId];
    if (!r) throw new Error(`no resource '${logicalId}' in stack '${stackName}'`);
    return r;
  }

  private ref(stackName: string, name: string): string {
    switch (name) {
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Region':
        return REGION;
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
    }
    const r = this.resource(stackName, name);
    switch (r.Type) {
      case 'AWS::IAM::ManagedPolicy':
        return this.getAtt(stackName, name, 'PolicyArn');
      case 'AWS::KMS::Key':
        return `key-${name}`;
      case 'AWS::EC2::VPC':
        return `vpc-${name}`;
      case 'AWS::EC2::VPCEndpoint':
        return `vpce-${name}`;
      case 'AWS::EC2::Subnet':
        return `subnet-${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${this.physicalName(stackName, name)}`;
      default:
        return this.physicalName(stackName, name);
    }
  }

  private getAtt(stackName: string, logicalId: string, attribute: string): string {
    const r = this.resource(stackName, logicalId);
    const name = this.physicalName(stackName, logicalId);
    const key = `${r.Type}.${attribute}`;
    switch (key) {
      case 'AWS::IAM::Role.Arn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role${this.resolve(stackName, r.Properties?.Path ?? '/')}${name}`;
      case 'AWS::IAM::ManagedPolicy.PolicyArn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:policy${this.resolve(stackName, r.Properties?.Path ?? '/')}${name}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:${PARTITION}:s3:::${name}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/key-${logicalId}`;
      case 'AWS::ECR::Repository.Arn':
        return `arn:${PARTITION}:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
      case 'AWS::EC2::SecurityGroup.GroupId':
        return `sg-${logicalId}`;
      default:
        return `${attribute}-of-${logicalId}`;
    }
  }

  private importValue(exportName: string): Json {
    for (const [stackName, t] of Object.entries(this.templates)) {
      for (const output of Object.values(t.Outputs ?? {})) {
        if (output.Export && this.resolve(stackName, output.Export.Name) === exportName) {
          return this.resolve(stackName, output.Value);
        }
      }
    }
    throw new Error(`no stack exports '${exportName}'`);
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
  const props = resolver.resolve(stackName, role.Properties ?? {});
  const roleName = resolver.physicalName(stackName, roleLogicalId);
  const roleArn = resolver.resolve(stackName, { 'Fn::GetAtt': [roleLogicalId, 'Arn'] });

  const managed = new Map<string, { name: string; policy: Json }>();
  for (const [sn, t] of Object.entries(resolver.templates)) {
    for (const [id, r] of Object.entries(t.Resources)) {
      if (r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const arn = resolver.resolve(sn, { Ref: id });
      managed.set(arn, { name: `${sn}/${id}`, policy: resolver.resolve(sn, r.Properties.PolicyDocument) });
      const roles: string[] = resolver.resolve(sn, r.Properties.Roles ?? []);
      if (roles.includes(roleName)) managed.set(`attached:${arn}`, managed.get(arn)!);
    }
  }
  const identityPolicies = [...managed.entries()].filter(([k]) => k.startsWith('attached:')).map(([, v]) => v);
  for (const arn of props.ManagedPolicyArns ?? []) {
    const policy = managed.get(arn);
    if (!policy) throw new Error(`role ${roleName}: managed policy ${arn} is not in the assembly`);
    identityPolicies.push(policy);
  }
  for (const inline of props.Policies ?? []) {
    identityPolicies.push({ name: inline.PolicyName, policy: inline.PolicyDocument });
  }
  let boundary: RoleUnderTest['boundary'];
  if (props.PermissionsBoundary) {
    boundary = managed.get(props.PermissionsBoundary);
    if (!boundary) throw new Error(`role ${roleName}: boundary ${props.PermissionsBoundary} is not in the assembly`);
  }
  const tags = Object.fromEntries((props.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
  return { roleArn, identityPolicies, boundary, tags };
}

/** The resolved policy of an S3 bucket of the assembly. */
export function bucketPolicy(resolver: CfnResolver, stackName: string, bucketLogicalId: string): Json {
  const t = resolver.template(stackName);
  const entry = Object.entries(t.Resources).find(
    ([, r]) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties?.Bucket?.Ref === bucketLogicalId,
  );
  if (!entry) throw new Error(`bucket ${bucketLogicalId} of ${stackName} has no bucket policy`);
  return resolver.resolve(stackName, entry[1].Properties.PolicyDocument);
}

/**
 * The resolved policy of a VPC endpoint of the assembly. `Principal: {"AWS": "*"}` is written as
 * the equivalent `"*"`, the only form the simulator accepts in an endpoint policy.
 */
export function vpcEndpointPolicy(resolver: CfnResolver, stackName: string, endpointLogicalId: string): Json {
  const r = resolver.template(stackName).Resources[endpointLogicalId];
  const policy = resolver.resolve(stackName, r.Properties.PolicyDocument);
  for (const statement of policy.Statement) {
    if (JSON.stringify(statement.Principal) === JSON.stringify({ AWS: '*' })) statement.Principal = '*';
  }
  return policy;
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
  const result = await runSimulation(
    {
      request: {
        principal: `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${roleName}/session`,
        action: request.action,
        resource: { resource: request.resourceArn, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: role.identityPolicies,
      permissionBoundaryPolicies: role.boundary ? [role.boundary] : undefined,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
      vpcEndpointPolicies: request.viaVpcEndpoint
        ? [{ name: 'vpce', policy: request.viaVpcEndpoint.policy }]
        : undefined,
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`simulation rejected: ${JSON.stringify(result.errors, null, 2)}`);
  }
  if (result.resultType !== 'single') throw new Error(`expected one resource, got ${result.resultType}`);
  return result.overallResult as Decision;
}
