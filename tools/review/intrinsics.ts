/**
 * Resolve CloudFormation intrinsics of a synthesized assembly to concrete placeholder values.
 *
 * Every resource gets a deterministic physical name / id derived from its stack and logical id
 * (or its literal name property), and an ARN built from it with one fixed account and region.
 * References resolve the same way wherever they appear (identity policies, resource policies,
 * other stacks through `Fn::ImportValue` / `Fn::GetStackOutput`), so policy evaluation on the
 * result is exact on structure: "this role's policy names that bucket" stays true after resolution.
 */
import { createHash } from 'crypto';
import { AssemblyStack, CfnResource, CloudAssembly, findStack } from './assembly';

/** The placeholder environment. */
export interface PlaceholderEnvironment {
  /** Account used where a stack's environment is not concrete. @default '111111111111' */
  readonly account?: string;
  /** Region used where a stack's environment is not concrete. @default 'us-east-1' */
  readonly region?: string;
}

export const DEFAULT_ACCOUNT = '111111111111';
export const DEFAULT_REGION = 'us-east-1';

/** Marker for `Ref: AWS::NoValue`, removed from the enclosing object or array. */
const NO_VALUE = Symbol('AWS::NoValue');

interface TypeNaming {
  /** What `Ref` returns. */
  readonly ref: (n: NameContext) => string;
  /** What `Fn::GetAtt` returns, by attribute. */
  readonly attrs?: Record<string, (n: NameContext) => string>;
}

interface NameContext {
  readonly name: string;
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly props: Record<string, unknown>;
}

const arn = (service: string, n: NameContext, resource: string): string =>
  `arn:aws:${service}:${n.region}:${n.account}:${resource}`;

const iamPath = (n: NameContext): string => (typeof n.props.Path === 'string' ? n.props.Path : '/');

