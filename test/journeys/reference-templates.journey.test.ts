/**
 * What issue #11 asks the reference templates to show, read straight from the synthesized assembly (the
 * journeys prove the same through requests; these are the plain template facts a reviewer looks for):
 * no `…IfExists` operator on a deny that reads an SSE header, no account-root `kms:Create*` (or any
 * administration wildcard) in a key policy, API error-rate alarms whose thresholds are fractions, and
 * every SageMaker model's data source under the admission gate's `approved/<workload>/<model>/<version>/files/`.
 * Issue #15: no security group sends anything to 0.0.0.0/0; workloads reach the endpoints' security group and
 * the region's S3 managed prefix list (the destination of the S3 gateway endpoint's routes) only, on HTTPS.
 */
import { referenceFixture } from './journey';

type Json = Record<string, any>;

const fixture = referenceFixture('dev');
const resources = (type: string): Array<[string, Json]> =>
  fixture.assembly.stacks.flatMap((s) =>
    Object.entries((s.template.Resources ?? {}) as Record<string, Json>)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]): [string, Json] => [`${s.stackName}/${id}`, r]),
  );
const statements = (doc: Json | undefined): Json[] => [doc?.Statement ?? []].flat();
const asList = (v: unknown): string[] => [v ?? []].flat().map(String);
/** A string value with `Fn::Join` flattened and the region (a literal or `Ref: AWS::Region`) written `<region>`. */
const joined = (v: unknown): string => {
  const j = v as Json;
  if (typeof v === 'string') return v.replace(/eu-west-1/g, '<region>');
  if (j?.Ref === 'AWS::Region') return '<region>';
  if (j?.['Fn::Join']) return (j['Fn::Join'][1] as unknown[]).map(joined).join(j['Fn::Join'][0]);
  return JSON.stringify(v);
};

