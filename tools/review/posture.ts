/**
 * The posture of an assembly, read from its templates: the network (VPCs, subnet tiers, endpoints,
 * security groups and who may reach whom), the public surfaces, the controls each resource carries
 * (encryption, boundaries, logging...) with the checks they pass or fail, and the validators' counts.
 *
 * Written as `posture.json` next to the report so that a later run can be compared with it (diff.ts).
 */
import { Area, areaOfRule, baseRuleId } from './areas';
import { AssemblyResource, CloudAssembly } from './assembly';
import { AssemblyResolver, PlaceholderEnvironment } from './intrinsics';
import { asArray, ResolvedTemplates, tagsOf } from './resolved-templates';
import { byString } from './json';

export interface Posture {
  readonly schemaVersion: 1;
  readonly network: NetworkModel;
  readonly publicSurfaces: PublicSurface[];
  readonly controls: Control[];
  readonly validation: ValidationSummary;
}

export interface NetworkModel {
  readonly vpcs: Array<{ id: string; cidr: string; tiers: Tier[]; flowLogs: boolean }>;
  readonly endpoints: Endpoint[];
  readonly securityGroups: SecurityGroupNode[];
  /** Who may reach whom: ingress rules, by source. */
  readonly reachability: Reachability[];
}

export interface Tier {
  readonly name: string;
  readonly subnetType: string;
  readonly subnets: number;
  readonly azs: string[];
  readonly cidrs: string[];
  /** Where 0.0.0.0/0 goes from this tier: `internet-gateway`, `nat-gateway`, or `none`. */
  readonly egress: 'internet-gateway' | 'nat-gateway' | 'none';
  readonly publicIpOnLaunch: boolean;
}

export interface Endpoint {
  readonly id: string;
  readonly vpc: string;
  readonly service: string;
  readonly type: string;
  readonly tiers: string[];
  readonly securityGroups: string[];
  readonly hasPolicy: boolean;
}

export interface SecurityGroupNode {
  readonly id: string;
  readonly vpc: string;
  readonly description: string;
  readonly tiers: string[];
  /** Resources the group is attached to (construct paths). */
  readonly attachedTo: string[];
  readonly allowAllOutbound: boolean;
}

export interface Reachability {
  /** A security group id, `cidr:<block>` or `prefix-list:<id>`. */
  readonly from: string;
  readonly to: string;
  readonly ports: string;
  /** Whether the source's egress rules let the traffic out (always true for CIDR sources). */
  readonly egressAllowed: boolean;
}

export interface PublicSurface {
  /** Stable key for diffs. */
  readonly key: string;
  readonly kind: string;
  readonly resource: string;
  readonly detail: string;
}

export interface Control {
  /** Construct path of the resource carrying the control. */
  readonly subject: string;
  readonly control: string;
  readonly area: Area;
  readonly value: string;
  /** Strength: higher is stronger; compared across runs. */
  readonly rank: number;
  /** Minimum rank that passes the check. */
  readonly required: number;
  readonly pass: boolean;
}

export interface ValidationSummary {
  /** By plugin name. */
  readonly plugins: Record<
    string,
    {
      readonly version?: string;
      readonly conclusion: string;
      /** By rule id (without evidence suffix). */
      readonly rules: Record<
        string,
        {
          open: number;
          acknowledged: number;
          area: Area;
          /** Each acknowledged finding as `<construct path> <rule with evidence>`, sorted (absent in older reviews). */
          acknowledgedFindings?: string[];
        }
      >;
    }
  >;
  /** Whether the assembly had a validation report at all. */
  readonly reportPresent: boolean;
}

const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0']);

/**
 * How strongly a DeletionPolicy keeps data: `Retain` 2; `RetainExceptOnCreate` 1 (kept on every delete except the
 * rollback of the stack operation that created it, when it holds nothing yet); `Delete`/`Snapshot`/none 0.
 */
function retainRank(policy: unknown): number {
  return policy === 'Retain' ? 2 : policy === 'RetainExceptOnCreate' ? 1 : 0;
}