/** Naming by resource type: literal name properties first, a derived name otherwise. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::User': 'UserName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SageMaker::Endpoint': 'EndpointName',
  'AWS::SageMaker::EndpointConfig': 'EndpointConfigName',
  'AWS::SageMaker::Model': 'ModelName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::CloudTrail::Trail': 'TrailName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::ApiGateway::RestApi': 'Name',
  'AWS::WAFv2::WebACL': 'Name',
  'AWS::Signer::SigningProfile': 'ProfileName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::ApiGateway::Stage': 'StageName',
};

const TYPES: Record<string, TypeNaming> = {
  'AWS::S3::Bucket': {
    ref: (n) => n.name,
    attrs: {
      Arn: (n) => `arn:aws:s3:::${n.name}`,
      DomainName: (n) => `${n.name}.s3.amazonaws.com`,
      RegionalDomainName: (n) => `${n.name}.s3.${n.region}.amazonaws.com`,
    },
  },
  'AWS::IAM::Role': {
    ref: (n) => n.name,
    attrs: { Arn: (n) => `arn:aws:iam::${n.account}:role${iamPath(n)}${n.name}` },
  },
  'AWS::IAM::User': {
    ref: (n) => n.name,
    attrs: { Arn: (n) => `arn:aws:iam::${n.account}:user${iamPath(n)}${n.name}` },
  },
  'AWS::IAM::ManagedPolicy': {
    ref: (n) => `arn:aws:iam::${n.account}:policy${iamPath(n)}${n.name}`,
    attrs: { PolicyArn: (n) => `arn:aws:iam::${n.account}:policy${iamPath(n)}${n.name}` },
  },
  'AWS::IAM::InstanceProfile': {
    ref: (n) => n.name,
    attrs: { Arn: (n) => `arn:aws:iam::${n.account}:instance-profile/${n.name}` },
  },
  'AWS::KMS::Key': {
    ref: (n) => n.id,
    attrs: { Arn: (n) => arn('kms', n, `key/${n.id}`), KeyId: (n) => n.id },
  },
  'AWS::KMS::Alias': { ref: (n) => n.name },
  'AWS::EC2::VPC': { ref: (n) => `vpc-${n.id.slice(0, 17)}`, attrs: { VpcId: (n) => `vpc-${n.id.slice(0, 17)}` } },
  'AWS::EC2::Subnet': {
    ref: (n) => `subnet-${n.id.slice(0, 17)}`,
    attrs: { SubnetId: (n) => `subnet-${n.id.slice(0, 17)}` },
  },
  'AWS::EC2::SecurityGroup': {
    ref: (n) => `sg-${n.id.slice(0, 17)}`,
    attrs: { GroupId: (n) => `sg-${n.id.slice(0, 17)}`, VpcId: () => 'vpc-unknown' },
  },
  'AWS::EC2::VPCEndpoint': {
    ref: (n) => `vpce-${n.id.slice(0, 17)}`,
    attrs: { Id: (n) => `vpce-${n.id.slice(0, 17)}` },
  },
  'AWS::EC2::RouteTable': { ref: (n) => `rtb-${n.id.slice(0, 17)}` },
  'AWS::EC2::InternetGateway': { ref: (n) => `igw-${n.id.slice(0, 17)}` },
  'AWS::EC2::NatGateway': { ref: (n) => `nat-${n.id.slice(0, 17)}` },
  'AWS::EC2::EIP': {
    ref: (n) => `198.51.100.${parseInt(n.id.slice(0, 2), 16) % 250}`,
    attrs: { AllocationId: (n) => `eipalloc-${n.id.slice(0, 17)}` },
  },
  'AWS::EC2::LaunchTemplate': {
    ref: (n) => `lt-${n.id.slice(0, 17)}`,
    attrs: { LaunchTemplateId: (n) => `lt-${n.id.slice(0, 17)}` },
  },
  'AWS::EC2::PrefixList': {
    ref: (n) => `pl-${n.id.slice(0, 17)}`,
    attrs: { PrefixListId: (n) => `pl-${n.id.slice(0, 17)}` },
  },
  'AWS::SageMaker::Endpoint': {
    ref: (n) => arn('sagemaker', n, `endpoint/${n.name.toLowerCase()}`),
    attrs: { EndpointName: (n) => n.name, EndpointArn: (n) => arn('sagemaker', n, `endpoint/${n.name.toLowerCase()}`) },
  },
  'AWS::SageMaker::EndpointConfig': {
    ref: (n) => arn('sagemaker', n, `endpoint-config/${n.name.toLowerCase()}`),
    attrs: { EndpointConfigName: (n) => n.name },
  },
  'AWS::SageMaker::Model': {
    ref: (n) => arn('sagemaker', n, `model/${n.name.toLowerCase()}`),
    attrs: { ModelName: (n) => n.name },
  },
  'AWS::ApiGateway::RestApi': {
    ref: (n) => n.id.slice(0, 10),
    attrs: { RootResourceId: (n) => `root${n.id.slice(0, 6)}`, RestApiId: (n) => n.id.slice(0, 10) },
  },
  'AWS::ApiGateway::Resource': { ref: (n) => n.id.slice(0, 6), attrs: { ResourceId: (n) => n.id.slice(0, 6) } },
  'AWS::ApiGateway::Stage': { ref: (n) => n.name },
  'AWS::ApiGatewayV2::Api': { ref: (n) => n.id.slice(0, 10), attrs: { ApiId: (n) => n.id.slice(0, 10) } },
  'AWS::Lambda::Function': { ref: (n) => n.name, attrs: { Arn: (n) => arn('lambda', n, `function:${n.name}`) } },
  'AWS::Logs::LogGroup': { ref: (n) => n.name, attrs: { Arn: (n) => arn('logs', n, `log-group:${n.name}:*`) } },
  'AWS::SNS::Topic': {
    ref: (n) => arn('sns', n, n.name),
    attrs: { TopicArn: (n) => arn('sns', n, n.name), TopicName: (n) => n.name },
  },
  'AWS::SQS::Queue': {
    ref: (n) => `https://sqs.${n.region}.amazonaws.com/${n.account}/${n.name}`,
    attrs: { Arn: (n) => arn('sqs', n, n.name), QueueName: (n) => n.name },
  },
  'AWS::CloudTrail::Trail': { ref: (n) => n.name, attrs: { Arn: (n) => arn('cloudtrail', n, `trail/${n.name}`) } },
  'AWS::DynamoDB::Table': { ref: (n) => n.name, attrs: { Arn: (n) => arn('dynamodb', n, `table/${n.name}`) } },
  'AWS::ECR::Repository': { ref: (n) => n.name, attrs: { Arn: (n) => arn('ecr', n, `repository/${n.name}`) } },
  'AWS::SecretsManager::Secret': { ref: (n) => arn('secretsmanager', n, `secret:${n.name}-AbCdEf`) },
  'AWS::WAFv2::WebACL': {
    ref: (n) => `${n.name}|${n.id.slice(0, 8)}|REGIONAL`,
    attrs: {
      Arn: (n) => arn('wafv2', n, `regional/webacl/${n.name}/${n.id.slice(0, 8)}`),
      Id: (n) => n.id.slice(0, 8),
    },
  },
  // Bedrock guardrails: ids are 12 lower-case letters and digits; a published version is numbered from 1
  // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-bedrock-guardrailversion.html:
  // Ref is `<guardrail id>|<version>`).
  'AWS::Bedrock::Guardrail': {
    ref: (n) => arn('bedrock', n, `guardrail/${n.id.slice(0, 12)}`),
    attrs: {
      GuardrailArn: (n) => arn('bedrock', n, `guardrail/${n.id.slice(0, 12)}`),
      GuardrailId: (n) => n.id.slice(0, 12),
      Version: () => 'DRAFT',
    },
  },
  'AWS::Bedrock::GuardrailVersion': { ref: (n) => `${n.id.slice(0, 12)}|1`, attrs: { Version: () => '1' } },
  // ARN formats from the Service Authorization Reference (resource types aoss `collection`, bedrock
  // `knowledge-base`); ids as the services write them (26 lower-case characters, 10 upper-case).
  'AWS::OpenSearchServerless::Collection': {
    ref: (n) => n.id.slice(0, 26),
    attrs: {
      Arn: (n) => arn('aoss', n, `collection/${n.id.slice(0, 26)}`),
      Id: (n) => n.id.slice(0, 26),
      CollectionEndpoint: (n) => `https://${n.id.slice(0, 26)}.${n.region}.aoss.amazonaws.com`,
    },
  },
  'AWS::Bedrock::KnowledgeBase': {
    ref: (n) => n.id.slice(0, 10).toUpperCase(),
    attrs: {
      KnowledgeBaseArn: (n) => arn('bedrock', n, `knowledge-base/${n.id.slice(0, 10).toUpperCase()}`),
      KnowledgeBaseId: (n) => n.id.slice(0, 10).toUpperCase(),
    },
  },
  'AWS::Signer::SigningProfile': {
    ref: (n) => arn('signer', n, `/signing-profiles/${n.name}`),
    attrs: {
      Arn: (n) => arn('signer', n, `/signing-profiles/${n.name}`),
      ProfileName: (n) => n.name,
      ProfileVersionArn: (n) => arn('signer', n, `/signing-profiles/${n.name}/abcdef1234`),
    },
  },
};

/**
 * Resolves intrinsics across the stacks of one assembly. Remembers what it could not resolve.
 */
