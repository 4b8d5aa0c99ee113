/**
 * Where the policies of an assembly are, resolved: for each IAM role, what IAM evaluates for its
 * sessions (identity policies, permissions boundary, tags) and its trust policy; for each resource, its
 * resource policy (bucket, key, repository, API, topic policy); and the VPC endpoints with their policies.
 *
 * The access matrix and the journeys read the assembly through this one index; `intrinsics.ts` resolves
 * the values the same way for both.
 */
import { AssemblyResource, CloudAssembly, ownerPath } from './assembly';
import { AssemblyResolver } from './intrinsics';
import { byString } from './json';
import { asArray, ResolvedTemplates, tagsOf } from './resolved-templates';
import { endpointPolicy, NamedPolicy, PolicyDoc } from './simulate';

/** What IAM evaluates for requests made with a role's sessions, and who may assume it. */
export interface RoleRecord {
  /** Owner construct path (stable key), else `<stack>/<logical id>`. */
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly tags: Record<string, string>;
  /** Identity policies in the assembly (managed, inline, AWS::IAM::Policy), by name. */
  readonly policies: NamedPolicy[];
  /** ARN of the permissions boundary, if any. */
  readonly boundaryArn?: string;
  /** The boundary, when it is in the assembly. */
  readonly boundary?: NamedPolicy;
  /** Policies attached but not in the assembly (AWS managed or imported): not evaluated. */
  readonly unevaluated: string[];
  readonly trustPolicy?: PolicyDoc;
}

/** A VPC endpoint of the assembly. */
export interface EndpointRecord {
  /** The endpoint's id (`vpce-…`), the value of `aws:SourceVpce` for requests through it. */
  readonly id: string;
  /** Owner construct path. */
  readonly path: string;
  /** Service suffix: `s3`, `ecr.dkr`, `execute-api`, `sagemaker.runtime`… */
  readonly service: string;
  readonly type: string;
  readonly vpcId?: string;
  readonly policy?: PolicyDoc;
}

/** A KMS key of the assembly. */
export interface KeyRecord {
  readonly id: string;
  readonly arn: string;
  readonly keyId: string;
  readonly policy: PolicyDoc;
  /** Alias names (`alias/…`) that point at it: `kms:ResourceAliases` of requests on it. */
  readonly aliases: string[];
  readonly tags: Record<string, string>;
}

/** A REST API of the assembly. */
export interface RestApiRecord {
  readonly id: string;
  readonly apiId: string;
  /** `arn:aws:execute-api:<region>:<account>:<api id>` */
  readonly arn: string;
  readonly account: string;
  readonly endpointTypes: string[];
  /** The resource policy with `execute-api:/…` expanded to this API's ARN. */
  readonly policy?: PolicyDoc;
}

/** Reads roles, resource policies and endpoints out of the resolved templates. */
export class PolicyIndex extends ResolvedTemplates {
  private rolesCache?: RoleRecord[];

  constructor(assembly: CloudAssembly, resolver: AssemblyResolver) {
    super(assembly, resolver);
  }

  /** The resolver the index resolves with. */
  public get intrinsics(): AssemblyResolver {
    return this.resolver;
  }

  /** Every resource of a type. */
  public resourcesOfType(type: string): AssemblyResource[] {
    return this.ofType(type);
  }

  /** A resource's resolved properties. */
  public propsOf(r: AssemblyResource): Record<string, unknown> {
    return this.props(r);
  }

  /** What `Ref` of the resource resolves to. */
  public refOf(r: AssemblyResource): string {
    return this.ref(r);
  }

  /** What `Fn::GetAtt` of the resource resolves to. */
  public attOf(r: AssemblyResource, attribute: string): string {
    return this.resolver.getAtt(r.stack, r.logicalId, attribute);
  }

  /** The resource's id in the review: the owner construct path, else `<stack>/<logical id>`. */
  public idOf(r: AssemblyResource): string {
    return this.id(r);
  }