/** Read the posture of an assembly. */
export function buildPosture(assembly: CloudAssembly, env: PlaceholderEnvironment = {}): Posture {
  const reader = new PostureReader(assembly, new AssemblyResolver(assembly, env));
  const network = reader.network();
  return {
    schemaVersion: 1,
    network,
    publicSurfaces: reader.publicSurfaces(network).sort((a, b) => byString(a.key, b.key)),
    controls: reader.controls().sort((a, b) => byString(a.subject, b.subject) || byString(a.control, b.control)),
    validation: validationSummary(assembly),
  };
}

function validationSummary(assembly: CloudAssembly): ValidationSummary {
  const plugins: Record<string, ValidationSummary['plugins'][string]> = {};
  for (const p of assembly.validationReport?.pluginReports ?? []) {
    const rules: ValidationSummary['plugins'][string]['rules'] = {};
    const count = (ruleName: string, n: number, field: 'open' | 'acknowledged'): void => {
      const id = baseRuleId(ruleName);
      rules[id] ??= { open: 0, acknowledged: 0, area: areaOfRule(p.pluginName, id) };
      rules[id][field] += n;
    };
    for (const v of p.violations) count(v.ruleName, Math.max(1, v.violatingConstructs.length), 'open');
    for (const v of p.suppressedViolations) {
      count(v.ruleName, Math.max(1, v.violatingConstructs.length), 'acknowledged');
      const rule = rules[baseRuleId(v.ruleName)];
      const found = new Set(rule.acknowledgedFindings ?? []);
      for (const c of v.violatingConstructs) found.add(`${c.constructPath} ${v.ruleName}`);
      rule.acknowledgedFindings = [...found].sort(byString);
    }
    plugins[p.pluginName] = {
      ...(p.pluginVersion ? { version: p.pluginVersion } : {}),
      conclusion: p.conclusion,
      rules,
    };
  }
  return { plugins, reportPresent: assembly.validationReport !== undefined };
}

interface SgRule {
  readonly group: string;
  readonly direction: 'ingress' | 'egress';
  readonly peer: string;
  readonly ports: string;
}

class PostureReader extends ResolvedTemplates {
  private readonly refToId = new Map<string, string>();

  constructor(assembly: CloudAssembly, resolver: AssemblyResolver) {
    super(assembly, resolver);
    for (const r of this.all) this.refToId.set(this.ref(r), this.id(r));
  }

