/**
 * Fixed monthly cost of an assembly, by resource, from a dated price table kept in the repo
 * (tools/review/prices/<region>.json): what the platform costs with no traffic, at minimum counts.
 *
 * Usage-priced resources are listed with their unit rates (not summed). Resource types the model does
 * not know are listed as "not priced", never dropped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { assemblyResources, AssemblyResource, CloudAssembly, ownerPath } from './assembly';
import { AssemblyResolver, PlaceholderEnvironment } from './intrinsics';
import { byString } from './json';
import { asArray } from './resolved-templates';

export interface PriceTable {
  readonly region: string;
  readonly currency: string;
  readonly asOf: string;
  readonly source: string;
  readonly hoursPerMonth: number;
  readonly fixed: Record<string, number>;
  readonly usage: Record<string, number>;
  readonly ec2InstanceHour: Record<string, number>;
  readonly sageMakerInstanceHour: Record<string, number>;
  /**
   * Where each instance family's hourly rates come from and when they were read: every family priced in
   * ec2InstanceHour / sageMakerInstanceHour is named in exactly one entry (a test of the repo table checks it).
   */
  readonly instanceHourSources?: readonly {
    readonly ec2: readonly string[];
    readonly sageMaker: readonly string[];
    readonly asOf: string;
    readonly source: string;
  }[];
  /**
   * Accelerated families the platform accepts (constructs/inference/gpu-instance-types.ts) that the table holds
   * no dated price for yet: their instances are reported as needing a price, never priced by a guess.
   */
  readonly needsPrice?: { readonly note: string; readonly ec2: string[]; readonly sageMaker: string[] };
}

export interface CostLine {
  readonly resource: string;
  readonly type: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: number;
  readonly monthly: number;
}

export interface UsageRate {
  readonly resource: string;
  readonly type: string;
  readonly item: string;
  readonly unit: string;
  readonly unitPrice: number;
}

export interface CostEstimate {
  readonly schemaVersion: 1;
  readonly priceTable: {
    readonly region: string;
    readonly currency: string;
    readonly asOf: string;
    readonly source: string;
  };
  readonly hoursPerMonth: number;
  readonly lines: CostLine[];
  readonly totalMonthly: number;
  /** The total leaves out resources that have a fixed charge the table cannot price (listed in `notPriced`). */
  readonly partial: boolean;
  /** One sentence on what the total covers: complete, or partial and what it leaves out. */
  readonly totalNote: string;
  readonly usageRates: UsageRate[];
  /** Resources with no fixed charge (counted by type). */
  readonly noFixedCharge: Array<{ readonly type: string; readonly count: number }>;
  /** Resources the model cannot price: unknown types, or known types with an unlisted instance type. */
  readonly notPriced: Array<{
    readonly resource: string;
    readonly type: string;
    readonly reason: string;
    /** For an instance the table has no price for. */
    readonly instanceType?: string;
    /** `false` for a usage-only resource with no rate in the table: it does not make the fixed total partial. */
    readonly fixedCharge?: false;
  }>;
  readonly notes: string[];
}

export const DEFAULT_PRICE_TABLE = path.join(__dirname, 'prices', 'us-east-1.json');

/**
 * Types charged by usage only, for which the table has no rate: listed as not priced (with what they are charged
 * for), and not counted as making the fixed total partial.
 */
const USAGE_ONLY_UNRATED: Record<string, string> = {
  'AWS::ECR::Repository': 'image storage per GB-month',
  'AWS::Cognito::UserPool': 'monthly active users',
  'AWS::Route53Resolver::FirewallDomainList': 'domains stored and DNS queries',
  'AWS::Route53Resolver::FirewallRuleGroup': 'DNS queries inspected',
  'AWS::Bedrock::Guardrail': 'text units each configured policy evaluates',
  'AWS::Bedrock::KnowledgeBase':
    'embedding-model tokens at ingestion and retrieval (model invocations), and its vector store',
};