describe('the reference templates', () => {
  test('no deny on an SSE header uses an …IfExists operator (a request without the header must not be denied)', () => {
    const denies = resources('AWS::S3::BucketPolicy').flatMap(([id, r]) =>
      statements(r.Properties.PolicyDocument)
        .filter(
          (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition ?? {}).includes('s3:x-amz-server-side-encryption'),
        )
        .map((s) => ({ id, sid: s.Sid, operators: Object.keys(s.Condition) })),
    );
    // The models and data buckets each deny a wrong algorithm and a wrong key.
    expect(denies.length).toBeGreaterThanOrEqual(4);
    for (const d of denies) {
      expect({ ...d, operators: d.operators.filter((o) => o.endsWith('IfExists')) }).toEqual({ ...d, operators: [] });
      // The header is checked only when present: a Null guard, not IfExists.
      expect([d.id, d.sid, d.operators]).toEqual([d.id, d.sid, expect.arrayContaining(['Null'])]);
    }
  });

  test('no key policy gives anyone kms:Create*, kms:* or another wildcard beyond the two data-key families', () => {
    // kms:GenerateDataKey* and kms:ReEncrypt* are use (data keys, re-encryption), granted to named services.
    const useFamilies = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'];
    const keys = resources('AWS::KMS::Key');
    expect(keys.length).toBeGreaterThanOrEqual(5);
    const wildcards = keys.flatMap(([id, k]) =>
      statements(k.Properties.KeyPolicy)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) =>
          asList(s.Action)
            .filter((a) => a.includes('*') && !useFamilies.includes(a))
            .map((a) => `${id} ${s.Sid ?? ''}: ${a}`),
        ),
    );
    expect(wildcards).toEqual([]);
  });

  test('kms:CreateGrant is allowed only for grants to AWS resources (kms:GrantIsForAWSResource)', () => {
    const grants = resources('AWS::KMS::Key').flatMap(([id, k]) =>
      statements(k.Properties.KeyPolicy)
        .filter((s) => s.Effect === 'Allow' && asList(s.Action).includes('kms:CreateGrant'))
        .map((s) => ({ id, sid: s.Sid, forAwsResource: s.Condition?.Bool?.['kms:GrantIsForAWSResource'] })),
    );
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) expect(g).toEqual({ ...g, forAwsResource: 'true' });
  });

  test('API error-rate alarms compare the average of 4XXError/5XXError (a rate in [0, 1]) with a fraction', () => {
    const rateAlarms = resources('AWS::CloudWatch::Alarm').filter(([, a]) =>
      [
        a.Properties.MetricName,
        ...(a.Properties.Metrics ?? []).map((m: Json) => m.MetricStat?.Metric?.MetricName),
      ].some((name) => name === '4XXError' || name === '5XXError'),
    );
    expect(rateAlarms.length).toBeGreaterThanOrEqual(2);
    for (const [id, a] of rateAlarms) {
      expect([id, a.Properties.Threshold > 0 && a.Properties.Threshold < 1]).toEqual([id, true]);
    }
  });

  test('no security group egress to 0.0.0.0/0 or ::/0, inline or standalone', () => {
    const groups = resources('AWS::EC2::SecurityGroup');
    expect(groups.length).toBeGreaterThanOrEqual(5);
    const open = [
      ...groups.flatMap(([id, g]) => (g.Properties.SecurityGroupEgress ?? []).map((r: Json) => [id, r])),
      ...resources('AWS::EC2::SecurityGroupEgress').map(([id, r]) => [id, r.Properties]),
    ].filter(([, r]) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0');
    expect(open).toEqual([]);
  });

  test('workload security groups: HTTPS to the endpoints’ security group and the looked-up S3 prefix list only', () => {
    const platform = fixture.assembly.stacks.find((s) => s.stackName.endsWith('-platform'))!;
    const platformResources = Object.entries(platform.template.Resources as Record<string, Json>);
    const [[lookupId, lookup]] = platformResources.filter(
      ([, r]) => r.Type === 'Custom::AWS' && JSON.stringify(r.Properties.Create).includes('describeManagedPrefixLists'),
    );
    expect(JSON.stringify(lookup.Properties.Create)).toContain('prefix-list-name');
    const [[endpointsId]] = platformResources.filter(
      ([id, r]) => r.Type === 'AWS::EC2::SecurityGroup' && id.startsWith('NetworkEndpointsSecurityGroup'),
    );
    const [[tierId, tier]] = platformResources.filter(
      ([id, r]) => r.Type === 'AWS::EC2::SecurityGroup' && id.startsWith('NetworkWorkloadsSecurityGroup'),
    );
    // The workload tier's group has no rules of its own (CDK's placeholder that allows nothing aside): membership
    // of it is what the endpoints admit, by one rule whatever the number of workloads.
    expect(tier.Properties.SecurityGroupIngress).toBeUndefined();
    expect(tier.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    const ingress = resources('AWS::EC2::SecurityGroupIngress').filter(([, r]) =>
      JSON.stringify(r.Properties.GroupId).includes(endpointsId),
    );
    expect(ingress.map(([, r]) => [r.Properties.FromPort, JSON.stringify(r.Properties.SourceSecurityGroupId)])).toEqual(
      [[443, JSON.stringify({ 'Fn::GetAtt': [tierId, 'GroupId'] })]],
    );
    // Workloads' rules live inline in their own group: no standalone egress rule anywhere.
    expect(resources('AWS::EC2::SecurityGroupEgress')).toEqual([]);
    // The vector store's VPC endpoint has a group of its own (ingress from its clients group only, no egress); the
    // clients group has no ingress and one egress rule, HTTPS to that endpoint; retrieving workloads are its members.
    const [[clientsId, clients]] = platformResources.filter(
      ([id, r]) => r.Type === 'AWS::EC2::SecurityGroup' && id.startsWith('VectorStoreClientsSecurityGroup'),
    );
    const [[storeId]] = platformResources.filter(
      ([id, r]) => r.Type === 'AWS::EC2::SecurityGroup' && id.startsWith('VectorStoreEndpointSecurityGroup'),
    );
    expect(clients.Properties.SecurityGroupIngress).toBeUndefined();
    expect(clients.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        DestinationSecurityGroupId: { 'Fn::GetAtt': [storeId, 'GroupId'] },
      }),
    ]);
    const onStore = resources('AWS::EC2::SecurityGroupIngress').filter(([, r]) =>
      JSON.stringify(r.Properties.GroupId).includes(storeId),
    );
    expect(onStore.map(([, r]) => [r.Properties.FromPort, r.Properties.SourceSecurityGroupId])).toEqual([
      [443, { 'Fn::GetAtt': [clientsId, 'GroupId'] }],
    ]);
    const workloads = resources('AWS::EC2::SecurityGroup').filter(
      ([id]) =>
        !id.includes(`/${endpointsId}`) &&
        !id.includes(`/${tierId}`) &&
        !id.includes(`/${storeId}`) &&
        !id.includes(`/${clientsId}`),
    );
    // The admission gate, the agent, the real-time endpoint and the GPU fleet of the reference config.
    expect(workloads.length).toBeGreaterThanOrEqual(4);
    for (const [id, g] of workloads) {
      const rules = (g.Properties.SecurityGroupEgress as Json[]).map((r) => ({
        id,
        protocol: r.IpProtocol,
        ports: [r.FromPort, r.ToPort],
        to: r.DestinationSecurityGroupId
          ? JSON.stringify(r.DestinationSecurityGroupId).includes('VectorStoreEndpointSecurityGroup')
            ? 'vector-store'
            : JSON.stringify(r.DestinationSecurityGroupId).includes(endpointsId) && 'endpoints'
          : r.DestinationPrefixListId
            ? JSON.stringify(r.DestinationPrefixListId).includes(lookupId) && 's3-prefix-list'
            : JSON.stringify(r),
      }));
      // A retrieving genai workload reaches the vector store through the clients group it carries, not a rule of its own.
      expect(rules).toEqual([
        { id, protocol: 'tcp', ports: [443, 443], to: 'endpoints' },
        { id, protocol: 'tcp', ports: [443, 443], to: 's3-prefix-list' },
      ]);
    }
  });

  test('the S3 path still works: the gateway endpoint routes the same regional S3 list from the GPU and data tiers', () => {
    const gateways = resources('AWS::EC2::VPCEndpoint').filter(([, e]) => e.Properties.VpcEndpointType === 'Gateway');
    expect(gateways).toHaveLength(1);
    const [[, gateway]] = gateways;
    // A gateway endpoint adds a route whose destination is the service's managed prefix list
    // (com.amazonaws.<region>.s3), which is the list the lookup reads by name.
    expect(joined(gateway.Properties.ServiceName)).toBe('com.amazonaws.<region>.s3');
    const routeTables = JSON.stringify(gateway.Properties.RouteTableIds);
    expect(routeTables).toMatch(/NetworkgpuSubnet1RouteTable/);
    expect(routeTables).toMatch(/NetworkdataSubnet1RouteTable/);
    const lookups = resources('Custom::AWS')
      .map(([, r]) => joined(r.Properties.Create))
      .filter((create) => create.includes('describeManagedPrefixLists'))
      .map((create) => JSON.parse(create))
      .filter((call) => call.action === 'describeManagedPrefixLists');
    expect(lookups.map((call) => call.parameters)).toEqual([
      { Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.<region>.s3'] }] },
    ]);
  });

  test('every SageMaker model reads an S3 prefix under approved/<workload>/<model>/<version>/files/ of the models bucket', () => {
    const models = resources('AWS::SageMaker::Model');
    expect(models.length).toBeGreaterThan(0);
    for (const [id, m] of models) {
      const source = m.Properties.PrimaryContainer.ModelDataSource?.S3DataSource;
      expect([id, m.Properties.PrimaryContainer.ModelDataUrl]).toEqual([id, undefined]);
      expect([id, source?.S3DataType, source?.CompressionType]).toEqual([id, 'S3Prefix', 'None']);
      const uri = JSON.stringify(source?.S3Uri);
      expect([id, uri]).toEqual([
        id,
        expect.stringMatching(/ModelsBucket.*"\/approved\/[a-z0-9-]+\/[^/"]+\/[^/"]+\/files\/"/),
      ]);
    }
  });
});