  public network(): NetworkModel {
    const subnets = this.ofType('AWS::EC2::Subnet');
    const routeTableOfSubnet = new Map<string, string>();
    for (const a of this.ofType('AWS::EC2::SubnetRouteTableAssociation')) {
      const p = this.props(a);
      routeTableOfSubnet.set(String(p.SubnetId), String(p.RouteTableId));
    }
    const defaultRouteOf = new Map<string, Tier['egress']>();
    for (const route of this.ofType('AWS::EC2::Route')) {
      const p = this.props(route);
      if (!OPEN_CIDRS.has(String(p.DestinationCidrBlock ?? p.DestinationIpv6CidrBlock))) continue;
      const kind = p.NatGatewayId
        ? 'nat-gateway'
        : String(p.GatewayId ?? '').startsWith('igw-')
          ? 'internet-gateway'
          : undefined;
      if (kind && defaultRouteOf.get(String(p.RouteTableId)) !== 'internet-gateway')
        defaultRouteOf.set(String(p.RouteTableId), kind);
    }
    const tierOfSubnet = new Map<string, string>();
    const vpcs = this.ofType('AWS::EC2::VPC').map((vpc) => {
      const vpcRef = this.ref(vpc);
      const tiers = new Map<string, { type: string; subnets: AssemblyResource[] }>();
      for (const s of subnets.filter((s) => this.props(s).VpcId === vpcRef)) {
        const tags = tagsOf(this.props(s));
        const name = tags['aws-cdk:subnet-name'] ?? tags['aws-cdk:subnet-type'] ?? 'untagged';
        tierOfSubnet.set(this.ref(s), `${this.id(vpc)}:${name}`);
        if (!tiers.has(name)) tiers.set(name, { type: tags['aws-cdk:subnet-type'] ?? 'unknown', subnets: [] });
        tiers.get(name)!.subnets.push(s);
      }
      const flowLogs = this.ofType('AWS::EC2::FlowLog').some((f) => this.props(f).ResourceId === vpcRef);
      return {
        id: this.id(vpc),
        cidr: String(this.props(vpc).CidrBlock ?? 'ipam'),
        flowLogs,
        tiers: [...tiers.entries()]
          .map(([name, t]): Tier => {
            const egress = t.subnets
              .map((s) => defaultRouteOf.get(routeTableOfSubnet.get(this.ref(s)) ?? '') ?? 'none')
              .reduce<Tier['egress']>((acc, e) => (acc === 'internet-gateway' || e === 'none' ? acc : e), 'none');
            return {
              name,
              subnetType: t.type,
              subnets: t.subnets.length,
              azs: t.subnets.map((s) => String(this.props(s).AvailabilityZone ?? '?')).sort(byString),
              cidrs: t.subnets.map((s) => String(this.props(s).CidrBlock ?? '?')).sort(byString),
              egress,
              publicIpOnLaunch: t.subnets.some((s) => this.props(s).MapPublicIpOnLaunch === true),
            };
          })
          .sort((a, b) => tierOrder(a) - tierOrder(b) || byString(a.name, b.name)),
      };
    });
    const tiersOfRouteTable = new Map<string, Set<string>>();
    for (const [subnet, rt] of routeTableOfSubnet) {
      const tier = tierOfSubnet.get(subnet);
      if (tier) tiersOfRouteTable.set(rt, (tiersOfRouteTable.get(rt) ?? new Set()).add(tier));
    }

    // Attachments: every resource naming a security group or a subnet.
    const sgRefs = new Set(this.ofType('AWS::EC2::SecurityGroup').map((sg) => this.ref(sg)));
    const attachments = new Map<string, { sgs: Set<string>; tiers: Set<string> }>();
    const launchTemplateSgs = new Map<string, Set<string>>();
    const skip = new Set([
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::SecurityGroupIngress',
      'AWS::EC2::SecurityGroupEgress',
      'AWS::EC2::Subnet',
      'AWS::EC2::SubnetRouteTableAssociation',
      'AWS::EC2::RouteTable',
      'AWS::EC2::Route',
      'AWS::EC2::NatGateway',
      'AWS::EC2::VPCGatewayAttachment',
    ]);
    for (const r of this.all) {
      if (skip.has(r.type)) continue;
      const strings = new Set<string>();
      collectStrings(this.props(r), strings);
      const sgs = new Set([...strings].filter((s) => sgRefs.has(s)).map((s) => this.refToId.get(s)!));
      const tiers = new Set([...strings].map((s) => tierOfSubnet.get(s)).filter((t): t is string => !!t));
      if (r.type === 'AWS::EC2::LaunchTemplate') launchTemplateSgs.set(this.ref(r), sgs);
      for (const s of strings) for (const sg of launchTemplateSgs.get(s) ?? []) sgs.add(sg);
      if (sgs.size > 0 || (tiers.size > 0 && r.type !== 'AWS::EC2::VPCEndpoint'))
        attachments.set(this.id(r), { sgs, tiers });
    }

    const endpoints = this.ofType('AWS::EC2::VPCEndpoint').map((ep): Endpoint => {
      const p = this.props(ep);
      const strings = new Set<string>();
      collectStrings(p.SubnetIds, strings);
      const tiers = new Set([...strings].map((s) => tierOfSubnet.get(s)).filter((t): t is string => !!t));
      for (const rt of asArray(p.RouteTableIds)) for (const t of tiersOfRouteTable.get(String(rt)) ?? []) tiers.add(t);
      return {
        id: this.id(ep),
        vpc: this.refToId.get(String(p.VpcId)) ?? String(p.VpcId),
        service: String(p.ServiceName).replace(/^(aws\.sagemaker|com\.amazonaws)\.[a-z0-9-]+\./, ''),
        type: String(p.VpcEndpointType ?? 'Gateway'),
        tiers: [...tiers].sort(byString),
        securityGroups: asArray(p.SecurityGroupIds)
          .map((s) => this.refToId.get(String(s)) ?? String(s))
          .sort(byString),
        hasPolicy: p.PolicyDocument !== undefined,
      };
    });
    for (const ep of endpoints) attachments.set(ep.id, { sgs: new Set(ep.securityGroups), tiers: new Set(ep.tiers) });

    const rules = this.sgRules();
    const securityGroups = this.ofType('AWS::EC2::SecurityGroup').map((sg): SecurityGroupNode => {
      const id = this.id(sg);
      const attachedTo = [...attachments.entries()]
        .filter(([, a]) => a.sgs.has(id))
        .map(([k]) => k)
        .sort(byString);
      const tiers = new Set<string>();
      for (const k of attachedTo) for (const t of attachments.get(k)!.tiers) tiers.add(t);
      return {
        id,
        vpc: this.refToId.get(String(this.props(sg).VpcId)) ?? String(this.props(sg).VpcId),
        description: String(this.props(sg).GroupDescription ?? ''),
        tiers: [...tiers].sort(byString),
        attachedTo,
        allowAllOutbound: rules.some(
          (r) =>
            r.group === id &&
            r.direction === 'egress' &&
            OPEN_CIDRS.has(r.peer.replace(/^cidr:/, '')) &&
            r.ports === 'all',
        ),
      };
    });
    const reachability: Reachability[] = rules
      .filter((r) => r.direction === 'ingress')
      .map((r) => ({
        from: r.peer,
        to: r.group,
        ports: r.ports,
        egressAllowed:
          !securityGroups.some((g) => g.id === r.peer) ||
          rules.some(
            (e) =>
              e.group === r.peer &&
              e.direction === 'egress' &&
              (e.peer === r.group || OPEN_CIDRS.has(e.peer.replace(/^cidr:/, ''))),
          ),
      }))
      .sort((a, b) => byString(a.from, b.from) || byString(a.to, b.to) || byString(a.ports, b.ports));
    return {
      vpcs: vpcs.sort((a, b) => byString(a.id, b.id)),
      endpoints: endpoints.sort((a, b) => byString(a.id, b.id)),
      securityGroups: securityGroups.sort((a, b) => byString(a.id, b.id)),
      reachability,
    };
  }