/** Types that carry no fixed charge and no usage line of their own. */
const NO_FIXED_CHARGE = new Set([
  'AWS::CDK::Metadata',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::SecretsManager::ResourcePolicy',
  'AWS::Cognito::UserPoolClient',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::WAFv2::LoggingConfiguration',
  'AWS::Route53Resolver::FirewallRuleGroupAssociation',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::RolePolicy',
  'AWS::IAM::InstanceProfile',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::RouteTable',
  'AWS::EC2::Route',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::NetworkAcl',
  'AWS::EC2::NetworkAclEntry',
  'AWS::EC2::SubnetNetworkAclAssociation',
  'AWS::EC2::PrefixList',
  'AWS::EC2::LaunchTemplate',
  'AWS::EC2::FlowLog',
  'AWS::S3::BucketPolicy',
  'AWS::KMS::Alias',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::Account',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::Authorizer',
  'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Url',
  'AWS::Logs::ResourcePolicy',
  'AWS::Logs::MetricFilter',
  'AWS::Logs::SubscriptionFilter',
  'AWS::SageMaker::Model',
  'AWS::SageMaker::EndpointConfig',
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::WAFv2::WebACLAssociation',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::SQS::QueuePolicy',
  'AWS::SSM::Parameter',
  'AWS::Signer::SigningProfile',
  'AWS::Events::Rule',
  'AWS::CloudFormation::WaitConditionHandle',
  'AWS::Bedrock::GuardrailVersion',
  'AWS::Bedrock::EnforcedGuardrailConfiguration',
  'AWS::Bedrock::DataSource',
  'AWS::OpenSearchServerless::SecurityPolicy',
  'AWS::OpenSearchServerless::AccessPolicy',
]);

/** Load a price table. */
export function loadPriceTable(file: string = DEFAULT_PRICE_TABLE): PriceTable {
  const table = JSON.parse(fs.readFileSync(file, 'utf8')) as PriceTable;
  for (const field of [
    'region',
    'currency',
    'asOf',
    'source',
    'hoursPerMonth',
    'fixed',
    'usage',
    'ec2InstanceHour',
    'sageMakerInstanceHour',
  ] as const) {
    if (table[field] === undefined) throw new Error(`price table ${file}: missing field '${field}'`);
  }
  return table;
}