export class AssemblyResolver {
  public readonly account: string;
  public readonly region: string;
  /** Descriptions of references that resolved to an `unresolved:` placeholder. */
  public readonly unresolved = new Set<string>();
  private readonly stackByName = new Map<string, AssemblyStack>();

  constructor(
    public readonly assembly: CloudAssembly,
    env: PlaceholderEnvironment = {},
  ) {
    this.account = env.account ?? DEFAULT_ACCOUNT;
    this.region = env.region ?? DEFAULT_REGION;
    for (const stack of assembly.stacks) this.stackByName.set(stack.stackName, stack);
  }

  /** Account of a stack: its concrete environment account, or the placeholder. */
  public accountOf(stack: AssemblyStack): string {
    return stack.account ?? this.account;
  }

  /** Region of a stack: its concrete environment region, or the placeholder. */
  public regionOf(stack: AssemblyStack): string {
    return stack.region ?? this.region;
  }

  /** Resolve every intrinsic in a value of a stack's template. */
  public resolve(stack: AssemblyStack, value: unknown): unknown {
    const r = this.resolveInner(stack, value, 0);
    return r === NO_VALUE ? undefined : r;
  }

  /** Resolve to a string (arrays joined with ','; objects as JSON). */
  public resolveString(stack: AssemblyStack, value: unknown): string {
    const r = this.resolve(stack, value);
    if (typeof r === 'string') return r;
    if (Array.isArray(r)) return r.join(',');
    return r === undefined ? '' : JSON.stringify(r);
  }

