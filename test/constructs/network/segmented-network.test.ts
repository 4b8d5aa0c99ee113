import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DnsFirewall, EGRESS_TIER_TAG, PlatformEndpoint, SegmentedNetwork } from '../../../constructs';
import { ACCOUNT, CfnResolver, evaluate, REGION, RoleUnderTest, vpcEndpointPolicy } from '../../helpers/iam-eval';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack, resourcesOfType } from '../../helpers/stacks';

describe('SegmentedNetwork with no props', () => {
  let stack: Stack;
  let network: SegmentedNetwork;
  let template: Template;
  let json: any;

  beforeAll(() => {
    ({ stack } = newStack());
    network = new SegmentedNetwork(stack, 'Network');
    template = Template.fromStack(stack);
    json = template.toJSON();
  });

  test('has no path to the internet: no IGW, NAT, EIP, public IP or default route', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.resourceCountIs('AWS::EC2::VPCGatewayAttachment', 0);
    for (const [, subnet] of resourcesOfType(json, 'AWS::EC2::Subnet')) {
      expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(false);
    }
    for (const [, route] of resourcesOfType(json, 'AWS::EC2::Route')) {
      expect(route.Properties?.DestinationCidrBlock).not.toBe('0.0.0.0/0');
    }
  });

  test('spans two zones with an isolated GPU, endpoints and data tier in each', () => {
    const subnets = resourcesOfType(json, 'AWS::EC2::Subnet');
    expect(subnets).toHaveLength(6);
    const tiers = subnets.map(([, s]) => s.Properties!.Tags.find((t: any) => t.Key === 'aws-cdk:subnet-name').Value);
    expect(tiers.sort()).toEqual(['data', 'data', 'endpoints', 'endpoints', 'gpu', 'gpu']);
    const gpuMasks = subnets
      .filter(([, s]) => s.Properties!.Tags.some((t: any) => t.Value === 'gpu'))
      .map(([, s]) => s.Properties!.CidrBlock.split('/')[1]);
    expect(gpuMasks).toEqual(['20', '20']);
  });

  test('logs ALL traffic to an encrypted log group with retention, through a role that trusts only this account', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 365,
    });
    // Retained on delete and update rollback, deleted when its own create rolls back (retryable first deploy).
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ],
      },
    });
  });

  test('strips the default security group of its rules', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test('separates tiers with network ACLs: nothing else in the VPC reaches the GPU tier', () => {
    const gpuCidrs = network.vpc.selectSubnets({ subnetGroupName: 'gpu' }).subnets.map((s) => s.ipv4CidrBlock);
    const dataCidrs = network.vpc.selectSubnets({ subnetGroupName: 'data' }).subnets.map((s) => s.ipv4CidrBlock);
    const entries = resourcesOfType(json, 'AWS::EC2::NetworkAclEntry').map(([id, e]) => ({ id, ...e.Properties! }));
    const gpuAclId = resourcesOfType(json, 'AWS::EC2::NetworkAcl').find(([id]) => id.includes('GpuTierAcl'))![0];
    const gpuIngress = entries.filter((e) => e.NetworkAclId.Ref === gpuAclId && !e.Egress);
    // Allowed from itself (all traffic) and from the endpoints tier (replies only), then deny the VPC.
    for (const cidr of gpuCidrs) {
      expect(gpuIngress).toContainEqual(
        expect.objectContaining({ CidrBlock: cidr, RuleAction: 'allow', Protocol: -1 }),
      );
    }
    for (const cidr of dataCidrs) {
      expect(gpuIngress.filter((e) => e.CidrBlock === cidr)).toEqual([]);
    }
    const denyVpc = gpuIngress.find((e) => e.RuleAction === 'deny');
    expect(denyVpc).toMatchObject({ CidrBlock: { 'Fn::GetAtt': [expect.stringMatching(/^Network/), 'CidrBlock'] } });
    const worldAllows = gpuIngress.filter((e) => e.CidrBlock === '0.0.0.0/0');
    expect(worldAllows).toEqual([expect.objectContaining({ Protocol: 6, PortRange: { From: 1024, To: 65535 } })]);
    expect(worldAllows[0].RuleNumber).toBeGreaterThan(denyVpc!.RuleNumber);
    // The GPU tier sends to the endpoints tier on 443 only.
    const gpuEgress = entries.filter((e) => e.NetworkAclId.Ref === gpuAclId && e.Egress && e.RuleAction === 'allow');
    const toEndpoints = gpuEgress.filter((e) => !gpuCidrs.includes(e.CidrBlock) && e.CidrBlock !== '0.0.0.0/0');
    expect(toEndpoints.length).toBe(2);
    for (const e of toEndpoints) expect(e.PortRange).toEqual({ From: 443, To: 443 });
  });

  test('gives every interface endpoint a policy that admits only principals of this account', () => {
    const endpoints = resourcesOfType(json, 'AWS::EC2::VPCEndpoint');
    expect(endpoints.length).toBe(PlatformEndpoint.ALL.length + 1);
    for (const [id, endpoint] of endpoints) {
      const doc = endpoint.Properties!.PolicyDocument;
      expect({ id, doc: doc !== undefined }).toEqual({ id, doc: true });
      if (endpoint.Properties!.VpcEndpointType === 'Interface') {
        expect(doc.Statement).toEqual([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]);
        expect(endpoint.Properties!.PrivateDnsEnabled).toBe(true);
      }
    }
  });

  test('the EC2 API endpoint admits ec2:DescribeTags only (the CloudWatch agent reading its tags), the Secrets Manager endpoint secret reads only, every other endpoint its whole service', () => {
    const policies = resourcesOfType(json, 'AWS::EC2::VPCEndpoint')
      .filter(([, e]) => e.Properties!.VpcEndpointType === 'Interface')
      .map(([, e]) => ({
        service: JSON.stringify(e.Properties!.ServiceName),
        statement: e.Properties!.PolicyDocument.Statement[0],
      }));
    const ec2Api = policies.filter((p) => p.service.endsWith('.ec2"]]}'));
    expect(ec2Api).toHaveLength(1);
    expect(ec2Api[0].statement.Action).toBe('ec2:DescribeTags');
    const secrets = policies.filter((p) => p.service.endsWith('.secretsmanager"]]}'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0].statement.Action).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    for (const p of policies.filter((x) => x !== ec2Api[0] && x !== secrets[0]))
      expect(String(p.statement.Action)).toMatch(/^[a-z0-9-]+:\*$/);
  });

  test('scopes service endpoints to this account’s resources where the service allows it', () => {
    const byService = (suffix: string) =>
      resourcesOfType(json, 'AWS::EC2::VPCEndpoint').find(([, e]) =>
        JSON.stringify(e.Properties!.ServiceName).endsWith(`${suffix}"]]}`),
      )![1].Properties!.PolicyDocument.Statement[0];
    expect(JSON.stringify(byService('.sagemaker.runtime').Resource)).toContain(':endpoint/*');
    expect(JSON.stringify(byService('.kms').Resource)).toContain(':key/*');
    expect(JSON.stringify(byService('.logs').Resource)).toContain(':log-group:*');
    expect(JSON.stringify(byService('.secretsmanager').Resource)).toContain(':secretsmanager:');
    expect(JSON.stringify(byService('.secretsmanager').Resource)).toContain(':secret:*');
  });

  test('endpoint security group admits HTTPS from the workload tier’s members only, and has no allow-all egress', () => {
    const sgs = resourcesOfType(json, 'AWS::EC2::SecurityGroup').filter(([id]) =>
      id.includes('EndpointsSecurityGroup'),
    );
    expect(sgs).toHaveLength(1);
    const sg = sgs[0][1].Properties!;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(sg.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    const [[tierId, tier]] = resourcesOfType(json, 'AWS::EC2::SecurityGroup').filter(([id]) =>
      id.includes('WorkloadsSecurityGroup'),
    );
    // The tier's group has no rules of its own: membership is all it means.
    expect(tier.Properties!.SecurityGroupIngress).toBeUndefined();
    expect(tier.Properties!.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    const ingress = resourcesOfType(json, 'AWS::EC2::SecurityGroupIngress');
    expect(ingress.map(([, r]) => r.Properties)).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [sgs[0][0], 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [tierId, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Description: expect.stringContaining('workload tier'),
      },
    ]);
  });

  test('S3 gateway endpoint denies buckets of other accounts and admits nothing else by default', () => {
    const gateway = resourcesOfType(json, 'AWS::EC2::VPCEndpoint').find(
      ([, e]) => e.Properties!.VpcEndpointType === 'Gateway',
    )!;
    const statements = gateway[1].Properties!.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { StringNotEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
    // ECR image layers (an AWS-owned bucket) are the only foreign bucket reachable: GetObject on the
    // region's layer bucket, for any principal (ECR presigns the layer URLs with its own credentials).
    const allows = statements.filter((s: any) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Sid: 'EcrImageLayers',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 's3:GetObject',
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':s3:::prod-', { Ref: 'AWS::Region' }, '-starport-layer-bucket/*'],
          ],
        },
      },
    ]);
  });

  test('passes every cdk-nag pack with no unacknowledged finding', () => {
    const findings = nagFindings(stack);
    expect(describeFindings(findings)).toBe('');
  });
});