  /** Every IAM role with what IAM evaluates for it. */
  public roles(): RoleRecord[] {
    if (this.rolesCache) return this.rolesCache;
    const managedByArn = new Map<string, AssemblyResource>();
    for (const mp of this.ofType('AWS::IAM::ManagedPolicy')) managedByArn.set(this.ref(mp), mp);
    this.rolesCache = this.ofType('AWS::IAM::Role').map((role) => {
      const props = this.props(role);
      const name = this.ref(role);
      const policies: NamedPolicy[] = [];
      const unevaluated: string[] = [];
      for (const inline of asArray(props.Policies)) {
        const p = inline as { PolicyName?: string; PolicyDocument?: PolicyDoc };
        if (p.PolicyDocument)
          policies.push({ name: `inline:${p.PolicyName ?? policies.length}`, policy: p.PolicyDocument });
      }
      for (const policy of this.ofType('AWS::IAM::Policy')) {
        const pp = this.props(policy);
        if (asArray(pp.Roles).includes(name) && pp.PolicyDocument) {
          policies.push({ name: this.label(policy), policy: pp.PolicyDocument as PolicyDoc });
        }
      }
      for (const policy of this.ofType('AWS::IAM::RolePolicy')) {
        const pp = this.props(policy);
        if (pp.RoleName === name && pp.PolicyDocument)
          policies.push({ name: this.label(policy), policy: pp.PolicyDocument as PolicyDoc });
      }
      const attachedArns = new Set(asArray(props.ManagedPolicyArns).map(String));
      for (const [mpArn, mp] of managedByArn) {
        if (asArray(this.props(mp).Roles).includes(name)) attachedArns.add(mpArn);
      }
      for (const mpArn of [...attachedArns].sort(byString)) {
        const mp = managedByArn.get(mpArn);
        if (mp) policies.push({ name: this.label(mp), policy: this.props(mp).PolicyDocument as PolicyDoc });
        else unevaluated.push(mpArn);
      }
      const boundaryArn = props.PermissionsBoundary === undefined ? undefined : String(props.PermissionsBoundary);
      let boundary: NamedPolicy | undefined;
      if (boundaryArn) {
        const mp = managedByArn.get(boundaryArn);
        if (mp) boundary = { name: boundaryArn, policy: this.props(mp).PolicyDocument as PolicyDoc };
        else unevaluated.push(`${boundaryArn} (permissions boundary)`);
      }
      return {
        id: role.constructPath ? ownerPath(role.constructPath) : `${role.stack.displayName}/${role.logicalId}`,
        arn: this.resolver.getAtt(role.stack, role.logicalId, 'Arn'),
        name,
        account: this.resolver.accountOf(role.stack),
        stack: role.stack.displayName,
        logicalId: role.logicalId,
        tags: tagsOf(props),
        policies,
        ...(boundaryArn ? { boundaryArn } : {}),
        ...(boundary ? { boundary } : {}),
        unevaluated,
        ...(props.AssumeRolePolicyDocument ? { trustPolicy: props.AssumeRolePolicyDocument as PolicyDoc } : {}),
      };
    });
    return this.rolesCache;
  }

  /** The role with this ARN, if it is in the assembly. */
  public roleByArn(arn: string): RoleRecord | undefined {
    return this.roles().find((r) => r.arn === arn);
  }

  /** The role whose owner construct path is `path`, if any. */
  public roleByPath(path: string): RoleRecord | undefined {
    return this.roles().find((r) => r.id === path);
  }

  /** Every statement of the bucket policies of a bucket (by name), merged; undefined when it has none. */
  public bucketPolicy(bucketName: string): PolicyDoc | undefined {
    const statements: unknown[] = [];
    for (const bp of this.ofType('AWS::S3::BucketPolicy')) {
      const props = this.props(bp);
      if (props.Bucket === bucketName) statements.push(...asArray((props.PolicyDocument as PolicyDoc).Statement));
    }
    return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
  }

  /** The bucket of this name, if it is in the assembly. */
  public bucketByName(bucketName: string): AssemblyResource | undefined {
    return this.ofType('AWS::S3::Bucket').find((b) => this.ref(b) === bucketName);
  }

  /** Every KMS key with its policy and aliases. */
  public keys(): KeyRecord[] {
    return this.ofType('AWS::KMS::Key').map((key) => {
      const props = this.props(key);
      const arn = this.resolver.getAtt(key.stack, key.logicalId, 'Arn');
      const keyId = this.ref(key);
      const aliases = this.ofType('AWS::KMS::Alias')
        .filter((a) => {
          const target = String(this.props(a).TargetKeyId);
          return target === keyId || target === arn;
        })
        .map((a) => String(this.props(a).AliasName))
        .sort(byString);
      return {
        id: this.id(key),
        arn,
        keyId,
        policy: (props.KeyPolicy as PolicyDoc | undefined) ?? defaultKeyPolicy(this.resolver.accountOf(key.stack)),
        aliases,
        tags: tagsOf(props),
      };
    });
  }

  /** The key with this ARN (or key id, or alias name), if it is in the assembly. */
  public keyByArn(value: string): KeyRecord | undefined {
    return this.keys().find(
      (k) => k.arn === value || k.keyId === value || k.aliases.some((a) => value === a || value.endsWith(`:${a}`)),
    );
  }