  public publicSurfaces(network: NetworkModel): PublicSurface[] {
    const out: PublicSurface[] = [];
    const add = (kind: string, resource: string, detail: string, extra = ''): void => {
      out.push({ key: `${kind}:${resource}${extra ? `:${extra}` : ''}`, kind, resource, detail });
    };
    for (const r of this.ofType('AWS::EC2::InternetGateway')) add('internet-gateway', this.id(r), 'internet gateway');
    for (const r of this.ofType('AWS::EC2::EgressOnlyInternetGateway'))
      add('egress-only-internet-gateway', this.id(r), 'IPv6 egress to the internet');
    for (const r of this.ofType('AWS::EC2::NatGateway'))
      add('nat-gateway', this.id(r), 'NAT gateway: egress to the internet');
    for (const r of this.ofType('AWS::EC2::EIP')) add('elastic-ip', this.id(r), 'public IPv4 address');
    for (const vpc of network.vpcs) {
      for (const t of vpc.tiers) {
        if (t.egress === 'internet-gateway' || t.publicIpOnLaunch) {
          add(
            'public-subnet-tier',
            `${vpc.id}:${t.name}`,
            `tier '${t.name}' routes to an internet gateway${t.publicIpOnLaunch ? ' and maps public IPs' : ''}`,
          );
        }
      }
    }
    for (const r of [...this.ofType('AWS::EC2::Instance'), ...this.ofType('AWS::EC2::LaunchTemplate')]) {
      const strings = JSON.stringify(this.props(r));
      if (/"AssociatePublicIpAddress":true/.test(strings)) add('public-ip', this.id(r), 'instances get a public IP');
    }
    for (const rule of this.sgRules()) {
      const cidr = rule.peer.replace(/^cidr:/, '');
      if (rule.direction === 'ingress' && OPEN_CIDRS.has(cidr))
        add('open-ingress', rule.group, `ingress from ${cidr} on ${rule.ports}`, `${cidr}:${rule.ports}`);
      if (rule.direction === 'egress' && OPEN_CIDRS.has(cidr))
        add('open-egress', rule.group, `egress to ${cidr} on ${rule.ports}`, `${cidr}:${rule.ports}`);
    }
    for (const api of this.ofType('AWS::ApiGateway::RestApi')) {
      const types = asArray((this.props(api).EndpointConfiguration as { Types?: unknown } | undefined)?.Types).map(
        String,
      );
      if (types.includes('PRIVATE')) continue;
      const apiRef = this.ref(api);
      const stages = this.ofType('AWS::ApiGateway::Stage').filter((s) => this.props(s).RestApiId === apiRef);
      for (const s of stages)
        add(
          'public-api-stage',
          this.id(api),
          `${types.join('/') || 'EDGE'} REST API stage '${this.props(s).StageName}'`,
          String(this.props(s).StageName),
        );
      if (stages.length === 0) add('public-api-stage', this.id(api), `${types.join('/') || 'EDGE'} REST API`);
    }
    for (const api of this.ofType('AWS::ApiGatewayV2::Api'))
      add('public-api-stage', this.id(api), `${this.props(api).ProtocolType} API (always public)`);
    for (const url of this.ofType('AWS::Lambda::Url')) {
      if (this.props(url).AuthType === 'NONE')
        add('public-function-url', this.id(url), 'Lambda function URL without IAM auth');
    }
    for (const lb of this.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      if ((this.props(lb).Scheme ?? 'internet-facing') === 'internet-facing')
        add('internet-facing-load-balancer', this.id(lb), 'internet-facing load balancer');
    }
    for (const nb of this.ofType('AWS::SageMaker::NotebookInstance')) {
      if (this.props(nb).DirectInternetAccess !== 'Disabled')
        add('notebook-internet-access', this.id(nb), 'notebook with direct internet access');
    }
    const policyHolders: Array<[string, string]> = [
      ['AWS::S3::BucketPolicy', 'PolicyDocument'],
      ['AWS::KMS::Key', 'KeyPolicy'],
      ['AWS::ApiGateway::RestApi', 'Policy'],
      ['AWS::SNS::TopicPolicy', 'PolicyDocument'],
      ['AWS::SQS::QueuePolicy', 'PolicyDocument'],
      ['AWS::EC2::VPCEndpoint', 'PolicyDocument'],
    ];
    for (const [type, field] of policyHolders) {
      for (const r of this.ofType(type)) {
        asArray((this.props(r)[field] as { Statement?: unknown } | undefined)?.Statement).forEach((s, i) => {
          const st = s as { Effect?: string; Principal?: unknown; Condition?: unknown; Sid?: string };
          const anyone =
            st.Principal === '*' || asArray((st.Principal as { AWS?: unknown } | undefined)?.AWS).includes('*');
          if (st.Effect === 'Allow' && anyone && !st.Condition) {
            add(
              'public-policy',
              this.id(r),
              `statement ${st.Sid ?? `#${i + 1}`} allows any principal without a condition`,
              st.Sid ?? `#${i + 1}`,
            );
          }
        });
      }
    }
    for (const perm of this.ofType('AWS::Lambda::Permission')) {
      const p = this.props(perm);
      if (p.Principal === '*' && !p.SourceArn && !p.SourceAccount && !p.PrincipalOrgID)
        add('public-policy', this.id(perm), 'Lambda permission for any principal');
    }
    return out;
  }