describe('SegmentedNetwork S3 gateway endpoint and ECR image layers, evaluated', () => {
  const ECR_ACCOUNT = '999988887777';
  let gateway: { id: string; policy: unknown };
  // Whoever makes the request: the endpoint policy is what is evaluated here, so the identity allows all S3.
  const anyS3: RoleUnderTest = {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/fleet`,
    identityPolicies: [
      {
        name: 'AllS3',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
      },
    ],
    tags: {},
  };
  const request = (action: string, resourceArn: string, principalAccount: string, resourceAccount: string) =>
    evaluate({
      role: anyS3,
      action,
      resourceArn,
      viaVpcEndpoint: gateway,
      context: { 'aws:PrincipalAccount': principalAccount, 'aws:ResourceAccount': resourceAccount },
    });
  const layer = `arn:aws:s3:::prod-${REGION}-starport-layer-bucket/sha256-layer`;

  beforeAll(() => {
    const { app, stack } = newStack();
    new SegmentedNetwork(stack, 'Network');
    const resolver = new CfnResolver(app);
    const [gatewayId] = resolver
      .find('Test', 'AWS::EC2::VPCEndpoint')
      .filter((id) => resolver.template('Test').Resources[id].Properties.VpcEndpointType === 'Gateway');
    gateway = {
      id: resolver.resolve('Test', { Ref: gatewayId }),
      policy: vpcEndpointPolicy(resolver, 'Test', gatewayId),
    };
  });

  test('a layer download presigned by ECR (a principal of another account) is Allowed', async () => {
    await expect(request('s3:GetObject', layer, ECR_ACCOUNT, ECR_ACCOUNT)).resolves.toBe('Allowed');
  });

  test('a layer download by a principal of this account is Allowed', async () => {
    await expect(request('s3:GetObject', layer, ACCOUNT, ECR_ACCOUNT)).resolves.toBe('Allowed');
  });

  test('any other bucket of another account is Denied, reads and writes alike', async () => {
    await expect(request('s3:GetObject', 'arn:aws:s3:::exfil-bucket/x', ECR_ACCOUNT, ECR_ACCOUNT)).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request('s3:PutObject', 'arn:aws:s3:::exfil-bucket/x', ACCOUNT, ECR_ACCOUNT)).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  test('the layer bucket admits only GetObject, and only the layer bucket of this region', async () => {
    await expect(request('s3:PutObject', layer, ACCOUNT, ECR_ACCOUNT)).resolves.toBe('ImplicitlyDenied');
    await expect(
      request('s3:GetObject', 'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/x', ECR_ACCOUNT, ECR_ACCOUNT),
    ).resolves.toBe('ExplicitlyDenied');
  });
});

describe('SegmentedNetwork Secrets Manager endpoint, evaluated', () => {
  let endpoint: { id: string; policy: unknown };
  // Whoever makes the request may do anything with any secret: the endpoint policy is what is evaluated.
  const anySecret: RoleUnderTest = {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/agent`,
    identityPolicies: [
      {
        name: 'AllSecrets',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' }] },
      },
    ],
    tags: {},
  };
  const secret = (account: string) =>
    `arn:aws:secretsmanager:${REGION}:${account}:secret:ztai/api-clients/agent-AbCdEf`;
  const request = (action: string, resourceArn: string, principalAccount = ACCOUNT) =>
    evaluate({
      role: anySecret,
      action,
      resourceArn,
      viaVpcEndpoint: endpoint,
      context: { 'aws:PrincipalAccount': principalAccount, 'aws:ResourceAccount': resourceArn.split(':')[4] },
    });

  beforeAll(() => {
    const { app, stack } = newStack();
    new SegmentedNetwork(stack, 'Network', {
      interfaceEndpoints: [...PlatformEndpoint.BASELINE, PlatformEndpoint.SECRETS_MANAGER],
    });
    const resolver = new CfnResolver(app);
    const [id] = resolver.find('Test', 'AWS::EC2::VPCEndpoint', 'NetworkSecretsmanager');
    endpoint = { id: resolver.resolve('Test', { Ref: id }), policy: vpcEndpointPolicy(resolver, 'Test', id) };
  });

  test("this account's principals read this account's secrets (value and metadata) through it", async () => {
    await expect(request('secretsmanager:GetSecretValue', secret(ACCOUNT))).resolves.toBe('Allowed');
    await expect(request('secretsmanager:DescribeSecret', secret(ACCOUNT))).resolves.toBe('Allowed');
  });

  test('no writes, no other account’s secrets, no other account’s principals', async () => {
    for (const action of [
      'secretsmanager:PutSecretValue',
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
    ]) {
      await expect(request(action, secret(ACCOUNT))).resolves.toBe('ImplicitlyDenied');
    }
    await expect(request('secretsmanager:GetSecretValue', secret('999988887777'))).resolves.toBe('ImplicitlyDenied');
    await expect(request('secretsmanager:GetSecretValue', secret(ACCOUNT), '999988887777')).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  test('its DNS name is allowed by the DNS firewall only when the network has it', () => {
    expect(
      PlatformEndpoint.SECRETS_MANAGER.dnsNames().map((n) => n.replace(/\$\{Token\[[^\]]+\]\}/, '<region>')),
    ).toEqual(['secretsmanager.<region>.amazonaws.com']);
    expect(PlatformEndpoint.ALL).toContain(PlatformEndpoint.SECRETS_MANAGER);
    expect(PlatformEndpoint.BASELINE).not.toContain(PlatformEndpoint.SECRETS_MANAGER);
  });
});

/** Resolve a template value to the strings CloudFormation would see in REGION. */
function resolvedDomains(app: ReturnType<typeof newStack>['app'], logicalIdPrefix: string): string[] {
  const resolver = new CfnResolver(app);
  const [id] = resolver.find('Test', 'AWS::Route53Resolver::FirewallDomainList', logicalIdPrefix);
  return resolver.resolve('Test', resolver.template('Test').Resources[id].Properties!.Domains);
}

describe('SegmentedNetwork DNS Firewall', () => {
  let app: ReturnType<typeof newStack>['app'];
  let stack: Stack;
  let json: any;

  beforeAll(() => {
    ({ app, stack } = newStack());
    new SegmentedNetwork(stack, 'Network');
    json = Template.fromStack(stack).toJSON();
  });

  test('is associated with the VPC (mutation protection off by default, so a failed create can roll back)', () => {
    const associations = resourcesOfType(json, 'AWS::Route53Resolver::FirewallRuleGroupAssociation');
    expect(associations).toHaveLength(1);
    expect(associations[0][1].Properties).toEqual({
      FirewallRuleGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^NetworkDnsFirewall/), 'Id'] },
      VpcId: { Ref: expect.stringMatching(/^Network[0-9A-F]{8}$/) },
      Priority: 101,
      MutationProtection: 'DISABLED',
    });
    const [vpcId] = resourcesOfType(json, 'AWS::EC2::VPC')[0];
    expect(associations[0][1].Properties.VpcId).toEqual({ Ref: vpcId });
  });

  test('ALLOWs the allow-list first, then BLOCKs every other domain (*) with NODATA', () => {
    const [[, group]] = resourcesOfType(json, 'AWS::Route53Resolver::FirewallRuleGroup');
    const lists = Object.fromEntries(
      resourcesOfType(json, 'AWS::Route53Resolver::FirewallDomainList').map(([id, l]) => [id, l.Properties.Domains]),
    );
    const rules = [...group.Properties.FirewallRules].sort((a: any, b: any) => a.Priority - b.Priority);
    expect(rules).toEqual([
      {
        Action: 'ALLOW',
        Priority: 100,
        FirewallDomainListId: { 'Fn::GetAtt': [expect.stringMatching(/AllowedDomains/), 'Id'] },
        FirewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN',
      },
      {
        Action: 'BLOCK',
        Priority: 200,
        FirewallDomainListId: { 'Fn::GetAtt': [expect.stringMatching(/AllDomains/), 'Id'] },
        BlockResponse: 'NODATA',
      },
    ]);
    // The block rule catches every domain: its list is exactly '*'.
    expect(lists[rules[1].FirewallDomainListId['Fn::GetAtt'][0]]).toEqual(['*']);
    expect(lists[rules[0].FirewallDomainListId['Fn::GetAtt'][0]]).not.toContain('*');
  });

  test('allows exactly the names of the platform’s endpoints, S3 and the VPC’s instance names, in the region', () => {
    const r = REGION;
    expect(resolvedDomains(app, 'NetworkDnsFirewallAllowedDomains').sort()).toEqual(
      [
        `sts.${r}.amazonaws.com`,
        `kms.${r}.amazonaws.com`,
        `logs.${r}.amazonaws.com`,
        `monitoring.${r}.amazonaws.com`,
        `api.sagemaker.${r}.amazonaws.com`,
        `runtime.sagemaker.${r}.amazonaws.com`,
        `api.ecr.${r}.amazonaws.com`,
        `dkr.ecr.${r}.amazonaws.com`,
        `*.dkr.ecr.${r}.amazonaws.com`,
        `ssm.${r}.amazonaws.com`,
        `ssmmessages.${r}.amazonaws.com`,
        `ec2.${r}.amazonaws.com`,
        `ec2messages.${r}.amazonaws.com`,
        `*.execute-api.${r}.amazonaws.com`,
        `secretsmanager.${r}.amazonaws.com`,
        `s3.${r}.amazonaws.com`,
        `*.s3.${r}.amazonaws.com`,
        `*.${r}.compute.internal`,
        '*.ec2.internal',
      ].sort(),
    );
  });

  test('allows no name of an endpoint the network does not have', () => {
    const { app: other, stack: baseline } = newStack();
    new SegmentedNetwork(baseline, 'Network', { interfaceEndpoints: PlatformEndpoint.BASELINE });
    const domains = resolvedDomains(other, 'NetworkDnsFirewallAllowedDomains');
    expect(domains).toContain(`kms.${REGION}.amazonaws.com`);
    for (const absent of ['sagemaker', 'ecr', 'ssm', 'execute-api', 'secretsmanager']) {
      expect(domains.filter((d) => d.includes(absent))).toEqual([]);
    }
  });

  test('additionalAllowedDomains are added to the allow-list', () => {
    const { app: other, stack: extra } = newStack();
    new SegmentedNetwork(extra, 'Network', {
      additionalAllowedDomains: ['bedrock-runtime.eu-west-1.amazonaws.com', '*.internal.example.com'],
    });
    expect(resolvedDomains(other, 'NetworkDnsFirewallAllowedDomains')).toEqual(
      expect.arrayContaining(['bedrock-runtime.eu-west-1.amazonaws.com', '*.internal.example.com']),
    );
  });

  test('passes every cdk-nag pack', () => {
    const findings = nagFindings(stack).filter((f) => f.path.includes('DnsFirewall'));
    expect(describeFindings(findings)).toBe('');
  });

  test('disableDnsFirewall leaves it out, loudly', () => {
    const { stack: open } = newStack();
    new SegmentedNetwork(open, 'Network', { disableDnsFirewall: true });
    const template = Template.fromStack(open);
    for (const type of [
      'AWS::Route53Resolver::FirewallRuleGroupAssociation',
      'AWS::Route53Resolver::FirewallRuleGroup',
      'AWS::Route53Resolver::FirewallDomainList',
    ]) {
      template.resourceCountIs(type, 0);
    }
    Annotations.fromStack(open).hasWarning('/Test/Network', Match.stringLikeRegexp('DNS queries are a path out'));
    // And without it, no such warning.
    Annotations.fromStack(stack).hasNoWarning('/Test/Network', Match.stringLikeRegexp('DNS'));
  });

  test('DnsFirewall: mutation protection is opt-in (a protected association cannot be rolled back)', () => {
    const { stack: s } = newStack();
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [] });
    new DnsFirewall(s, 'Off', { vpc, allowedDomains: ['kms.eu-west-1.amazonaws.com'] });
    new DnsFirewall(s, 'On', { vpc, allowedDomains: ['kms.eu-west-1.amazonaws.com'], mutationProtection: true });
    const associations = Object.values(
      Template.fromStack(s).findResources('AWS::Route53Resolver::FirewallRuleGroupAssociation'),
    ).map((r) => r.Properties.MutationProtection);
    expect(associations.sort()).toEqual(['DISABLED', 'ENABLED']);
  });

  test.each([
    [
      { additionalAllowedDomains: ['*'] },
      /additionalAllowedDomains\[0\] must be a domain name of at least two labels.* got '\*'/,
    ],
    [{ additionalAllowedDomains: ['*.com'] }, /additionalAllowedDomains\[0\] .* got '\*\.com'/],
    [{ additionalAllowedDomains: ['example'] }, /got 'example'/],
    [{ additionalAllowedDomains: ['https://example.com'] }, /got 'https:\/\/example.com'/],
    [{ additionalAllowedDomains: ['api.*.example.com'] }, /got 'api\.\*\.example\.com'/],
    [{ additionalAllowedDomains: ['-bad.example.com'] }, /got '-bad\.example\.com'/],
    [{ additionalAllowedDomains: ['a..example.com'] }, /got 'a\.\.example\.com'/],
    [
      { additionalAllowedDomains: ['ok.example.com', 'bad domain.com'] },
      /additionalAllowedDomains\[1\] .* got 'bad domain.com'/,
    ],
    [
      { disableDnsFirewall: true, additionalAllowedDomains: ['ok.example.com'] },
      /additionalAllowedDomains is set but disableDnsFirewall is true/,
    ],
  ])('rejects %j', (props, message) => {
    const { stack: s } = newStack();
    expect(() => new SegmentedNetwork(s, 'Network', props)).toThrow(message);
  });

  test('DnsFirewall rejects an empty allow-list and an association priority out of range', () => {
    const { stack: s } = newStack();
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [] });
    expect(() => new DnsFirewall(s, 'A', { vpc, allowedDomains: [] })).toThrow(
      /allowedDomains must name at least one domain, got \[\]/,
    );
    expect(() => new DnsFirewall(s, 'B', { vpc, allowedDomains: ['a.example.com'], associationPriority: 100 })).toThrow(
      /associationPriority must be an integer from 101 to 9899, got 100/,
    );
  });
});