  /** The policy of an ECR repository (by ARN), with the repository as the Resource statements omit. */
  public repositoryPolicy(repositoryArn: string): PolicyDoc | undefined {
    const repo = this.ofType('AWS::ECR::Repository').find(
      (r) => this.resolver.getAtt(r.stack, r.logicalId, 'Arn') === repositoryArn,
    );
    const text = repo ? this.props(repo).RepositoryPolicyText : undefined;
    if (!text) return undefined;
    const doc = (typeof text === 'string' ? JSON.parse(text) : text) as PolicyDoc;
    // A repository policy applies to its repository: its statements carry no Resource element.
    const statements = asArray(doc.Statement).map((s) => {
      const st = s as Record<string, unknown>;
      return 'Resource' in st || 'NotResource' in st ? st : { ...st, Resource: repositoryArn };
    });
    return { ...doc, Statement: statements };
  }

  /** The tags of the ECR repository with this ARN. */
  public repositoryTags(repositoryArn: string): Record<string, string> {
    const repo = this.ofType('AWS::ECR::Repository').find(
      (r) => this.resolver.getAtt(r.stack, r.logicalId, 'Arn') === repositoryArn,
    );
    return repo ? tagsOf(this.props(repo)) : {};
  }

  /** Every REST API with its expanded resource policy. */
  public restApis(): RestApiRecord[] {
    return this.ofType('AWS::ApiGateway::RestApi').map((api) => {
      const apiId = this.ref(api);
      const account = this.resolver.accountOf(api.stack);
      const arn = `arn:aws:execute-api:${this.resolver.regionOf(api.stack)}:${account}:${apiId}`;
      const props = this.props(api);
      return {
        id: this.id(api),
        apiId,
        arn,
        account,
        endpointTypes: asArray((props.EndpointConfiguration as { Types?: unknown } | undefined)?.Types).map(String),
        ...(props.Policy ? { policy: expandExecuteApi(props.Policy, arn) as PolicyDoc } : {}),
      };
    });
  }

  /** Every statement of the topic policies naming this topic ARN, merged. */
  public topicPolicy(topicArn: string): PolicyDoc | undefined {
    const statements: unknown[] = [];
    for (const tp of this.ofType('AWS::SNS::TopicPolicy')) {
      const props = this.props(tp);
      if (asArray(props.Topics).includes(topicArn))
        statements.push(...asArray((props.PolicyDocument as PolicyDoc).Statement));
    }
    return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
  }

  /** Every VPC endpoint, by construct path. */
  public endpoints(): EndpointRecord[] {
    return this.ofType('AWS::EC2::VPCEndpoint')
      .map((ep) => {
        const props = this.props(ep);
        return {
          id: this.ref(ep),
          path: this.id(ep),
          service: String(props.ServiceName).replace(/^(aws\.sagemaker|com\.amazonaws)\.[a-z0-9-]+\./, ''),
          type: String(props.VpcEndpointType ?? 'Gateway'),
          ...(props.VpcId ? { vpcId: String(props.VpcId) } : {}),
          ...(props.PolicyDocument ? { policy: endpointPolicy(props.PolicyDocument as PolicyDoc) } : {}),
        };
      })
      .sort((a, b) => byString(a.path, b.path));
  }

  /** The assembly's VPC endpoints by service suffix (`s3`, `kms`, `sagemaker.runtime`...), first by construct path. */
  public endpointsByService(): Map<string, EndpointRecord> {
    const out = new Map<string, EndpointRecord>();
    for (const ep of this.endpoints()) if (!out.has(ep.service)) out.set(ep.service, ep);
    return out;
  }

  protected label(r: AssemblyResource): string {
    return r.constructPath ?? `${r.stack.displayName}/${r.logicalId}`;
  }
}

/** The policy KMS gives a key created without one: the account may use and administer it through IAM. */
export function defaultKeyPolicy(account: string): PolicyDoc {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
    ],
  };
}

/** API Gateway resource policies name `execute-api:/stage/METHOD/path`; expand to the API's ARN. */
export function expandExecuteApi(value: unknown, apiArn: string): unknown {
  if (typeof value === 'string')
    return value.startsWith('execute-api:/') ? `${apiArn}/${value.slice('execute-api:/'.length)}` : value;
  if (Array.isArray(value)) return value.map((v) => expandExecuteApi(v, apiArn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandExecuteApi(v, apiArn)]));
  }
  return value;
}