  public controls(): Control[] {
    const out: Control[] = [];
    const add = (
      r: AssemblyResource | string,
      control: string,
      area: Area,
      value: string,
      rank: number,
      required: number,
    ): void => {
      const subject = typeof r === 'string' ? r : this.id(r);
      out.push({ subject, control, area, value, rank, required, pass: rank >= required });
    };
    const logTargets = new Set(
      this.ofType('AWS::S3::Bucket')
        .map(
          (b) =>
            (this.props(b).LoggingConfiguration as { DestinationBucketName?: unknown } | undefined)
              ?.DestinationBucketName,
        )
        .filter((n) => n !== undefined)
        .map(String),
    );
    const bucketPolicies = this.ofType('AWS::S3::BucketPolicy');
    for (const b of this.ofType('AWS::S3::Bucket')) {
      const p = this.props(b);
      const name = this.ref(b);
      const sse = (
        asArray(
          (p.BucketEncryption as { ServerSideEncryptionConfiguration?: unknown } | undefined)
            ?.ServerSideEncryptionConfiguration,
        )[0] as { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: unknown } } | undefined
      )?.ServerSideEncryptionByDefault;
      const isLogTarget = logTargets.has(name);
      const [encValue, encRank] = sse?.SSEAlgorithm?.startsWith('aws:kms')
        ? sse.KMSMasterKeyID
          ? ['SSE-KMS (customer key)', 3]
          : ['SSE-KMS (AWS managed key)', 2]
        : sse?.SSEAlgorithm === 'AES256'
          ? ['SSE-S3', 1]
          : ['default (SSE-S3)', 1];
      add(
        b,
        'encryption at rest',
        'encryption',
        `${encValue}${isLogTarget ? ' (server access log target: SSE-S3 required by S3)' : ''}`,
        encRank as number,
        isLogTarget ? 1 : 3,
      );
      const pab = p.PublicAccessBlockConfiguration as Record<string, unknown> | undefined;
      // Since April 2023 S3 turns all four settings on for new buckets; only explicit false values weaken it.
      const pabAll =
        !pab ||
        ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'].every(
          (k) => pab[k] === true,
        );
      add(
        b,
        'block public access',
        'workload isolation',
        !pab ? 'S3 default (all four on)' : pabAll ? 'all four settings on' : 'not fully on',
        pabAll ? 1 : 0,
        1,
      );
      const versioned = (p.VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled';
      add(b, 'versioning', 'governance', versioned ? 'Enabled' : 'off', versioned ? 1 : 0, isLogTarget ? 0 : 1);
      const tlsOnly = bucketPolicies.some((bp) => {
        const bpp = this.props(bp);
        return (
          bpp.Bucket === name &&
          asArray((bpp.PolicyDocument as { Statement?: unknown }).Statement).some((s) => {
            const st = s as { Effect?: string; Condition?: Record<string, Record<string, unknown>> };
            return (
              st.Effect === 'Deny' &&
              Object.values(st.Condition ?? {}).some((c) => String(c['aws:SecureTransport']) === 'false')
            );
          })
        );
      });
      add(
        b,
        'TLS-only bucket policy',
        'encryption',
        tlsOnly ? 'denies aws:SecureTransport=false' : 'absent',
        tlsOnly ? 1 : 0,
        1,
      );
      add(
        b,
        'server access logging',
        'threat monitoring',
        p.LoggingConfiguration ? 'on' : 'off',
        p.LoggingConfiguration ? 1 : 0,
        isLogTarget ? 0 : 1,
      );
      add(
        b,
        'retained on delete',
        'governance',
        b.resource.DeletionPolicy ?? 'Delete',
        retainRank(b.resource.DeletionPolicy),
        1,
      );
    }
    for (const role of this.ofType('AWS::IAM::Role')) {
      const p = this.props(role);
      add(
        role,
        'permissions boundary',
        'access controls',
        p.PermissionsBoundary ? String(p.PermissionsBoundary) : 'none',
        p.PermissionsBoundary ? 1 : 0,
        1,
      );
      const max = Number(p.MaxSessionDuration ?? 3600);
      add(role, 'max session duration <= 3600 s', 'access controls', `${max} s`, max <= 3600 ? 1 : 0, 1);
    }
    for (const key of this.ofType('AWS::KMS::Key')) {
      const p = this.props(key);
      const symmetric = (p.KeySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT';
      add(
        key,
        'key rotation',
        'encryption',
        p.EnableKeyRotation ? 'on' : 'off',
        p.EnableKeyRotation ? 1 : 0,
        symmetric ? 1 : 0,
      );
      add(
        key,
        'retained on delete',
        'governance',
        key.resource.DeletionPolicy ?? 'Delete',
        retainRank(key.resource.DeletionPolicy),
        1,
      );
    }
    const encryptedBy = (r: AssemblyResource, field: string, control = 'encryption with a customer key'): void => {
      const v = this.props(r)[field];
      add(r, control, 'encryption', v ? 'customer key' : 'none', v ? 1 : 0, 1);
    };
    for (const lg of this.ofType('AWS::Logs::LogGroup')) {
      encryptedBy(lg, 'KmsKeyId');
      const days = this.props(lg).RetentionInDays;
      add(lg, 'log retention set', 'governance', days ? `${days} days` : 'never expires', days ? 1 : 0, 0);
    }
    for (const c of this.ofType('AWS::SageMaker::EndpointConfig')) encryptedBy(c, 'KmsKeyId');
    for (const t of this.ofType('AWS::SNS::Topic')) encryptedBy(t, 'KmsMasterKeyId');
    for (const q of this.ofType('AWS::SQS::Queue')) {
      const p = this.props(q);
      add(
        q,
        'encryption at rest',
        'encryption',
        p.KmsMasterKeyId ? 'customer key' : p.SqsManagedSseEnabled === false ? 'none' : 'SQS managed',
        p.KmsMasterKeyId ? 2 : p.SqsManagedSseEnabled === false ? 0 : 1,
        1,
      );
    }
    for (const trail of this.ofType('AWS::CloudTrail::Trail')) {
      const p = this.props(trail);
      encryptedBy(trail, 'KMSKeyId');
      add(
        trail,
        'log file validation',
        'governance',
        p.EnableLogFileValidation ? 'on' : 'off',
        p.EnableLogFileValidation ? 1 : 0,
        1,
      );
      const dataEvents =
        JSON.stringify(p.EventSelectors ?? p.AdvancedEventSelectors ?? []).includes('DataResources') ||
        JSON.stringify(p.AdvancedEventSelectors ?? []).includes('"Data"');
      add(trail, 'data events', 'threat monitoring', dataEvents ? 'on' : 'off', dataEvents ? 1 : 0, 0);
      add(
        trail,
        'logging',
        'threat monitoring',
        p.IsLogging === false ? 'off' : 'on',
        p.IsLogging === false ? 0 : 1,
        1,
      );
    }
    for (const vpc of this.ofType('AWS::EC2::VPC')) {
      const flow = this.ofType('AWS::EC2::FlowLog').some((f) => this.props(f).ResourceId === this.ref(vpc));
      add(vpc, 'flow logs', 'threat monitoring', flow ? 'on' : 'off', flow ? 1 : 0, 1);
    }
    const wafTargets = this.ofType('AWS::WAFv2::WebACLAssociation').map((a) => String(this.props(a).ResourceArn));
    for (const stage of this.ofType('AWS::ApiGateway::Stage')) {
      const p = this.props(stage);
      add(
        stage,
        'access logging',
        'threat monitoring',
        p.AccessLogSetting ? 'on' : 'off',
        p.AccessLogSetting ? 1 : 0,
        1,
      );
      const stageSuffix = `/restapis/${p.RestApiId}/stages/${p.StageName}`;
      const waf = wafTargets.some((t) => t.endsWith(stageSuffix));
      // A private API is reachable only through an interface VPC endpoint whose policy and the API's resource
      // policy decide who may call it; a web ACL is optional there, so its absence is not a failed check.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html
      const api = this.ofType('AWS::ApiGateway::RestApi').find((a) => this.ref(a) === String(p.RestApiId));
      const types = (this.props(api ?? stage).EndpointConfiguration as { Types?: unknown[] } | undefined)?.Types ?? [];
      const isPrivate = api !== undefined && types.map(String).includes('PRIVATE');
      add(
        stage,
        'WAF web ACL',
        'threat monitoring',
        waf
          ? 'associated'
          : isPrivate
            ? 'not applicable (private API, reachable only through its VPC endpoint)'
            : 'none',
        waf ? 1 : 0,
        isPrivate ? 0 : 1,
      );
    }
    for (const m of this.ofType('AWS::ApiGateway::Method')) {
      const p = this.props(m);
      if (String(p.HttpMethod).toUpperCase() === 'OPTIONS') continue;
      const auth = String(p.AuthorizationType ?? 'NONE');
      add(m, 'authorization', 'access controls', auth, auth === 'NONE' ? 0 : 1, 1);
    }
    for (const fn of this.ofType('AWS::Lambda::Function')) {
      const inVpc = !!(this.props(fn).VpcConfig as { SubnetIds?: unknown[] } | undefined)?.SubnetIds?.length;
      add(fn, 'runs in the VPC', 'workload isolation', inVpc ? 'yes' : 'no', inVpc ? 1 : 0, 0);
    }
    for (const model of this.ofType('AWS::SageMaker::Model')) {
      const p = this.props(model);
      add(model, 'runs in the VPC', 'workload isolation', p.VpcConfig ? 'yes' : 'no', p.VpcConfig ? 1 : 0, 1);
      add(
        model,
        'network isolation',
        'workload isolation',
        p.EnableNetworkIsolation ? 'on' : 'off',
        p.EnableNetworkIsolation ? 1 : 0,
        0,
      );
    }
    return out;
  }