describe('SegmentedNetwork wiring', () => {
  test('admitWorkload makes the workload a member of the tier: no rule on the endpoints’ group, whatever the workloads', () => {
    const { app, stack } = newStack('Platform');
    const network = new SegmentedNetwork(stack, 'Network');
    const workloadStack = new Stack(app, 'Workload');
    const admitted = Array.from({ length: 70 }, (_, i) => {
      const sg = new ec2.SecurityGroup(workloadStack, `Sg${i}`, { vpc: network.vpc, allowAllOutbound: false });
      return network.admitWorkload(sg);
    });
    // Each admitted workload is told to carry the tier's group: without it the endpoints do not admit it.
    for (const memberOf of admitted) expect(memberOf).toEqual([network.workloadsSecurityGroup]);
    const workload = Template.fromStack(workloadStack);
    workload.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    workload.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [
        Match.objectLike({ FromPort: 443, ToPort: 443, DestinationSecurityGroupId: Match.anyValue() }),
        Match.objectLike({ FromPort: 443, ToPort: 443, DestinationPrefixListId: Match.anyValue() }),
      ],
    });
    // 70 workloads (over EC2's default of 60 inbound rules a group): still the tier's one rule.
    Template.fromStack(stack).resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
  });

  test('an imported network without a workload tier opens HTTPS to its endpoints by one rule a workload', () => {
    const { stack } = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    const endpointsSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Endpoints', 'sg-0123456789abcdef0');
    const network = SegmentedNetwork.fromVpcAttributes(stack, 'Network', {
      vpc,
      gpuSubnets: { subnets: vpc.isolatedSubnets },
      endpointsSecurityGroup,
      s3PrefixListId: 'pl-63a5400a',
    });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false });
    expect(network.admitWorkload(sg)).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0123456789abcdef0',
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] },
      FromPort: 443,
    });
  });

  test('an imported network with a workload tier makes workloads its members, adding no rule', () => {
    const { stack } = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    const tier = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Tier', 'sg-0fedcba9876543210');
    const network = SegmentedNetwork.fromVpcAttributes(stack, 'Network', {
      vpc,
      gpuSubnets: { subnets: vpc.isolatedSubnets },
      endpointsSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Endpoints', 'sg-0123456789abcdef0'),
      workloadsSecurityGroup: tier,
      s3PrefixListId: 'pl-63a5400a',
    });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false });
    expect(network.admitWorkload(sg)).toEqual([tier]);
    Template.fromStack(stack).resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('admitS3Buckets admits exactly the named buckets, for this account only', () => {
    const { stack } = newStack();
    const network = new SegmentedNetwork(stack, 'Network', { interfaceEndpoints: PlatformEndpoint.BASELINE });
    const bucket = new s3.Bucket(stack, 'B');
    network.admitS3Buckets(bucket);
    const gateway = resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::EC2::VPCEndpoint').find(
      ([, e]) => e.Properties!.VpcEndpointType === 'Gateway',
    )!;
    const allow = gateway[1].Properties!.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(allow).toEqual([
      expect.objectContaining({
        Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/^B/), 'Arn'] }, expect.anything()],
        Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
  });

  test('creates only the interface endpoints asked for, and scopes KMS to the given keys', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'K');
    new SegmentedNetwork(stack, 'Network', { interfaceEndpoints: [PlatformEndpoint.KMS], kmsEndpointKeys: [key] });
    const endpoints = resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::EC2::VPCEndpoint').filter(
      ([, e]) => e.Properties!.VpcEndpointType === 'Interface',
    );
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0][1].Properties!.PolicyDocument.Statement[0].Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^K/), 'Arn'],
    });
  });
});

