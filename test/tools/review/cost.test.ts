import * as fs from 'fs';
import * as path from 'path';
import { loadAssembly } from '../../../tools/review/assembly';
import { DEFAULT_PRICE_TABLE, estimateCost, loadPriceTable, PriceTable } from '../../../tools/review/cost';
import { GPU_INSTANCE_FAMILIES, isGpuInstanceType } from '../../../constructs/inference/gpu-instance-types';
import {
  isSageMakerEndpointInstanceType,
  sageMakerEndpointInstanceTypes,
} from '../../../constructs/inference/sagemaker-instance-types';
import { tmpDir, writeAssembly } from './helpers';

/** A price table with round numbers, so the known answer is readable. */
const TABLE: PriceTable = {
  region: 'us-east-1',
  currency: 'USD',
  asOf: '2000-01',
  source: 'test',
  hoursPerMonth: 100,
  fixed: {
    vpcInterfaceEndpointAzHour: 0.01,
    natGatewayHour: 0.05,
    publicIpv4AddressHour: 0.005,
    kmsCustomerKeyMonth: 1,
    wafWebAclMonth: 5,
    wafRuleMonth: 1,
    cloudWatchStandardAlarmMonth: 0.1,
    cloudWatchCompositeAlarmMonth: 0.5,
    cloudWatchDashboardMonth: 3,
    secretsManagerSecretMonth: 0.4,
  },
  usage: {
    cloudTrailDataEventsPer100k: 0.1,
    cloudWatchLogsIngestionPerGb: 0.5,
    cloudWatchLogsStoragePerGbMonth: 0.03,
    wafRequestsPerMillion: 0.6,
    kmsRequestsPer10k: 0.03,
    vpcEndpointDataProcessedPerGb: 0.01,
    natGatewayDataProcessedPerGb: 0.045,
    s3StandardStoragePerGbMonth: 0.023,
  },
  ec2InstanceHour: { 'g5.xlarge': 1 },
  sageMakerInstanceHour: { 'ml.g5.xlarge': 2 },
};

const TEMPLATE = {
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
    SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' } } },
    SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' } } },
    KmsEndpoint: {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcId: { Ref: 'Vpc' },
        VpcEndpointType: 'Interface',
        ServiceName: 'com.amazonaws.us-east-1.kms',
        SubnetIds: [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }],
      },
    },
    S3Endpoint: {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: { VpcId: { Ref: 'Vpc' }, ServiceName: 'com.amazonaws.us-east-1.s3' },
    },
    Nat: {
      Type: 'AWS::EC2::NatGateway',
      Properties: { SubnetId: { Ref: 'SubnetA' }, AllocationId: { 'Fn::GetAtt': ['Eip', 'AllocationId'] } },
    },
    Eip: { Type: 'AWS::EC2::EIP' },
    DataKey: { Type: 'AWS::KMS::Key' },
    Acl: {
      Type: 'AWS::WAFv2::WebACL',
      Properties: { Name: 'acl', Rules: [{ Name: 'a' }, { Name: 'b' }, { Name: 'c' }] },
    },
    Trail: {
      Type: 'AWS::CloudTrail::Trail',
      Properties: { EventSelectors: [{ DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }] },
    },
    Logs: { Type: 'AWS::Logs::LogGroup' },
    Model: { Type: 'AWS::SageMaker::Model' },
    Config: {
      Type: 'AWS::SageMaker::EndpointConfig',
      Properties: {
        ProductionVariants: [
          {
            VariantName: 'main',
            InstanceType: 'ml.g5.xlarge',
            InitialInstanceCount: 1,
            ModelName: { 'Fn::GetAtt': ['Model', 'ModelName'] },
          },
        ],
      },
    },
    Endpoint: {
      Type: 'AWS::SageMaker::Endpoint',
      Properties: { EndpointName: 'fraud', EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } },
    },
    Scaling: {
      Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
      Properties: {
        MinCapacity: 2,
        MaxCapacity: 4,
        ResourceId: 'endpoint/fraud/variant/main',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        ServiceNamespace: 'sagemaker',
      },
    },
    Template: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 'g5.xlarge' } } },
    Fleet: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: {
        MinSize: '3',
        MaxSize: '5',
        LaunchTemplate: { LaunchTemplateId: { Ref: 'Template' }, Version: '1' },
      },
    },
    Exotic: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'p5.48xlarge' } },
    Unknown: { Type: 'AWS::Foo::Bar' },
    Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
  },
};