  /** What `Ref` on a resource of a stack returns. */
  public ref(stack: AssemblyStack, logicalId: string): string {
    const resource = stack.template.Resources?.[logicalId];
    if (!resource) return this.unresolvedValue(`Ref ${stack.stackName}.${logicalId}`);
    const naming = TYPES[resource.Type];
    const ctx = this.nameContext(stack, logicalId, resource);
    return naming ? naming.ref(ctx) : `${ctx.name}`;
  }

  /** What `Fn::GetAtt` on a resource of a stack returns. */
  public getAtt(stack: AssemblyStack, logicalId: string, attribute: string): string {
    const resource = stack.template.Resources?.[logicalId];
    if (!resource) return this.unresolvedValue(`GetAtt ${stack.stackName}.${logicalId}.${attribute}`);
    const ctx = this.nameContext(stack, logicalId, resource);
    const fn = TYPES[resource.Type]?.attrs?.[attribute];
    if (fn) return fn(ctx);
    // A property of the same name (e.g. VPC CidrBlock) is what CloudFormation returns for many types.
    const prop = resource.Properties?.[attribute];
    if (prop !== undefined && typeof this.resolve(stack, prop) === 'string') return this.resolve(stack, prop) as string;
    if (attribute === 'Arn') {
      const [, service, type] = resource.Type.split('::');
      return arn(service.toLowerCase(), ctx, `${type.toLowerCase()}/${ctx.name}`);
    }
    return `${this.ref(stack, logicalId)}.${attribute}`;
  }

  /** The physical name the resolver gives a resource (its literal name property, or a derived one). */
  public physicalName(stack: AssemblyStack, logicalId: string): string {
    const resource = stack.template.Resources?.[logicalId];
    return resource ? this.nameContext(stack, logicalId, resource).name : logicalId;
  }

  private nameContext(stack: AssemblyStack, logicalId: string, resource: CfnResource): NameContext {
    const props = resource.Properties ?? {};
    const nameProp = NAME_PROPERTY[resource.Type];
    const literal = nameProp ? props[nameProp] : undefined;
    let name: string;
    if (literal !== undefined && typeof literal !== 'string') {
      name = this.resolveString(stack, literal);
    } else if (typeof literal === 'string') {
      name = literal;
    } else {
      name = `${stack.stackName}-${logicalId}`;
      if (resource.Type === 'AWS::S3::Bucket') name = name.toLowerCase().slice(0, 63);
    }
    const id = createHash('sha256').update(`${stack.stackName}/${logicalId}`).digest('hex');
    const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
    return {
      name,
      id: resource.Type === 'AWS::KMS::Key' ? uuid : id,
      account: this.accountOf(stack),
      region: this.regionOf(stack),
      props,
    };
  }

  private unresolvedValue(what: string): string {
    this.unresolved.add(what);
    return `unresolved:${what.replace(/\s+/g, ':')}`;
  }