describe('SegmentedNetwork openInternetEgress (negative control)', () => {
  test('opens an egress tier only when asked, tags it, warns, and the nag packs see the route', () => {
    const { stack } = newStack();
    new SegmentedNetwork(stack, 'Network', { openInternetEgress: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP']) {
      template.allResourcesProperties(type, {
        Tags: Match.arrayWith([{ Key: EGRESS_TIER_TAG.key, Value: EGRESS_TIER_TAG.value }]),
      });
    }
    Annotations.fromStack(stack).hasWarning('/Test/Network', Match.stringLikeRegexp('opens a path out of the VPC'));
    const rules = nagFindings(stack).map((f) => f.rule);
    expect(rules).toContain('NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW');
  });

  test('without it, the same nag rule is silent', () => {
    const { stack } = newStack();
    new SegmentedNetwork(stack, 'Network');
    expect(nagFindings(stack).map((f) => f.rule)).not.toContain('NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW');
  });
});

describe('SegmentedNetwork rejects bad input at synth', () => {
  test.each([
    [{ cidr: '10.40.0.0' }, /cidr must be an IPv4 CIDR such as '10.40.0.0\/16', got '10.40.0.0'/],
    [{ cidr: '10.300.0.0/16' }, /cidr must be an IPv4 CIDR/],
    [{ cidr: '10.0.0.0/8' }, /cidr prefix length must be from \/16 to \/22, got '10.0.0.0\/8'/],
    [{ maxAzs: 1 }, /maxAzs must be an integer from 2 to 6, got 1/],
    [{ maxAzs: 0 }, /maxAzs must be an integer from 2 to 6, got 0/],
    [{ availabilityZones: ['us-east-1a'] }, /availabilityZones must list at least 2 zones/],
    [{ availabilityZones: ['a', 'b'], maxAzs: 2 }, /set availabilityZones or maxAzs, not both/],
    [{ gpuTierCidrMask: 15 }, /gpuTierCidrMask must be an integer from 17 to 28, got 15/],
    [
      { cidr: '10.40.0.0/20', gpuTierCidrMask: 21 },
      /the tiers need .* addresses across 2 zones .* but cidr '10.40.0.0\/20' holds 4096/,
    ],
    // Fits by a plain sum (62,208 of 65,536) but not as CDK aligns subnets (a /18 must start on a /18 boundary).
    [
      { maxAzs: 3, gpuTierCidrMask: 20, endpointsTierCidrMask: 18, dataTierCidrMask: 24 },
      /the tiers need 66304 addresses across 3 zones .* but cidr '10.40.0.0\/16' holds 65536/,
    ],
    [{ s3PrefixListId: 'prefix-1' }, /s3PrefixListId must look like 'pl-63a5400a', got 'prefix-1'/],
  ])('%j', (props, message) => {
    const { stack } = newStack();
    expect(() => new SegmentedNetwork(stack, 'Network', props)).toThrow(message);
  });
});

describe('SegmentedNetwork S3 prefix list', () => {
  const HTTPS_ONLY = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443 };

  /** A network and one admitted workload security group in the same stack, with the template. */
  function admitted(props: { s3PrefixListId?: string } = {}) {
    const { stack } = newStack();
    const network = new SegmentedNetwork(stack, 'Network', props);
    const sg = new ec2.SecurityGroup(stack, 'Workload', { vpc: network.vpc, allowAllOutbound: false });
    network.admitWorkload(sg);
    const json = Template.fromStack(stack).toJSON();
    const egress =
      json.Resources[stack.getLogicalId(sg.node.defaultChild as ec2.CfnSecurityGroup)].Properties.SecurityGroupEgress;
    return { stack, network, json, egress };
  }

  describe('by default: looked up when the stack deploys', () => {
    let fixture: ReturnType<typeof admitted>;
    beforeAll(() => {
      fixture = admitted();
    });

    test('a workload reaches only the endpoints’ security group and the looked-up prefix list, on HTTPS, inline', () => {
      const { json, egress, stack, network } = fixture;
      const lookup = resourcesOfType(json, 'Custom::AWS');
      expect(lookup).toHaveLength(1);
      expect(egress).toEqual([
        {
          ...HTTPS_ONLY,
          Description: 'HTTPS to the interface endpoints',
          DestinationSecurityGroupId: {
            'Fn::GetAtt': [
              stack.getLogicalId(network.endpointsSecurityGroup.node.defaultChild as ec2.CfnSecurityGroup),
              'GroupId',
            ],
          },
        },
        {
          ...HTTPS_ONLY,
          Description: 'HTTPS to S3 through the gateway endpoint',
          DestinationPrefixListId: { 'Fn::GetAtt': [lookup[0][0], 'PrefixLists.0.PrefixListId'] },
        },
      ]);
      // Inline rules only: the group is never created with EC2's default allow-all egress.
      expect(resourcesOfType(json, 'AWS::EC2::SecurityGroupEgress')).toEqual([]);
    });

    test('no security group sends anything to 0.0.0.0/0 or ::/0', () => {
      for (const [, sg] of resourcesOfType(fixture.json, 'AWS::EC2::SecurityGroup')) {
        for (const rule of sg.Properties.SecurityGroupEgress ?? []) {
          expect(rule.CidrIp).not.toBe('0.0.0.0/0');
          expect(rule.CidrIpv6).not.toBe('::/0');
        }
      }
    });

    test('the lookup reads the region’s S3 list by name, read-only, with no delete and no SDK install', () => {
      const [[, lookup]] = resourcesOfType(fixture.json, 'Custom::AWS');
      const create = JSON.parse(
        fixture.stack
          .resolve(lookup.Properties.Create)
          ['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : '<REGION>'))
          .join(''),
      );
      expect(create).toEqual({
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.<REGION>.s3'] }] },
        physicalResourceId: { responsePath: 'PrefixLists.0.PrefixListId' },
        outputPaths: ['PrefixLists.0.PrefixListId'],
      });
      expect(lookup.Properties.Update).toEqual(lookup.Properties.Create);
      // Nothing is created, so nothing is deleted: a failed create or a retry has nothing to undo.
      expect(lookup.Properties.Delete).toBeUndefined();
      expect(lookup.Properties.InstallLatestAwsSdk).toBe(false);
    });

    test('its function runs outside the VPC with a role that may only describe prefix lists and write its log group', () => {
      const { json } = fixture;
      const [[, fn]] = resourcesOfType(json, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('AWS679f53fac'));
      expect(fn.Properties.VpcConfig).toBeUndefined();
      const [roleId] = fn.Properties.Role['Fn::GetAtt'];
      const role = json.Resources[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'lambda.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        }),
      ]);
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const policies = resourcesOfType(json, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
        JSON.stringify(p.Properties.Roles ?? []).includes(roleId),
      );
      expect(policies).toHaveLength(1);
      expect(policies[0][1].Properties.PolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Action: 'ec2:DescribeManagedPrefixLists', Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] },
        },
      ]);
      const logGroup = json.Resources[fn.Properties.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Properties.KmsKeyId).toBeDefined();
      expect(resourcesOfType(json, 'AWS::IAM::Policy')).toEqual([]);
    });

    test('all five nag packs: no unacknowledged finding', () => {
      expect(describeFindings(nagFindings(fixture.stack))).toBe('');
    });
  });

  describe('with s3PrefixListId', () => {
    test('a workload reaches the given list, inline, and nothing is looked up', () => {
      const { json, egress } = admitted({ s3PrefixListId: 'pl-6da54004' });
      expect(egress).toEqual([
        expect.objectContaining({ ...HTTPS_ONLY, DestinationSecurityGroupId: expect.anything() }),
        expect.objectContaining({ ...HTTPS_ONLY, DestinationPrefixListId: 'pl-6da54004' }),
      ]);
      expect(resourcesOfType(json, 'Custom::AWS')).toEqual([]);
      expect(resourcesOfType(json, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('AWS679f53fac'))).toEqual(
        [],
      );
      expect(resourcesOfType(json, 'AWS::EC2::SecurityGroupEgress')).toEqual([]);
    });
  });
});