describe('estimateCost on a known template', () => {
  const estimate = estimateCost(loadAssembly(writeAssembly({ Platform: TEMPLATE })), TABLE);

  test('fixed lines at minimum counts', () => {
    expect(estimate.lines.map((l) => [l.resource, l.item, l.quantity, l.unitPrice, l.monthly])).toEqual([
      ['Platform/Acl', '3 rules', 3, 1, 3],
      ['Platform/Acl', 'web ACL', 1, 5, 5],
      ['Platform/DataKey', 'customer managed key', 1, 1, 1],
      ['Platform/Eip', 'public IPv4 address', 100, 0.005, 0.5],
      ['Platform/Endpoint', '2 x ml.g5.xlarge (variant main minimum capacity)', 200, 2, 400],
      ['Platform/Fleet', '3 x g5.xlarge (minimum size)', 300, 1, 300],
      ['Platform/KmsEndpoint', 'Interface endpoint com.amazonaws.us-east-1.kms in 2 AZ', 200, 0.01, 2],
      ['Platform/Nat', 'NAT gateway', 100, 0.05, 5],
      ['Platform/S3Endpoint', 'gateway endpoint com.amazonaws.us-east-1.s3 (no hourly charge)', 0, 0, 0],
      ['Platform/Trail', 'trail, management events (first copy free)', 0, 0, 0],
    ]);
    expect(estimate.totalMonthly).toBe(716.5);
  });

  test('usage-priced resources are listed with their rates, outside the total', () => {
    expect(estimate.usageRates.map((u) => [u.resource, u.item, u.unitPrice])).toEqual(
      expect.arrayContaining([
        ['Platform/Trail', 'data events', 0.1],
        ['Platform/Logs', 'ingestion', 0.5],
        ['Platform/Acl', 'requests', 0.6],
      ]),
    );
  });

  test('unknown types and unlisted instance types are not priced, and say why', () => {
    expect(estimate.notPriced).toEqual([
      {
        resource: 'Platform/Exotic',
        type: 'AWS::EC2::Instance',
        reason: 'instance type p5.48xlarge is not in the price table',
        instanceType: 'p5.48xlarge',
      },
      { resource: 'Platform/Unknown', type: 'AWS::Foo::Bar', reason: 'resource type not in the cost model' },
    ]);
  });

  test('the total says it is partial and names what it leaves out', () => {
    expect(estimate.partial).toBe(true);
    expect(estimate.totalNote).toBe(
      'partial: leaves out 2 resources the price table cannot price (Platform/Exotic p5.48xlarge, Platform/Unknown AWS::Foo::Bar)',
    );
    const complete = estimateCost(
      loadAssembly(writeAssembly({ Platform: { Resources: { DataKey: { Type: 'AWS::KMS::Key' } } } })),
      TABLE,
    );
    expect([complete.partial, complete.totalNote]).toEqual([
      false,
      'complete: every resource with a fixed charge is priced',
    ]);
  });

  test('an instance of a family the table marks as needing a price says so', () => {
    const flagged = estimateCost(loadAssembly(writeAssembly({ Platform: TEMPLATE })), {
      ...TABLE,
      needsPrice: { note: 'n', ec2: ['p5'], sageMaker: [] },
    });
    expect(flagged.notPriced[0].reason).toMatch(
      /^instance type p5\.48xlarge \(1 x, .*\): the p5 family is accepted by the platform and marked in the price table as needing a price$/,
    );
  });

  test('a group scaled from 0 of a family marked as needing a price says so, with no fixed charge', () => {
    const fromZero = structuredClone(TEMPLATE);
    fromZero.Resources.Fleet.Properties.MinSize = '0';
    const { 'g5.xlarge': _priced, ...ec2InstanceHour } = TABLE.ec2InstanceHour;
    const flagged = estimateCost(loadAssembly(writeAssembly({ Platform: fromZero })), {
      ...TABLE,
      ec2InstanceHour,
      needsPrice: { note: 'n', ec2: ['g5'], sageMaker: [] },
    });
    expect(flagged.notPriced).toContainEqual({
      resource: 'Platform/Fleet',
      type: 'AWS::AutoScaling::AutoScalingGroup',
      instanceType: 'g5.xlarge',
      reason:
        'instance type g5.xlarge (minimum size 0, no fixed charge) has no hourly rate in the price table: the g5 family is accepted by the platform and marked in the price table as needing a price',
      fixedCharge: false,
    });
  });

  test('every resource is accounted for: a line, a usage rate, no fixed charge, or not priced', () => {
    const accounted = new Set([
      ...estimate.lines.map((l) => l.resource),
      ...estimate.usageRates.map((u) => u.resource),
      ...estimate.notPriced.map((n) => n.resource),
    ]);
    const free = estimate.noFixedCharge.reduce((n, f) => n + f.count, 0);
    const all = Object.keys(TEMPLATE.Resources).length;
    expect(accounted.size + free).toBe(all);
  });
});

