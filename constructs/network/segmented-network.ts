import { Annotations, Aws, RemovalPolicy, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { PlatformKey } from '../keys/platform-key';
import { deployTimeCall } from '../private/deploy-time-call';
import { acknowledgeFinding } from '../private/nag';
import * as perms from '../private/perms';
import { describeValue, PlatformValidationError, validateIntegerRange } from '../private/validation';
import { DnsFirewall, dnsDomainProblem, platformBaseDomains } from './dns-firewall';
import { PlatformEndpoint } from './platform-endpoint';

/** Names of the subnet tiers (the `aws-cdk:subnet-name` tag of each subnet). */
export const SubnetTier = {
  /** GPU compute: fleets and SageMaker ENIs. Isolated. */
  GPU: 'gpu',
  /** Interface VPC endpoints. Isolated. */
  ENDPOINTS: 'endpoints',
  /** Data services and platform functions. Isolated. */
  DATA: 'data',
  /** Declared egress tier: private subnets routed through NAT. Only with `openInternetEgress`. */
  EGRESS: 'egress',
  /** Public subnets holding the NAT gateways of the declared egress tier. Only with `openInternetEgress`. */
  EGRESS_PUBLIC: 'egress-public',
} as const;
export type SubnetTier = (typeof SubnetTier)[keyof typeof SubnetTier];

/** The tag every resource of a declared egress path carries, so reviewers and Guard rules can tell it apart. */
export const EGRESS_TIER_TAG = { key: 'ai-platform:egress-tier', value: 'declared' } as const;

const HTTPS = 443;

/** Prefix lengths of the declared egress tier's subnets: private (behind NAT), then public. */
export const EGRESS_TIER_MASKS: readonly number[] = [24, 26];

/**
 * The addresses subnet tiers take when allocated as CDK's `Vpc` does: tier by tier (in the order
 * given), zone by zone, each subnet starting at a multiple of its own size, so a small tier before a
 * larger one leaves a gap. Compare with the VPC's size before CDK fails with a stack trace.
 */
export function tierAddresses(zones: number, masks: readonly number[]): number {
  let next = 0;
  for (const mask of masks) {
    const size = 2 ** (32 - mask);
    for (let z = 0; z < zones; z++) next = Math.ceil(next / size) * size + size;
  }
  return next;
}
const EPHEMERAL = { from: 1024, to: 65535 };
/** Where `DescribeManagedPrefixLists` returns the id of the one list its name filter matches. */
const S3_PREFIX_LIST_ID_PATH = 'PrefixLists.0.PrefixListId';

/** The values a `SegmentedNetwork` takes for props that are not given. */
export interface SegmentedNetworkDefaults {
  readonly cidr: string;
  readonly maxAzs: number;
  readonly gpuTierCidrMask: number;
  readonly endpointsTierCidrMask: number;
  readonly dataTierCidrMask: number;
  readonly flowLogsRetention: logs.RetentionDays;
}

/**
 * The defaults of `SegmentedNetworkProps`, as a pure function: the construct merges the given props
 * over them, and a configuration layer can fill in its own defaults from the same values.
 */
export function segmentedNetworkDefaults(): SegmentedNetworkDefaults {
  return {
    cidr: '10.40.0.0/16',
    maxAzs: 2,
    gpuTierCidrMask: 20,
    endpointsTierCidrMask: 24,
    dataTierCidrMask: 22,
    flowLogsRetention: logs.RetentionDays.ONE_YEAR,
  };
}

export interface SegmentedNetworkProps {
  /** The VPC's IPv4 range, from /16 to /22. @default '10.40.0.0/16' */
  readonly cidr?: string;
  /** How many availability zones, from 2 to 6. Ignored when `availabilityZones` is set. @default 2 */
  readonly maxAzs?: number;
  /** Explicit availability zones (at least 2). @default - the first `maxAzs` zones of the region, without a lookup */
  readonly availabilityZones?: string[];
  /** Prefix length of each GPU-tier subnet (one per zone). Room for GPU fleets and SageMaker ENIs. @default 20 */
  readonly gpuTierCidrMask?: number;
  /** Prefix length of each endpoints-tier subnet. @default 24 */
  readonly endpointsTierCidrMask?: number;
  /** Prefix length of each data-tier subnet. @default 22 */
  readonly dataTierCidrMask?: number;
  /** Interface endpoints to create, chosen from what the workloads need. @default PlatformEndpoint.ALL */
  readonly interfaceEndpoints?: readonly PlatformEndpoint[];
  /** Keys the KMS endpoint admits. @default - every key of this account and region */
  readonly kmsEndpointKeys?: kms.IKey[];
  /** Key of the flow-log group. @default - a new platform key usable only by CloudWatch Logs */
  readonly flowLogsKey?: kms.IKey;
  /** Retention of the flow-log group. @default logs.RetentionDays.ONE_YEAR */
  readonly flowLogsRetention?: logs.RetentionDays;
  /**
   * The id of the region's S3 managed prefix list (`pl-…`): workload security groups send HTTPS for
   * S3 only to that list.
   * @default - looked up when the stack deploys: the `com.amazonaws.<region>.s3` managed prefix list,
   *   read by a custom resource (`ec2:DescribeManagedPrefixLists`, nothing else) whose function runs
   *   outside the VPC
   */
  readonly s3PrefixListId?: string;
  /**
   * OPENS A PATH TO THE INTERNET: adds an egress tier (private subnets behind NAT gateways, public
   * subnets with an internet gateway), tagged `ai-platform:egress-tier=declared`. The GPU, endpoints
   * and data tiers stay isolated.
   * @default false
   */
  readonly openInternetEgress?: boolean;
  /**
   * LEAVES DNS OPEN AS A PATH OUT: no DNS Firewall, so any host in the VPC can resolve (and so send
   * data to) any domain through the Route 53 Resolver.
   * @default false
   */
  readonly disableDnsFirewall?: boolean;
  /**
   * Domains the DNS Firewall resolves besides the platform's own (the interface endpoints' names, S3,
   * the VPC's instance names): names or `*.`-wildcards, e.g. `bedrock-runtime.eu-west-1.amazonaws.com`.
   * @default - none
   */
  readonly additionalAllowedDomains?: string[];
}

/**
 * A network the platform's workloads run in: a VPC with named tiers, interface endpoints behind one
 * security group, and a path to S3. Implemented by `SegmentedNetwork` (a network this library
 * builds) and by `SegmentedNetwork.fromVpcAttributes()` (a VPC a team already has).
 */
export interface IPlatformNetwork extends IConstruct {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** The security group of the interface endpoints: admitted workloads reach it on HTTPS. */
  readonly endpointsSecurityGroup: ec2.ISecurityGroup;
  /**
   * The workload tier's security group, when the network has one: the endpoints admit HTTPS from its
   * members, and every admitted workload's network interfaces carry it (`admitWorkload` returns it),
   * so the endpoints' group holds one inbound rule whatever the number of workloads.
   */
  readonly workloadsSecurityGroup?: ec2.ISecurityGroup;
  /** Where workload security groups send HTTPS for S3. */
  readonly s3Peer: ec2.IPeer;
  /** Subnets of one tier; throws a `PlatformValidationError` naming the tier if the network has none. */
  tierSubnets(tier: SubnetTier): ec2.SubnetSelection;
  /**
   * Let a workload security group reach the interface endpoints (HTTPS) and S3. Its other egress
   * stays as the workload defined it. Returns the security groups the workload's network interfaces
   * must carry besides its own (the workload tier's, when the network has one): without them the
   * endpoints do not admit it.
   */
  admitWorkload(securityGroup: ec2.ISecurityGroup): ec2.ISecurityGroup[];
  /** The interface endpoint for a service, if the network has one. */
  interfaceEndpoint(endpoint: PlatformEndpoint): ec2.IInterfaceVpcEndpoint | undefined;
}

/** An interface endpoint of an existing VPC, and the service it serves. */
export interface ExistingInterfaceEndpoint {
  /** The service. */
  readonly endpoint: PlatformEndpoint;
  /** The endpoint, e.g. `ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(…)`. */
  readonly vpcEndpoint: ec2.IInterfaceVpcEndpoint;
}

/** A VPC a team already has, described well enough for the platform's workloads to run in it. */
export interface PlatformNetworkAttributes {
  /** The VPC, e.g. `ec2.Vpc.fromVpcAttributes(…)` (literal ids, no lookup). */
  readonly vpc: ec2.IVpc;
  /** Subnets of the GPU tier (SageMaker ENIs, GPU fleets): private or isolated, never public. */
  readonly gpuSubnets: ec2.SubnetSelection;
  /** Subnets of the data tier (platform functions). @default - none: a construct that needs them fails naming this attribute */
  readonly dataSubnets?: ec2.SubnetSelection;
  /** Subnets of the endpoints tier. @default - none: a construct that needs them fails naming this attribute */
  readonly endpointsSubnets?: ec2.SubnetSelection;
  /**
   * The security group of the VPC's interface endpoints. Without `workloadsSecurityGroup`, admitting
   * a workload adds an HTTPS ingress rule to it (an `AWS::EC2::SecurityGroupIngress` beside the
   * workload, in the workload's stack): one rule a workload, against EC2's quota of inbound rules per
   * security group (60 by default).
   */
  readonly endpointsSecurityGroup: ec2.ISecurityGroup;
  /**
   * A security group the endpoints' group already admits on HTTPS (its owner's rule): admitted
   * workloads become its members instead of each adding a rule to the endpoints' group.
   * @default - each admitted workload adds an ingress rule to `endpointsSecurityGroup`
   */
  readonly workloadsSecurityGroup?: ec2.ISecurityGroup;
  /** The VPC's interface endpoints a construct may need to name (e.g. KMS for the admission gate). @default - none */
  readonly interfaceEndpoints?: ExistingInterfaceEndpoint[];
  /**
   * The id of the region's S3 managed prefix list (`pl-…`): workload security groups reach S3 only
   * through it. Required unless `allowHttpsEgressToAnyIpv4` is set.
   * @default - none
   */
  readonly s3PrefixListId?: string;
  /**
   * OPENS HTTPS TO ANY ADDRESS: workload security groups may send HTTPS to 0.0.0.0/0 instead of the
   * S3 prefix list. Safe only where the subnets have no route out but the S3 gateway endpoint.
   * @default false
   */
  readonly allowHttpsEgressToAnyIpv4?: boolean;
}

/**
 * A VPC segmented into isolated tiers (GPU compute, interface endpoints, data) with no internet
 * gateway and no NAT, network ACLs between tiers, flow logs of all traffic to an encrypted log
 * group, the default security group stripped, interface endpoints with least-privilege policies
 * reachable only from admitted workloads, an S3 gateway endpoint that admits only the platform's
 * buckets (and ECR's image layers), and a DNS Firewall that resolves only the platform's domains.
 */
export class SegmentedNetwork extends Construct implements IPlatformNetwork {
  /**
   * A network of an existing VPC: the team names its tiers' subnets, its interface endpoints'
   * security group and its S3 prefix list. Nothing is created and the VPC is not changed, except an
   * HTTPS ingress rule on the endpoints' security group for each admitted workload. The VPC's
   * isolation (routes, NACLs, flow logs, DNS firewall, the S3 gateway endpoint's policy) stays its
   * owner's: a warning (`ztai:network-imported`) says so.
   */
  public static fromVpcAttributes(scope: Construct, id: string, attrs: PlatformNetworkAttributes): IPlatformNetwork {
    return new ImportedPlatformNetwork(scope, id, attrs);
  }

  public readonly vpc: ec2.Vpc;
  /**
   * The workload tier: every admitted workload's network interfaces are members (`admitWorkload`
   * returns it), and the interface endpoints admit HTTPS from its members alone. It has no rules of
   * its own: membership only names the workloads. One inbound rule on the endpoints' group, whatever
   * the number of workloads (EC2 allows 60 inbound rules per security group by default:
   * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups).
   */
  public readonly workloadsSecurityGroup: ec2.SecurityGroup;
  /** The security group of every interface endpoint: HTTPS in from admitted workloads only. */
  public readonly endpointsSecurityGroup: ec2.SecurityGroup;
  /** The S3 gateway endpoint. */
  public readonly s3GatewayEndpoint: ec2.GatewayVpcEndpoint;
  /** The flow-log group. */
  public readonly flowLogGroup: logs.LogGroup;
  /** Where workload security groups send HTTPS for S3: the region's S3 managed prefix list. */
  public readonly s3Peer: ec2.IPeer;
  /** The id of the region's S3 managed prefix list: `s3PrefixListId`, or a token read when the stack deploys. */
  public readonly s3PrefixListId: string;
  /** Interface endpoints, by `PlatformEndpoint.name`. */
  public readonly interfaceEndpoints: ReadonlyMap<string, ec2.InterfaceVpcEndpoint>;
  /** The DNS Firewall that resolves only the platform's domains (absent with `disableDnsFirewall`). */
  public readonly dnsFirewall?: DnsFirewall;

  private readonly admittedBucketArns: string[] = [];
  private flowLogsKey!: kms.IKey;

  constructor(scope: Construct, id: string, props: SegmentedNetworkProps = {}) {
    super(scope, id);
    const defaults = segmentedNetworkDefaults();
    const cidr = props.cidr ?? defaults.cidr;
    const masks = {
      gpu: props.gpuTierCidrMask ?? defaults.gpuTierCidrMask,
      endpoints: props.endpointsTierCidrMask ?? defaults.endpointsTierCidrMask,
      data: props.dataTierCidrMask ?? defaults.dataTierCidrMask,
    };
    const azCount = this.validate(props, cidr, masks);
    const egress = props.openInternetEgress ?? false;

    const subnetConfiguration: ec2.SubnetConfiguration[] = [
      { name: SubnetTier.GPU, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: masks.gpu },
      { name: SubnetTier.ENDPOINTS, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: masks.endpoints },
      { name: SubnetTier.DATA, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: masks.data },
    ];
    if (egress) {
      subnetConfiguration.push(
        { name: SubnetTier.EGRESS, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: EGRESS_TIER_MASKS[0] },
        {
          name: SubnetTier.EGRESS_PUBLIC,
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: EGRESS_TIER_MASKS[1],
          mapPublicIpOnLaunch: false,
        },
      );
    }

    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      availabilityZones: props.availabilityZones,
      maxAzs: props.availabilityZones ? undefined : azCount,
      subnetConfiguration,
      natGateways: egress ? azCount : 0,
      createInternetGateway: egress,
      restrictDefaultSecurityGroup: true,
    });
    if (egress) this.declareEgressTier();

    this.flowLogGroup = this.createFlowLogs(props);
    this.createNetworkAcls(egress);

    this.endpointsSecurityGroup = new ec2.SecurityGroup(this, 'EndpointsSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from admitted workload security groups only',
      allowAllOutbound: false,
    });
    this.workloadsSecurityGroup = new ec2.SecurityGroup(this, 'WorkloadsSecurityGroup', {
      vpc: this.vpc,
      description: 'Workload tier: membership admits HTTPS to the interface endpoints; no rules of its own',
      allowAllOutbound: false,
    });
    // A standalone rule (the endpoints' group takes its ingress so, see InlineEgressPeer), in this stack.
    new ec2.CfnSecurityGroupIngress(this.endpointsSecurityGroup, 'HttpsFromWorkloads', {
      groupId: this.endpointsSecurityGroup.securityGroupId,
      sourceSecurityGroupId: this.workloadsSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: HTTPS,
      toPort: HTTPS,
      description: 'HTTPS from the workload tier (admitted workloads are its members)',
    });

    this.s3GatewayEndpoint = this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetGroupName: SubnetTier.GPU }, { subnetGroupName: SubnetTier.DATA }],
    });
    this.s3PrefixListId = props.s3PrefixListId ?? this.lookUpS3PrefixList();
    this.s3Peer = ec2.Peer.prefixList(this.s3PrefixListId);
    const endpoints = [...new Set(props.interfaceEndpoints ?? PlatformEndpoint.ALL)];
    this.configureS3GatewayPolicy(endpoints.includes(PlatformEndpoint.ECR_DOCKER));

    const interfaceEndpoints = new Map<string, ec2.InterfaceVpcEndpoint>();
    for (const endpoint of endpoints) {
      interfaceEndpoints.set(endpoint.name, this.createInterfaceEndpoint(endpoint, props.kmsEndpointKeys));
    }
    this.interfaceEndpoints = interfaceEndpoints;
    this.dnsFirewall = this.createDnsFirewall(props, endpoints);
  }

  /** Subnets of one tier. */
  public tierSubnets(tier: SubnetTier): ec2.SubnetSelection {
    return { subnetGroupName: tier };
  }

  /**
   * Let a workload security group reach the interface endpoints (HTTPS) and S3 through the gateway
   * endpoint. Its other egress stays as the workload defined it. Returns the workload tier's security
   * group, which the workload's network interfaces must carry besides its own.
   */
  public admitWorkload(securityGroup: ec2.ISecurityGroup): ec2.ISecurityGroup[] {
    return admitToEndpoints(this, securityGroup);
  }

  /** Admit the platform's buckets through the S3 gateway endpoint (for principals of this account only). */
  public admitS3Buckets(...buckets: s3.IBucket[]): void {
    if (buckets.length === 0) {
      throw new PlatformValidationError(this, 'admitS3Buckets needs at least one bucket, got none');
    }
    for (const bucket of buckets) this.admittedBucketArns.push(bucket.bucketArn);
    this.s3GatewayEndpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: `PlatformBuckets${this.admittedBucketArns.length}`,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:*'],
        resources: buckets.flatMap((b) => [b.bucketArn, b.arnForObjects('*')]),
        conditions: { StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
      }),
    );
  }

  /** The interface endpoint for a service, if the network has one. */
  public interfaceEndpoint(endpoint: PlatformEndpoint): ec2.InterfaceVpcEndpoint | undefined {
    return this.interfaceEndpoints.get(endpoint.name);
  }

  private validate(props: SegmentedNetworkProps, cidr: string, masks: Record<string, number>): number {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!match || match.slice(1, 5).some((o) => Number(o) > 255)) {
      throw new PlatformValidationError(this, `cidr must be an IPv4 CIDR such as '10.40.0.0/16', got '${cidr}'`);
    }
    const vpcMask = Number(match[5]);
    if (vpcMask < 16 || vpcMask > 22) {
      throw new PlatformValidationError(this, `cidr prefix length must be from /16 to /22, got '${cidr}'`);
    }
    if (props.availabilityZones && props.maxAzs !== undefined) {
      throw new PlatformValidationError(this, 'set availabilityZones or maxAzs, not both');
    }
    if (props.availabilityZones && props.availabilityZones.length < 2) {
      throw new PlatformValidationError(
        this,
        `availabilityZones must list at least 2 zones, got ${JSON.stringify(props.availabilityZones)}`,
      );
    }
    validateIntegerRange(this, 'maxAzs', props.maxAzs, 2, 6);
    const azCount = props.availabilityZones?.length ?? props.maxAzs ?? segmentedNetworkDefaults().maxAzs;
    for (const [tier, mask] of Object.entries(masks)) {
      validateIntegerRange(this, `${tier}TierCidrMask`, mask, vpcMask + 1, 28);
    }
    const needed = tierAddresses(azCount, [
      masks.gpu,
      masks.endpoints,
      masks.data,
      ...(props.openInternetEgress ? EGRESS_TIER_MASKS : []),
    ]);
    const available = 2 ** (32 - vpcMask);
    if (needed > available) {
      throw new PlatformValidationError(
        this,
        `the tiers need ${needed} addresses across ${azCount} zones (gpu /${masks.gpu}, endpoints /${masks.endpoints}, data /${masks.data}` +
          `${props.openInternetEgress ? ', egress /24 + /26' : ''}) but cidr '${cidr}' holds ${available}: widen the cidr or lengthen the tier masks`,
      );
    }
    if (
      props.s3PrefixListId !== undefined &&
      !Token.isUnresolved(props.s3PrefixListId) &&
      !/^pl-[0-9a-f]{8,17}$/.test(props.s3PrefixListId)
    ) {
      throw new PlatformValidationError(
        this,
        `s3PrefixListId must look like 'pl-63a5400a', got '${props.s3PrefixListId}'`,
      );
    }
    if (props.disableDnsFirewall && props.additionalAllowedDomains !== undefined) {
      throw new PlatformValidationError(
        this,
        'additionalAllowedDomains is set but disableDnsFirewall is true: allowed domains need the DNS Firewall',
      );
    }
    const domainProblems = (props.additionalAllowedDomains ?? []).flatMap((domain, i) => {
      const problem = dnsDomainProblem(domain);
      return problem ? [`additionalAllowedDomains[${i}] ${problem}`] : [];
    });
    if (domainProblems.length > 0) throw new PlatformValidationError(this, domainProblems.join('; '));
    return azCount;
  }

  /**
   * Resolve only what the platform uses: the private DNS names of its interface endpoints, S3 (the
   * gateway endpoint) and the VPC's instance names, plus `additionalAllowedDomains`.
   */
  private createDnsFirewall(props: SegmentedNetworkProps, endpoints: PlatformEndpoint[]): DnsFirewall | undefined {
    if (props.disableDnsFirewall) {
      Annotations.of(this).addWarningV2(
        'ztai:network-dns-firewall-disabled',
        'disableDnsFirewall is true: hosts in the VPC can resolve any domain, and DNS queries are a path out of the VPC.',
      );
      return undefined;
    }
    return new DnsFirewall(this, 'DnsFirewall', {
      vpc: this.vpc,
      allowedDomains: [
        ...endpoints.flatMap((e) => e.dnsNames()),
        ...platformBaseDomains(),
        ...(props.additionalAllowedDomains ?? []),
      ],
    });
  }

  private declareEgressTier(): void {
    Annotations.of(this).addWarningV2(
      'ztai:network-internet-egress',
      'openInternetEgress is true: an egress tier with NAT gateways and an internet gateway opens a path out of the VPC. ' +
        'The GPU, endpoints and data tiers stay isolated.',
    );
    for (const child of this.vpc.node.findAll()) {
      if (
        child instanceof ec2.CfnInternetGateway ||
        child instanceof ec2.CfnNatGateway ||
        child instanceof ec2.CfnEIP ||
        child instanceof ec2.CfnVPCGatewayAttachment
      ) {
        Tags.of(child).add(EGRESS_TIER_TAG.key, EGRESS_TIER_TAG.value);
      }
    }
    for (const subnet of [...this.vpc.publicSubnets, ...this.vpc.privateSubnets]) {
      Tags.of(subnet).add(EGRESS_TIER_TAG.key, EGRESS_TIER_TAG.value);
    }
  }

  /**
   * The id of the region's S3 managed prefix list (`com.amazonaws.<region>.s3`), read when the stack
   * deploys, so the template needs no account lookup at synth and no per-region table. CloudFormation
   * offers no attribute for it (`AWS::EC2::VPCEndpoint` returns no prefix list id), so a custom
   * resource makes one read-only call, `ec2:DescribeManagedPrefixLists` filtered on the list's name.
   *
   * The function is the stack's `AwsCustomResource` singleton, outside the VPC (the VPC has no path
   * to the EC2 API, and needs none): its role may make that one call and write its own log group
   * (encrypted with the flow-log key). Nothing is created, so a delete or a retried create has
   * nothing to undo; an update reads the list again. A region without the list fails the deployment
   * with the lookup's error, before any workload security group is created. Another
   * `AwsCustomResource` in the same stack would run in the same function with this role: give it
   * a stack of its own, or pass `s3PrefixListId`.
   */
  private lookUpS3PrefixList(): string {
    const { resource, grants } = deployTimeCall(this, {
      call: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${Aws.REGION}.s3`] }] },
        physicalResourceId: cr.PhysicalResourceId.fromResponse(S3_PREFIX_LIST_ID_PATH),
        outputPaths: [S3_PREFIX_LIST_ID_PATH],
      },
      description: "Reads the id of the region's S3 managed prefix list when the platform deploys",
      logsKey: this.flowLogsKey,
      ids: {
        logs: 'S3PrefixListLookupLogs',
        role: 'S3PrefixListLookupRole',
        policy: 'S3PrefixListLookupPolicy',
        resource: 'S3PrefixList',
      },
      grant: (grantee) =>
        iam.Grant.addToPrincipal({ grantee, actions: perms.S3_PREFIX_LIST_LOOKUP, resourceArns: ['*'] }),
      reasons: {
        concurrency:
          'Runs only while the platform stack deploys, called by CloudFormation once per create or update of the lookup; reserving concurrency would only take it from the workloads.',
        insideVpc:
          'Must reach the EC2 API, which the isolated VPC does not (no EC2 interface endpoint); it makes one read-only call (ec2:DescribeManagedPrefixLists), holds no data and serves no traffic.',
        tracing:
          'AwsCustomResource offers no tracing setting; its one EC2 call is recorded by CloudTrail management events.',
      },
    });
    acknowledgeFinding(
      grants.policy!.node.defaultChild!,
      'AwsSolutions-IAM5[Resource::*]',
      'ec2:DescribeManagedPrefixLists supports no resource-level permissions (the Service Authorization Reference lists no resource type for it); it is read-only and the only action given Resource *.',
    );
    return resource.getResponseField(S3_PREFIX_LIST_ID_PATH);
  }

  private createFlowLogs(props: SegmentedNetworkProps): logs.LogGroup {
    const key =
      props.flowLogsKey ??
      new PlatformKey(this, 'FlowLogsKey', {
        description: `Flow logs of ${this.node.path}`,
        usageServices: [],
        allowCloudWatchLogs: true,
      }).key;
    this.flowLogsKey = key;
    const logGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      encryptionKey: key,
      retention: props.flowLogsRetention ?? segmentedNetworkDefaults().flowLogsRetention,
      // Retained on stack deletion and update rollback; deleted if its own create rolls back.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const role = new iam.Role(this, 'FlowLogRole', {
      description: 'VPC flow logs delivery to CloudWatch Logs',
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:vpc-flow-log/*` },
      }),
    });
    const delivery = new ManagedPolicyPrincipal(this, role, 'FlowLogPolicy');
    iam.Grant.addToPrincipal({
      grantee: { grantPrincipal: delivery },
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resourceArns: [logGroup.logGroupArn],
    });
    const flowLog = new ec2.CfnFlowLog(this, 'FlowLog', {
      resourceId: this.vpc.vpcId,
      resourceType: 'VPC',
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logGroupName: logGroup.logGroupName,
      deliverLogsPermissionArn: role.roleArn,
      maxAggregationInterval: 60,
    });
    flowLog.node.addDependency(delivery.policy!);
    return logGroup;
  }

  /**
   * Network ACLs, stateless, so each tier admits replies explicitly. The GPU tier reaches itself and
   * the endpoints tier (HTTPS); nothing else in the VPC reaches the GPU tier. Outside the VPC only the
   * S3 gateway endpoint is routable, so replies from S3 are admitted on ephemeral ports after a deny
   * of every other address in the VPC.
   */
  private createNetworkAcls(egress: boolean): void {
    const cidrsOf = (tier: SubnetTier) =>
      this.vpc.selectSubnets({ subnetGroupName: tier }).subnets.map((s) => s.ipv4CidrBlock);
    const gpu = cidrsOf(SubnetTier.GPU);
    const endpoints = cidrsOf(SubnetTier.ENDPOINTS);
    const data = cidrsOf(SubnetTier.DATA);
    const egressCidrs = egress ? cidrsOf(SubnetTier.EGRESS) : [];
    const vpcCidr = this.vpc.vpcCidrBlock;

    const isolatedTier = (id: string, tier: SubnetTier, self: string[]) => {
      const acl = new ec2.NetworkAcl(this, id, { vpc: this.vpc, subnetSelection: { subnetGroupName: tier } });
      acknowledgeNacl(acl);
      const add = new AclWriter(acl);
      add.allowEach(self, ec2.AclTraffic.allTraffic(), 100);
      add.allowEach(
        endpoints,
        ec2.AclTraffic.tcpPortRange(EPHEMERAL.from, EPHEMERAL.to),
        200,
        ec2.TrafficDirection.INGRESS,
      );
      add.allowEach(endpoints, ec2.AclTraffic.tcpPort(HTTPS), 200, ec2.TrafficDirection.EGRESS);
      add.deny(vpcCidr, 300);
      add.allow(
        '0.0.0.0/0',
        ec2.AclTraffic.tcpPortRange(EPHEMERAL.from, EPHEMERAL.to),
        400,
        ec2.TrafficDirection.INGRESS,
      );
      add.allow('0.0.0.0/0', ec2.AclTraffic.tcpPort(HTTPS), 400, ec2.TrafficDirection.EGRESS);
    };
    isolatedTier('GpuTierAcl', SubnetTier.GPU, gpu);
    isolatedTier('DataTierAcl', SubnetTier.DATA, data);

    const endpointsAcl = new ec2.NetworkAcl(this, 'EndpointsTierAcl', {
      vpc: this.vpc,
      subnetSelection: { subnetGroupName: SubnetTier.ENDPOINTS },
    });
    acknowledgeNacl(endpointsAcl);
    const add = new AclWriter(endpointsAcl);
    const clients = [...gpu, ...data, ...egressCidrs];
    add.allowEach(clients, ec2.AclTraffic.tcpPort(HTTPS), 100, ec2.TrafficDirection.INGRESS);
    add.allowEach(clients, ec2.AclTraffic.tcpPortRange(EPHEMERAL.from, EPHEMERAL.to), 100, ec2.TrafficDirection.EGRESS);
  }

  private configureS3GatewayPolicy(ecrImagePulls: boolean): void {
    const ecrLayers = `arn:${Aws.PARTITION}:s3:::prod-${Aws.REGION}-starport-layer-bucket/*`;
    this.s3GatewayEndpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DenyBucketsOfOtherAccounts',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:*'],
        notResources: ecrImagePulls ? [ecrLayers] : undefined,
        resources: ecrImagePulls ? undefined : ['*'],
        conditions: { StringNotEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (ecrImagePulls) {
      // Image layers are downloaded with URLs that ECR presigns with its own credentials, so the request's
      // principal is not of this account: no aws:PrincipalAccount here. This is the minimal policy AWS gives
      // for the S3 gateway endpoint of ECR pulls ("Minimum Amazon S3 bucket permissions for Amazon ECR",
      // https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html): GetObject on the layer
      // bucket of the region only.
      this.s3GatewayEndpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EcrImageLayers',
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:GetObject'],
          resources: [ecrLayers],
        }),
      );
    }
  }

  private createInterfaceEndpoint(endpoint: PlatformEndpoint, kmsKeys?: kms.IKey[]): ec2.InterfaceVpcEndpoint {
    const id = endpoint.name
      .split(/[.-]/)
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('');
    const vpce = this.vpc.addInterfaceEndpoint(id, {
      service: endpoint.service,
      subnets: { subnetGroupName: SubnetTier.ENDPOINTS },
      securityGroups: [this.endpointsSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    });
    const resources =
      endpoint === PlatformEndpoint.KMS && kmsKeys && kmsKeys.length > 0
        ? kmsKeys.map((k) => k.keyArn)
        : endpoint.defaultResources();
    vpce.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ThisAccountOnly',
        principals: [new iam.AnyPrincipal()],
        actions: endpoint.allowedActions(),
        resources,
        conditions: { StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return vpce;
  }
}

/**
 * The rules that admit a workload: membership of the workload tier's security group where the network
 * has one (returned, for the workload's network interfaces to carry), else an HTTPS ingress on the
 * endpoints' security group (beside the workload's security group, so a workload stack references the
 * platform stack and never the other way round); and the workload's HTTPS egress to the endpoints and to S3.
 */
function admitToEndpoints(network: IPlatformNetwork, securityGroup: ec2.ISecurityGroup): ec2.ISecurityGroup[] {
  if (!network.workloadsSecurityGroup) {
    new ec2.CfnSecurityGroupIngress(securityGroup, 'HttpsToPlatformEndpoints', {
      groupId: network.endpointsSecurityGroup.securityGroupId,
      sourceSecurityGroupId: securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: HTTPS,
      toPort: HTTPS,
      description: 'HTTPS from an admitted workload',
    });
  }
  securityGroup.addEgressRule(
    new InlineEgressPeer(network.endpointsSecurityGroup),
    ec2.Port.tcp(HTTPS),
    'HTTPS to the interface endpoints',
  );
  securityGroup.addEgressRule(
    new InlineEgressPeer(network.s3Peer),
    ec2.Port.tcp(HTTPS),
    'HTTPS to S3 through the gateway endpoint',
  );
  return network.workloadsSecurityGroup ? [network.workloadsSecurityGroup] : [];
}

/**
 * A peer whose egress rule a security group of this app writes into its own `SecurityGroupEgress`
 * instead of a standalone `AWS::EC2::SecurityGroupEgress`. The CDK inlines only CIDR peers; a
 * security group or a prefix list becomes a standalone rule, and the group is then created with
 * EC2's allow-all egress rule, which lasts until CloudFormation creates the standalone rules
 * (nothing orders the group's users after them). Inline, the group never allows more than its
 * rules. No cycle arises: the endpoints' security group takes its ingress as standalone rules.
 * An imported security group still gets standalone rules (its definition is not in this app).
 */
class InlineEgressPeer implements ec2.IPeer {
  public readonly canInlineRule = true;
  public readonly uniqueId: string;
  public readonly connections: ec2.Connections;

  constructor(private readonly peer: ec2.IPeer) {
    this.uniqueId = peer.uniqueId;
    this.connections = new ec2.Connections({ peer: this });
  }

  public toIngressRuleConfig(): ec2.IngressRuleConfig {
    return this.peer.toIngressRuleConfig();
  }

  public toEgressRuleConfig(): ec2.EgressRuleConfig {
    return this.peer.toEgressRuleConfig();
  }
}

/** The network of an existing VPC (`SegmentedNetwork.fromVpcAttributes`). */
class ImportedPlatformNetwork extends Construct implements IPlatformNetwork {
  public readonly vpc: ec2.IVpc;
  public readonly endpointsSecurityGroup: ec2.ISecurityGroup;
  public readonly workloadsSecurityGroup?: ec2.ISecurityGroup;
  public readonly s3Peer: ec2.IPeer;
  private readonly tiers: Partial<Record<SubnetTier, ec2.SubnetSelection>>;
  private readonly endpoints: ReadonlyMap<string, ec2.IInterfaceVpcEndpoint>;

  constructor(scope: Construct, id: string, attrs: PlatformNetworkAttributes) {
    super(scope, id);
    this.validate(attrs);
    this.vpc = attrs.vpc;
    this.endpointsSecurityGroup = attrs.endpointsSecurityGroup;
    this.workloadsSecurityGroup = attrs.workloadsSecurityGroup;
    this.tiers = {
      [SubnetTier.GPU]: attrs.gpuSubnets,
      [SubnetTier.DATA]: attrs.dataSubnets,
      [SubnetTier.ENDPOINTS]: attrs.endpointsSubnets,
    };
    this.endpoints = new Map((attrs.interfaceEndpoints ?? []).map((e) => [e.endpoint.name, e.vpcEndpoint]));
    if (attrs.s3PrefixListId) {
      this.s3Peer = ec2.Peer.prefixList(attrs.s3PrefixListId);
    } else {
      this.s3Peer = ec2.Peer.anyIpv4();
      Annotations.of(this).addWarningV2(
        'ztai:network-https-egress-any-ipv4',
        'allowHttpsEgressToAnyIpv4 is true: admitted workloads may send HTTPS to any address, which leaves the VPC ' +
          'wherever its route tables lead (set s3PrefixListId to reach S3 only).',
      );
    }
    Annotations.of(this).addWarningV2(
      'ztai:network-imported',
      `The VPC ${attrs.vpc.vpcId} is imported: its isolation is its owner's to keep, and nothing here creates or checks it. ` +
        'The owner must keep: no route to an internet or NAT gateway from the GPU subnets, network ACLs between tiers, ' +
        'flow logs of all traffic, a DNS firewall, and an S3 gateway endpoint whose policy admits the buckets the workloads use.',
    );
  }

  public tierSubnets(tier: SubnetTier): ec2.SubnetSelection {
    const selection = this.tiers[tier];
    if (!selection) {
      throw new PlatformValidationError(
        this,
        `the ${tier} tier is needed but the imported network has none: set ${tier}Subnets in SegmentedNetwork.fromVpcAttributes`,
      );
    }
    return selection;
  }

  public admitWorkload(securityGroup: ec2.ISecurityGroup): ec2.ISecurityGroup[] {
    return admitToEndpoints(this, securityGroup);
  }

  public interfaceEndpoint(endpoint: PlatformEndpoint): ec2.IInterfaceVpcEndpoint | undefined {
    return this.endpoints.get(endpoint.name);
  }

  private validate(attrs: PlatformNetworkAttributes): void {
    const problems: string[] = [];
    if (attrs.s3PrefixListId !== undefined && attrs.allowHttpsEgressToAnyIpv4) {
      problems.push('set s3PrefixListId or allowHttpsEgressToAnyIpv4, not both');
    } else if (attrs.s3PrefixListId === undefined && !attrs.allowHttpsEgressToAnyIpv4) {
      problems.push(
        "s3PrefixListId is required: the id of the region's S3 managed prefix list (e.g. 'pl-63a5400a'), so workloads reach S3 only " +
          '(or set allowHttpsEgressToAnyIpv4: true where the subnets route nowhere else), got undefined',
      );
    } else if (
      attrs.s3PrefixListId !== undefined &&
      !Token.isUnresolved(attrs.s3PrefixListId) &&
      !/^pl-[0-9a-f]{8,17}$/.test(attrs.s3PrefixListId)
    ) {
      problems.push(`s3PrefixListId must look like 'pl-63a5400a', got ${describeValue(attrs.s3PrefixListId)}`);
    }
    const publicIds = new Set(attrs.vpc.publicSubnets.map((s) => s.subnetId));
    const tiers = [
      ['gpuSubnets', attrs.gpuSubnets],
      ['dataSubnets', attrs.dataSubnets],
      ['endpointsSubnets', attrs.endpointsSubnets],
    ] as const;
    for (const [field, selection] of tiers) {
      if (!selection) continue;
      let ids: string[];
      try {
        ids = attrs.vpc.selectSubnets(selection).subnetIds;
      } catch (e) {
        problems.push(`${field} selects no subnets of VPC ${attrs.vpc.vpcId}: ${(e as Error).message}`);
        continue;
      }
      if (ids.length === 0)
        problems.push(`${field} must select at least one subnet of VPC ${attrs.vpc.vpcId}, got none`);
      const open = ids.filter((i) => publicIds.has(i));
      if (open.length > 0) {
        problems.push(
          `${field} must select private or isolated subnets only, got public subnet(s) ${open.join(', ')} (a route to an internet gateway)`,
        );
      }
    }
    if (problems.length > 0) throw new PlatformValidationError(this, problems.join('; '));
  }
}

/** AwsSolutions-VPC3 asks that every NACL be a deliberate choice; these are the tier separation itself. */
function acknowledgeNacl(acl: ec2.NetworkAcl): void {
  acknowledgeFinding(
    acl,
    'AwsSolutions-VPC3',
    'Deliberate: stateless tier separation (GPU reaches only itself and the endpoints tier on 443; nothing else in the VPC reaches GPU), in addition to security groups.',
  );
}

/** Writes numbered NACL entries, one per CIDR, in both directions unless told otherwise. */
class AclWriter {
  private readonly used = new Set<string>();
  constructor(private readonly acl: ec2.NetworkAcl) {}

  public allowEach(cidrs: string[], traffic: ec2.AclTraffic, base: number, direction?: ec2.TrafficDirection): void {
    cidrs.forEach((cidr, i) => this.allow(cidr, traffic, base + i, direction));
  }

  public allow(cidr: string, traffic: ec2.AclTraffic, ruleNumber: number, direction?: ec2.TrafficDirection): void {
    this.entry(cidr, traffic, ruleNumber, ec2.Action.ALLOW, direction);
  }

  public deny(cidr: string, ruleNumber: number): void {
    this.entry(cidr, ec2.AclTraffic.allTraffic(), ruleNumber, ec2.Action.DENY);
  }

  private entry(
    cidr: string,
    traffic: ec2.AclTraffic,
    ruleNumber: number,
    ruleAction: ec2.Action,
    direction?: ec2.TrafficDirection,
  ): void {
    const directions =
      direction !== undefined ? [direction] : [ec2.TrafficDirection.INGRESS, ec2.TrafficDirection.EGRESS];
    for (const d of directions) {
      const name = `${d === ec2.TrafficDirection.INGRESS ? 'In' : 'Out'}${ruleNumber}`;
      if (this.used.has(name)) throw new Error(`NACL rule ${name} written twice`);
      this.used.add(name);
      this.acl.addEntry(name, { cidr: ec2.AclCidr.ipv4(cidr), traffic, ruleNumber, ruleAction, direction: d });
    }
  }
}