  private sgRules(): Array<SgRule & { group: string }> {
    const out: SgRule[] = [];
    const peerOf = (r: Record<string, unknown>, direction: 'ingress' | 'egress'): string => {
      const sg = direction === 'ingress' ? r.SourceSecurityGroupId : r.DestinationSecurityGroupId;
      if (sg) return this.refToId.get(String(sg)) ?? String(sg);
      const pl = direction === 'ingress' ? r.SourcePrefixListId : r.DestinationPrefixListId;
      if (pl) return `prefix-list:${this.refToId.get(String(pl)) ?? String(pl)}`;
      return `cidr:${String(r.CidrIp ?? r.CidrIpv6 ?? '?')}`;
    };
    const portsOf = (r: Record<string, unknown>): string => {
      const proto = String(r.IpProtocol ?? '-1');
      if (proto === '-1' || proto === 'all') return 'all';
      const from = r.FromPort;
      const to = r.ToPort;
      return from === undefined ? proto : from === to ? `${proto}/${from}` : `${proto}/${from}-${to}`;
    };
    // CDK's placeholder rule for "no egress" (allowAllOutbound: false).
    const isPlaceholder = (r: Record<string, unknown>): boolean =>
      r.CidrIp === '255.255.255.255/32' && r.IpProtocol === 'icmp';
    for (const sg of this.ofType('AWS::EC2::SecurityGroup')) {
      const p = this.props(sg);
      for (const [field, direction] of [
        ['SecurityGroupIngress', 'ingress'],
        ['SecurityGroupEgress', 'egress'],
      ] as const) {
        for (const rule of asArray(p[field]) as Array<Record<string, unknown>>) {
          if (!isPlaceholder(rule))
            out.push({ group: this.id(sg), direction, peer: peerOf(rule, direction), ports: portsOf(rule) });
        }
      }
      // No egress rules at all means CloudFormation's default: all outbound allowed.
      if (
        p.SecurityGroupEgress === undefined &&
        !this.ofType('AWS::EC2::SecurityGroupEgress').some(
          (e) => this.refToId.get(String(this.props(e).GroupId)) === this.id(sg),
        )
      ) {
        out.push({ group: this.id(sg), direction: 'egress', peer: 'cidr:0.0.0.0/0', ports: 'all' });
      }
    }
    for (const [type, direction] of [
      ['AWS::EC2::SecurityGroupIngress', 'ingress'],
      ['AWS::EC2::SecurityGroupEgress', 'egress'],
    ] as const) {
      for (const r of this.ofType(type)) {
        const p = this.props(r);
        if (!isPlaceholder(p))
          out.push({
            group: this.refToId.get(String(p.GroupId)) ?? String(p.GroupId),
            direction,
            peer: peerOf(p, direction),
            ports: portsOf(p),
          });
      }
    }
    return out;
  }
}

function tierOrder(t: Tier): number {
  return t.egress === 'internet-gateway' ? 0 : t.egress === 'nat-gateway' ? 1 : 2;
}

function collectStrings(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectStrings(v, out));
}