  private resolveInner(stack: AssemblyStack, value: unknown, depth: number): unknown {
    if (depth > 50) return this.unresolvedValue(`too deep in ${stack.stackName}`);
    if (Array.isArray(value)) {
      return value.map((v) => this.resolveInner(stack, v, depth + 1)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition')) {
      return this.intrinsic(stack, keys[0], obj[keys[0]], depth);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const v = this.resolveInner(stack, obj[key], depth + 1);
      if (v !== NO_VALUE) out[key] = v;
    }
    return out;
  }

  private intrinsic(stack: AssemblyStack, fn: string, arg: unknown, depth: number): unknown {
    const r = (v: unknown): unknown => this.resolveInner(stack, v, depth + 1);
    switch (fn) {
      case 'Ref':
        return this.resolveRef(stack, String(arg));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.+)/);
        return this.getAtt(stack, logicalId, attribute);
      }
      case 'Fn::Join': {
        const [delimiter, parts] = arg as [string, unknown];
        const resolved = r(parts);
        return Array.isArray(resolved) ? resolved.map((p) => stringify(p)).join(delimiter) : stringify(resolved);
      }
      case 'Fn::Sub':
        return this.sub(stack, arg, depth);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const resolved = r(list);
        const i = Number(r(index));
        return Array.isArray(resolved) && i < resolved.length ? resolved[i] : this.unresolvedValue(`Select ${i}`);
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return stringify(r(source)).split(delimiter);
      }
      case 'Fn::GetAZs': {
        const region = stringify(r(arg)) || this.regionOf(stack);
        return ['a', 'b', 'c', 'd', 'e', 'f'].map((s) => `${region}${s}`);
      }
      case 'Fn::Base64':
        return r(arg);
      case 'Fn::Cidr': {
        const [, count] = arg as [unknown, unknown];
        return Array.from({ length: Number(r(count)) || 1 }, (_, i) => `10.255.${i}.0/24`);
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((v) => stringify(r(v)));
        const found = stack.template.Mappings?.[map]?.[top]?.[second];
        return found === undefined ? this.unresolvedValue(`FindInMap ${map}.${top}.${second}`) : r(found);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.condition(stack, condition, depth) ? r(whenTrue) : r(whenFalse);
      }
      case 'Condition':
        return this.condition(stack, String(arg), depth);
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map(r);
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !r((arg as unknown[])[0]);
      case 'Fn::And':
        return (arg as unknown[]).every((c) => !!r(c));
      case 'Fn::Or':
        return (arg as unknown[]).some((c) => !!r(c));
      case 'Fn::ImportValue':
        return this.importValue(stringify(r(arg)));
      case 'Fn::GetStackOutput': {
        const a = arg as { StackName: unknown; OutputName: unknown };
        return this.stackOutput(stringify(r(a.StackName)), stringify(r(a.OutputName)));
      }
      default:
        return this.unresolvedValue(`${fn} in ${stack.stackName}`);
    }
  }

  private resolveRef(stack: AssemblyStack, name: string): unknown {
    switch (name) {
      case 'AWS::AccountId':
        return this.accountOf(stack);
      case 'AWS::Region':
        return this.regionOf(stack);
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.regionOf(stack)}:${this.accountOf(stack)}:stack/${stack.stackName}/id`;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
    }
    const parameter = stack.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default !== undefined && !parameter.Type.startsWith('AWS::SSM::Parameter'))
        return parameter.Default;
      return `parameter:${stack.stackName}.${name}`;
    }
    return this.ref(stack, name);
  }

  private sub(stack: AssemblyStack, arg: unknown, depth: number): string {
    const [template, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return template.replace(/\$\{(!?)([^}]+)\}/g, (_m, bang: string, expr: string) => {
      if (bang) return `\${${expr}}`;
      if (vars && expr in vars) return stringify(this.resolveInner(stack, vars[expr], depth + 1));
      if (expr.includes('.') && !expr.startsWith('AWS::')) {
        const [logicalId, attribute] = expr.split(/\.(.+)/);
        return this.getAtt(stack, logicalId, attribute);
      }
      return stringify(this.resolveRef(stack, expr));
    });
  }

  private condition(stack: AssemblyStack, name: string, depth: number): boolean {
    const cond = stack.template.Conditions?.[name];
    if (cond === undefined) {
      this.unresolvedValue(`Condition ${stack.stackName}.${name}`);
      return true;
    }
    return !!this.resolveInner(stack, cond, depth + 1);
  }

  private importValue(exportName: string): unknown {
    for (const stack of this.assembly.stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        if (output.Export && this.resolveString(stack, output.Export.Name) === exportName) {
          return this.resolve(stack, output.Value);
        }
      }
    }
    return this.unresolvedValue(`ImportValue ${exportName}`);
  }

  private stackOutput(stackName: string, outputName: string): unknown {
    const stack = this.stackByName.get(stackName) ?? findStack(this.assembly, stackName);
    const output = stack?.template.Outputs?.[outputName];
    if (!stack || !output) return this.unresolvedValue(`GetStackOutput ${stackName}.${outputName}`);
    return this.resolve(stack, output.Value);
  }
}

function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined || v === NO_VALUE) return '';
  return JSON.stringify(v);
}