/** Estimate the fixed monthly cost of an assembly. */
export function estimateCost(
  assembly: CloudAssembly,
  table: PriceTable = loadPriceTable(),
  env: PlaceholderEnvironment = {},
): CostEstimate {
  const resolver = new AssemblyResolver(assembly, { region: table.region, ...env });
  const all = assemblyResources(assembly);
  const props = new Map<AssemblyResource, Record<string, unknown>>();
  const p = (r: AssemblyResource): Record<string, unknown> => {
    if (!props.has(r)) props.set(r, (resolver.resolve(r.stack, r.properties) ?? {}) as Record<string, unknown>);
    return props.get(r)!;
  };
  const id = (r: AssemblyResource): string =>
    r.constructPath ? ownerPath(r.constructPath) : `${r.stack.displayName}/${r.logicalId}`;
  const hours = table.hoursPerMonth;
  const lines: CostLine[] = [];
  const usage: UsageRate[] = [];
  const notPriced: CostEstimate['notPriced'] = [];
  const free = new Map<string, number>();
  const notes: string[] = [];

  const line = (r: AssemblyResource, item: string, quantity: number, unit: string, unitPrice: number): void => {
    lines.push({
      resource: id(r),
      type: r.type,
      item,
      quantity,
      unit,
      unitPrice,
      monthly: round(quantity * unitPrice),
    });
  };
  const rate = (r: AssemblyResource, item: string, unit: string, key: string): void => {
    usage.push({ resource: id(r), type: r.type, item, unit, unitPrice: table.usage[key] });
  };
  const instance = (
    r: AssemblyResource,
    family: 'ec2' | 'sagemaker',
    type: string,
    count: number,
    what: string,
  ): void => {
    const price = (family === 'ec2' ? table.ec2InstanceHour : table.sageMakerInstanceHour)[type];
    if (price === undefined) {
      const fam = type.replace(/^ml\./, '').split('.')[0];
      const flagged = (family === 'ec2' ? table.needsPrice?.ec2 : table.needsPrice?.sageMaker)?.includes(fam);
      notPriced.push({
        resource: id(r),
        type: r.type,
        instanceType: type,
        reason: flagged
          ? `instance type ${type} (${count} x, ${what}): the ${fam} family is accepted by the platform and marked in the price table as needing a price`
          : `instance type ${type} is not in the price table`,
      });
    } else {
      line(r, `${count} x ${type} (${what})`, count * hours, 'instance-hours', price);
    }
  };

  /** A group at minimum size 0: no fixed charge, and what an instance costs once it scales out. */
  const scaledFromZero = (r: AssemblyResource, type: string): void => {
    const price = table.ec2InstanceHour[type];
    if (price !== undefined) {
      usage.push({
        resource: id(r),
        type: r.type,
        item: `${type} while scaled out`,
        unit: 'instance-hour',
        unitPrice: price,
      });
      return;
    }
    const fam = type.split('.')[0];
    notPriced.push({
      resource: id(r),
      type: r.type,
      instanceType: type,
      reason: `instance type ${type} (minimum size 0, no fixed charge) has no hourly rate in the price table${table.needsPrice?.ec2.includes(fam) ? `: the ${fam} family is accepted by the platform and marked in the price table as needing a price` : ''}`,
      fixedCharge: false,
    });
  };

  const regions = new Set(assembly.stacks.map((s) => s.region).filter((r): r is string => !!r));
  for (const region of regions) {
    if (region !== table.region) notes.push(`stacks in ${region} are priced with the ${table.region} table`);
  }

  const launchTemplates = new Map(
    all.filter((r) => r.type === 'AWS::EC2::LaunchTemplate').map((r) => [resolver.ref(r.stack, r.logicalId), r]),
  );
  const endpointConfigs = new Map(
    all
      .filter((r) => r.type === 'AWS::SageMaker::EndpointConfig')
      .map((r) => [resolver.getAtt(r.stack, r.logicalId, 'EndpointConfigName'), r]),
  );
  const scalableTargets = all.filter((r) => r.type === 'AWS::ApplicationAutoScaling::ScalableTarget');

  for (const r of all) {
    const rp = p(r);
    switch (r.type) {
      case 'AWS::EC2::VPCEndpoint': {
        const type = String(rp.VpcEndpointType ?? 'Gateway');
        if (type === 'Gateway') {
          line(r, `gateway endpoint ${String(rp.ServiceName)} (no hourly charge)`, 0, 'endpoint-hours', 0);
        } else {
          const azs = Math.max(1, asArray(rp.SubnetIds).length);
          line(
            r,
            `${type} endpoint ${String(rp.ServiceName)} in ${azs} AZ`,
            azs * hours,
            'AZ-hours',
            table.fixed.vpcInterfaceEndpointAzHour,
          );
          rate(r, 'data processed', 'GB', 'vpcEndpointDataProcessedPerGb');
        }
        break;
      }
      case 'AWS::EC2::NatGateway':
        line(r, 'NAT gateway', hours, 'hours', table.fixed.natGatewayHour);
        rate(r, 'data processed', 'GB', 'natGatewayDataProcessedPerGb');
        break;
      case 'AWS::EC2::EIP':
        line(r, 'public IPv4 address', hours, 'hours', table.fixed.publicIpv4AddressHour);
        break;
      case 'AWS::KMS::Key':
        line(r, 'customer managed key', 1, 'key-months', table.fixed.kmsCustomerKeyMonth);
        rate(r, 'API requests', '10,000 requests', 'kmsRequestsPer10k');
        break;
      case 'AWS::WAFv2::WebACL': {
        line(r, 'web ACL', 1, 'months', table.fixed.wafWebAclMonth);
        const rules = asArray(rp.Rules).length;
        if (rules > 0) line(r, `${rules} rules`, rules, 'rule-months', table.fixed.wafRuleMonth);
        rate(r, 'requests', 'million requests', 'wafRequestsPerMillion');
        break;
      }
      case 'AWS::CloudTrail::Trail': {
        line(r, 'trail, management events (first copy free)', 0, 'months', 0);
        const selectors = JSON.stringify([rp.EventSelectors ?? [], rp.AdvancedEventSelectors ?? []]);
        if (selectors.includes('DataResources') || selectors.includes('"Data"')) {
          rate(r, 'data events', '100,000 events', 'cloudTrailDataEventsPer100k');
        }
        break;
      }
      case 'AWS::Logs::LogGroup':
        rate(r, 'ingestion', 'GB', 'cloudWatchLogsIngestionPerGb');
        rate(r, 'storage', 'GB-month', 'cloudWatchLogsStoragePerGbMonth');
        break;
      case 'AWS::CloudWatch::Alarm':
        line(r, 'standard alarm', 1, 'alarm-months', table.fixed.cloudWatchStandardAlarmMonth);
        break;
      case 'AWS::CloudWatch::CompositeAlarm':
        line(r, 'composite alarm', 1, 'alarm-months', table.fixed.cloudWatchCompositeAlarmMonth);
        break;
      case 'AWS::CloudWatch::Dashboard':
        line(
          r,
          'dashboard (the first 3 per account are free)',
          1,
          'dashboard-months',
          table.fixed.cloudWatchDashboardMonth,
        );
        break;
      case 'AWS::SecretsManager::Secret':
        line(r, 'secret', 1, 'secret-months', table.fixed.secretsManagerSecretMonth);
        break;
      case 'AWS::S3::Bucket':
        rate(r, 'S3 Standard storage', 'GB-month', 's3StandardStoragePerGbMonth');
        break;
      case 'AWS::ApiGateway::RestApi':
        rate(r, 'REST API requests', 'million requests', 'apiGatewayRestRequestsPerMillion');
        break;
      case 'AWS::ApiGatewayV2::Api':
        rate(r, 'HTTP API requests', 'million requests', 'apiGatewayHttpRequestsPerMillion');
        break;
      case 'AWS::Lambda::Function':
        rate(r, 'requests (plus GB-seconds)', 'million requests', 'lambdaRequestsPerMillion');
        break;
      case 'AWS::SNS::Topic':
        rate(r, 'requests', 'million requests', 'snsRequestsPerMillion');
        break;
      case 'AWS::SQS::Queue':
        rate(r, 'requests', 'million requests', 'sqsRequestsPerMillion');
        break;
      case 'AWS::EC2::Instance':
        instance(r, 'ec2', String(rp.InstanceType ?? 'm1.small'), 1, 'always on');
        break;
      case 'AWS::AutoScaling::AutoScalingGroup': {
        const min = Number(rp.MinSize ?? 0);
        const ltRef =
          (rp.LaunchTemplate as { LaunchTemplateId?: unknown } | undefined)?.LaunchTemplateId ??
          (
            rp.MixedInstancesPolicy as
              { LaunchTemplate?: { LaunchTemplateSpecification?: { LaunchTemplateId?: unknown } } } | undefined
          )?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId;
        const lt = launchTemplates.get(String(ltRef));
        const type = lt
          ? (p(lt).LaunchTemplateData as { InstanceType?: unknown } | undefined)?.InstanceType
          : undefined;
        if (min === 0) {
          line(r, 'auto scaling group at minimum size 0', 0, 'instance-hours', 0);
          if (type !== undefined) scaledFromZero(r, String(type));
        } else if (type === undefined)
          notPriced.push({ resource: id(r), type: r.type, reason: 'instance type not found in its launch template' });
        else instance(r, 'ec2', String(type), min, 'minimum size');
        break;
      }
      case 'AWS::SageMaker::Endpoint': {
        const config = endpointConfigs.get(String(rp.EndpointConfigName));
        if (!config) {
          notPriced.push({ resource: id(r), type: r.type, reason: 'endpoint config not in the assembly' });
          break;
        }
        const endpointName = resolver.getAtt(r.stack, r.logicalId, 'EndpointName');
        for (const v of asArray(p(config).ProductionVariants) as Array<Record<string, unknown>>) {
          if (v.ServerlessConfig) {
            notPriced.push({
              resource: id(r),
              type: r.type,
              reason: `serverless variant ${String(v.VariantName)} is priced by usage`,
            });
            continue;
          }
          const target = scalableTargets.find(
            (t) => p(t).ResourceId === `endpoint/${endpointName}/variant/${String(v.VariantName)}`,
          );
          const count = target ? Number(p(target).MinCapacity) : Number(v.InitialInstanceCount ?? 1);
          instance(
            r,
            'sagemaker',
            String(v.InstanceType),
            count,
            target ? `variant ${String(v.VariantName)} minimum capacity` : `variant ${String(v.VariantName)}`,
          );
        }
        break;
      }
      case 'AWS::OpenSearchServerless::Collection': {
        // OCUs are shared by the collections of one key (vector collections apart from the others): the floor
        // is the account's, once per key (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-scaling.html).
        const standby = String(rp.StandbyReplicas ?? 'ENABLED') !== 'DISABLED';
        notPriced.push({
          resource: id(r),
          type: r.type,
          reason: `OCU-hours: a ${String(rp.Type ?? '').toLowerCase() || 'serverless'} collection keeps at least ${
            standby
              ? '2 OCUs (0.5 x 2 indexing, 0.5 x 2 search, standby replicas on)'
              : '1 OCU (0.5 indexing, 0.5 search, no standby replicas)'
          } running, shared by the collections of its key; the price table has no OCU-hour rate`,
        });
        break;
      }
      case 'AWS::OpenSearchServerless::VpcEndpoint':
        notPriced.push({
          resource: id(r),
          type: r.type,
          reason:
            'an OpenSearch Serverless VPC endpoint (an interface endpoint the service manages): the price table has no rate for it',
        });
        break;
      default:
        // A custom resource has no charge of its own: the Lambda function behind it is a resource of its own.
        if (NO_FIXED_CHARGE.has(r.type) || r.type.startsWith('Custom::')) free.set(r.type, (free.get(r.type) ?? 0) + 1);
        else if (USAGE_ONLY_UNRATED[r.type])
          notPriced.push({
            resource: id(r),
            type: r.type,
            reason: `usage only (${USAGE_ONLY_UNRATED[r.type]}), no rate in the price table; no fixed charge`,
            fixedCharge: false,
          });
        else notPriced.push({ resource: id(r), type: r.type, reason: 'resource type not in the cost model' });
    }
  }

  lines.sort((a, b) => byString(a.resource, b.resource) || byString(a.item, b.item));
  usage.sort((a, b) => byString(a.resource, b.resource) || byString(a.item, b.item));
  notPriced.sort((a, b) => byString(a.type, b.type) || byString(a.resource, b.resource));
  const totalMonthly = round(lines.reduce((sum, l) => sum + l.monthly, 0));
  const missing = notPriced.filter((n) => n.fixedCharge !== false);
  const partial = missing.length > 0;
  const totalNote = partial
    ? `partial: leaves out ${missing.length} resource${missing.length === 1 ? '' : 's'} the price table cannot price (${missing.map((n) => `${n.resource}${n.instanceType ? ` ${n.instanceType}` : ` ${n.type}`}`).join(', ')})`
    : 'complete: every resource with a fixed charge is priced';
  return {
    schemaVersion: 1,
    priceTable: { region: table.region, currency: table.currency, asOf: table.asOf, source: table.source },
    hoursPerMonth: hours,
    lines,
    totalMonthly,
    partial,
    totalNote,
    usageRates: usage,
    noFixedCharge: [...free.entries()]
      .map(([type, count]) => ({ type, count }))
      .sort((a, b) => byString(a.type, b.type)),
    notPriced,
    notes,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