describe('the repo price table', () => {
  test('is dated, sourced, for us-east-1, and has the GPU families at every size the platform offers', () => {
    const table = loadPriceTable(DEFAULT_PRICE_TABLE);
    expect(table.region).toBe('us-east-1');
    expect(table.asOf).toMatch(/^\d{4}-\d{2}/);
    expect(table.source).toMatch(/aws\.amazon\.com/);
    for (const family of ['g4dn', 'g5', 'g6', 'p4d']) {
      expect(Object.keys(table.ec2InstanceHour).some((t) => t.startsWith(`${family}.`))).toBe(true);
    }
    expect(Object.keys(table.sageMakerInstanceHour).every((t) => t.startsWith('ml.'))).toBe(true);
    for (const v of [
      ...Object.values(table.fixed),
      ...Object.values(table.ec2InstanceHour),
      ...Object.values(table.sageMakerInstanceHour),
    ]) {
      expect(v).toBeGreaterThan(0);
    }
  });

  test('covers every accelerated family the config validator accepts: a dated price, or marked as needing one', () => {
    const table = loadPriceTable(DEFAULT_PRICE_TABLE);
    const priced = (types: string[]): Set<string> => new Set(types.map((t) => t.replace(/^ml\./, '').split('.')[0]));
    const ec2 = priced(Object.keys(table.ec2InstanceHour));
    const sageMaker = priced(Object.keys(table.sageMakerInstanceHour));
    expect(table.needsPrice?.note).toMatch(/aws\.amazon\.com\/ec2\/pricing/);
    for (const family of GPU_INSTANCE_FAMILIES) {
      expect([family, ec2.has(family) || table.needsPrice!.ec2.includes(family)]).toEqual([family, true]);
      // Never both: a family with a price is not also marked as needing one.
      expect([family, ec2.has(family) && table.needsPrice!.ec2.includes(family)]).toEqual([family, false]);
    }
    // SageMaker, type by type: every GPU type its real-time endpoints offer (the validator accepts exactly those)
    // has a price, or its family is marked; a marked family has an unpriced type; a priced type exists.
    const family = (type: string) => type.split('.')[1];
    const accepted = sageMakerEndpointInstanceTypes().filter(isGpuInstanceType);
    const unpriced = accepted.filter((t) => table.sageMakerInstanceHour[t] === undefined);
    for (const t of unpriced) expect([t, table.needsPrice!.sageMaker.includes(family(t))]).toEqual([t, true]);
    for (const f of table.needsPrice!.sageMaker) expect([f, unpriced.some((t) => family(t) === f)]).toEqual([f, true]);
    for (const t of Object.keys(table.sageMakerInstanceHour))
      expect([t, isSageMakerEndpointInstanceType(t)]).toEqual([t, true]);
    expect(sageMaker.size).toBeGreaterThan(0);
  });

  test('names the source and date of every priced instance family, once', () => {
    const table = loadPriceTable(DEFAULT_PRICE_TABLE);
    const families = (types: string[]): string[] => [
      ...new Set(types.map((t) => t.replace(/^ml\./, '').split('.')[0])),
    ];
    const sources = table.instanceHourSources ?? [];
    for (const s of sources) {
      expect(s.asOf).toMatch(/^\d{4}-\d{2}/);
      expect(s.source).toMatch(/https:\/\//);
    }
    const named = (kind: 'ec2' | 'sageMaker'): string[] => sources.flatMap((s) => s[kind]).sort();
    expect(named('ec2')).toEqual(families(Object.keys(table.ec2InstanceHour)).sort());
    expect(named('sageMaker')).toEqual(families(Object.keys(table.sageMakerInstanceHour)).sort());
  });

  test('a table missing a field is rejected naming it', () => {
    const file = path.join(tmpDir('prices'), 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ ...TABLE, asOf: undefined }));
    expect(() => loadPriceTable(file)).toThrow(/missing field 'asOf'/);
  });
});
