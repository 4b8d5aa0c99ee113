import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { vectorIndexPattern, VectorStore, VectorStoreProps } from '../../../constructs/genai/vector-store';
import { WORKLOAD_INDEX_PERMISSIONS } from '../../../constructs/genai/vector-store-perms';
import { WorkloadIdentity } from '../../../constructs/identity/workload-identity';
import { WorkloadPrincipal } from '../../../constructs/identity/workload-principal';
import { PlatformKey } from '../../../constructs/keys/platform-key';
import { PlatformEndpoint } from '../../../constructs/network/platform-endpoint';
import { SegmentedNetwork, SubnetTier } from '../../../constructs/network/segmented-network';
import { nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';

/**
 * A platform stack (segmented network, data key, vector store) and a workload stack with two
 * workloads, A and B, each with its own role and security group.
 */
function platform(props: Partial<VectorStoreProps> = {}, app: App = newApp()) {
  const platformStack = new Stack(app, 'Platform');
  const network = new SegmentedNetwork(platformStack, 'Network', {
    s3PrefixListId: 'pl-12345678',
    interfaceEndpoints: PlatformEndpoint.BASELINE,
  });
  const key = new PlatformKey(platformStack, 'DataKey');
  const store = new VectorStore(platformStack, 'VectorStore', {
    collectionName: 'ztai-rag',
    encryptionKey: key,
    vpc: network.vpc,
    subnets: network.tierSubnets(SubnetTier.DATA),
    ...props,
  });
  const workloads = new Stack(app, 'Workloads');
  const workload = (name: string) => {
    const identity = new WorkloadIdentity(workloads, `Identity-${name}`, {
      workloadName: name,
      runsAs: WorkloadPrincipal.LAMBDA,
    });
    const securityGroup = new ec2.SecurityGroup(workloads, `Sg-${name}`, {
      vpc: network.vpc,
      allowAllOutbound: false,
    });
    return { identity, securityGroup };
  };
  return { app, platformStack, network, key, store, workloads, a: workload('wl-a'), b: workload('wl-b') };
}

/** A CloudFormation string value (literal or Fn::Join) as text, references written `<<Ref:Id>>` / `<<GetAtt:Id.Attr>>`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(text).join(v['Fn::Join'][0]);
  if (v.Ref) return `<<Ref:${v.Ref}>>`;
  if (v['Fn::GetAtt']) return `<<GetAtt:${(v['Fn::GetAtt'] as string[]).join('.')}>>`;
  if (v['Fn::GetStackOutput']) return `<<Output:${v['Fn::GetStackOutput'].OutputName}>>`;
  return `<<${JSON.stringify(v)}>>`;
}

function securityPolicy(template: Template, type: 'encryption' | 'network'): any {
  const found = template.findResources('AWS::OpenSearchServerless::SecurityPolicy', { Properties: { Type: type } });
  const [resource] = Object.values(found);
  return { ...resource, document: JSON.parse(text(resource.Properties.Policy)) };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } } | unknown): string {
  return stack.getLogicalId(construct as any);
}

describe('VectorStore', () => {
  describe('encryption', () => {
    test('the encryption policy names the platform customer key, never an AWS owned key, for this collection only', () => {
      const { platformStack, key } = platform();
      const policy = securityPolicy(Template.fromStack(platformStack), 'encryption');
      expect(policy.Properties.Name).toBe('ztai-rag-enc');
      expect(policy.document).toEqual({
        Rules: [{ ResourceType: 'collection', Resource: ['collection/ztai-rag'] }],
        AWSOwnedKey: false,
        KmsARN: `<<GetAtt:${logicalId(platformStack, key.key.node.defaultChild)}.Arn>>`,
      });
    });

    test('the key policy lets OpenSearch Serverless describe the key and create grants for AWS resources only, through aoss', () => {
      const { platformStack, key } = platform();
      const statements =
        Template.fromStack(platformStack).toJSON().Resources[logicalId(platformStack, key.key.node.defaultChild)]
          .Properties.KeyPolicy.Statement;
      const viaAoss = {
        'kms:CallerAccount': { Ref: 'AWS::AccountId' },
        'kms:ViaService': { 'Fn::Join': ['', ['aoss.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
      };
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Sid: 'VectorStoreDescribeThroughAoss',
            Action: 'kms:DescribeKey',
            Condition: { StringEquals: viaAoss },
          }),
          expect.objectContaining({
            Sid: 'VectorStoreGrantsThroughAoss',
            Action: 'kms:CreateGrant',
            Condition: { StringEquals: viaAoss, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          }),
        ]),
      );
    });

    test('an imported key is used as is, with a warning naming what its policy must allow', () => {
      const app = newApp();
      const stack = new Stack(app, 'S');
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      });
      const store = new VectorStore(stack, 'Store', {
        collectionName: 'imported-key',
        encryptionKey: kms.Key.fromKeyArn(
          stack,
          'Key',
          'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        ),
        vpc,
        subnets: { subnetGroupName: 'data' },
      });
      Annotations.fromStack(stack).hasWarning(
        `/${store.node.path}`,
        Match.stringLikeRegexp('ztai:vector-store-key-policy'),
      );
    });
  });

  describe('network', () => {
    test('no public access: AllowFromPublic false, the collection reachable only through its VPC endpoint, no dashboards', () => {
      const { platformStack, store } = platform();
      const policy = securityPolicy(Template.fromStack(platformStack), 'network');
      expect(policy.Properties.Name).toBe('ztai-rag-net');
      expect(policy.document).toEqual([
        {
          Description: expect.any(String),
          Rules: [{ ResourceType: 'collection', Resource: ['collection/ztai-rag'] }],
          AllowFromPublic: false,
          SourceVPCEs: [`<<Ref:${logicalId(platformStack, store.vpcEndpoint)}>>`],
        },
      ]);
    });

    test('the VPC endpoint is in the data tier subnets, behind a security group with no ingress and no egress of its own', () => {
      const { platformStack, network, store } = platform();
      const template = Template.fromStack(platformStack);
      const dataSubnets = network.vpc.selectSubnets({ subnetGroupName: SubnetTier.DATA }).subnets;
      template.hasResourceProperties('AWS::OpenSearchServerless::VpcEndpoint', {
        Name: 'ztai-rag-vpce',
        VpcId: { Ref: logicalId(platformStack, network.vpc.node.defaultChild) },
        SubnetIds: dataSubnets.map((s) => ({ Ref: logicalId(platformStack, s.node.defaultChild) })),
        SecurityGroupIds: [
          { 'Fn::GetAtt': [logicalId(platformStack, store.securityGroup.node.defaultChild), 'GroupId'] },
        ],
      });
      const sg = template.toJSON().Resources[logicalId(platformStack, store.securityGroup.node.defaultChild)];
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
      // allowAllOutbound false: the CDK's placeholder rule that matches no traffic.
      expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    });

    test('the endpoint admits HTTPS from the clients group only: one ingress rule, whatever the number of workloads', () => {
      const { platformStack, store } = platform();
      const template = Template.fromStack(platformStack);
      const storeSg = logicalId(platformStack, store.securityGroup.node.defaultChild);
      const clientsSg = logicalId(platformStack, store.clientsSecurityGroup.node.defaultChild);
      const onStore = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) =>
        JSON.stringify(r.Properties.GroupId).includes(storeSg),
      );
      expect(onStore.map((r) => r.Properties)).toEqual([
        expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          GroupId: { 'Fn::GetAtt': [storeSg, 'GroupId'] },
          SourceSecurityGroupId: { 'Fn::GetAtt': [clientsSg, 'GroupId'] },
        }),
      ]);
      // The clients group: no ingress; egress HTTPS to the endpoint's group and nothing else.
      const clients = template.toJSON().Resources[clientsSg];
      expect(clients.Properties.SecurityGroupIngress).toBeUndefined();
      const egress = [
        ...(clients.Properties.SecurityGroupEgress ?? []),
        ...Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
          .map((r) => r.Properties)
          .filter((p) => JSON.stringify(p.GroupId).includes(clientsSg)),
      ];
      expect(egress).toEqual([
        expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          DestinationSecurityGroupId: { 'Fn::GetAtt': [storeSg, 'GroupId'] },
        }),
      ]);
    });

    test('admitWorkload returns the clients group for the workload to carry, and adds no rule anywhere', () => {
      const { platformStack, workloads, store, a, b } = platform();
      const before = Template.fromStack(platformStack).toJSON();
      expect(store.admitWorkload(a.securityGroup)).toEqual([store.clientsSecurityGroup]);
      expect(store.admitWorkload(b.securityGroup)).toEqual([store.clientsSecurityGroup]);
      expect(Template.fromStack(platformStack).toJSON()).toEqual(before);
      const wl = Template.fromStack(workloads);
      wl.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
      wl.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
    });

    test('allowBedrockKnowledgeBases adds bedrock.amazonaws.com as a source service, still never public, with a warning', () => {
      const { platformStack, store } = platform({ allowBedrockKnowledgeBases: true });
      const policy = securityPolicy(Template.fromStack(platformStack), 'network');
      expect(policy.document).toEqual([
        expect.objectContaining({
          AllowFromPublic: false,
          SourceVPCEs: [`<<Ref:${logicalId(platformStack, store.vpcEndpoint)}>>`],
          SourceServices: ['bedrock.amazonaws.com'],
        }),
      ]);
      Annotations.fromStack(platformStack).hasWarning(
        `/${store.node.path}`,
        Match.stringLikeRegexp('ztai:vector-store-bedrock-source'),
      );
    });

    test('negative control: without the option there is no source service and no warning', () => {
      const { platformStack } = platform();
      expect(securityPolicy(Template.fromStack(platformStack), 'network').document[0].SourceServices).toBeUndefined();
      expect(
        Annotations.fromStack(platformStack).findWarning('*', Match.stringLikeRegexp('ztai:vector-store')),
      ).toEqual([]);
    });
  });

  describe('collection', () => {
    test('a VECTORSEARCH collection with standby replicas, retained, created after both policies', () => {
      const { platformStack, store } = platform();
      const template = Template.fromStack(platformStack);
      template.hasResource('AWS::OpenSearchServerless::Collection', {
        Properties: { Name: 'ztai-rag', Type: 'VECTORSEARCH', StandbyReplicas: 'ENABLED' },
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        DependsOn: Match.arrayWith([
          logicalId(platformStack, store.encryptionPolicy),
          logicalId(platformStack, store.networkPolicy),
        ]),
      });
      for (const type of ['encryption', 'network'] as const) {
        expect(securityPolicy(template, type).DeletionPolicy).toBe('RetainExceptOnCreate');
      }
    });

    test('disableStandbyReplicas turns them off, with a warning', () => {
      const { platformStack, store } = platform({ disableStandbyReplicas: true });
      Template.fromStack(platformStack).hasResourceProperties('AWS::OpenSearchServerless::Collection', {
        StandbyReplicas: 'DISABLED',
      });
      Annotations.fromStack(platformStack).hasWarning(
        `/${store.node.path}`,
        Match.stringLikeRegexp('ztai:vector-store-no-standby-replicas'),
      );
    });
  });

  describe('grantIndex', () => {
    test("A's identity policy allows aoss:APIAccessAll on the collection only; B, not granted, has no aoss statement", () => {
      const { workloads, store, a, b } = platform();
      store.grantIndex(a.identity);
      const policies = Template.fromStack(workloads).findResources('AWS::IAM::ManagedPolicy');
      const aossStatements = Object.entries(policies).flatMap(([id, p]) =>
        (p.Properties.PolicyDocument.Statement as any[])
          .filter((s) => JSON.stringify(s.Action).includes('aoss:'))
          .map((s) => ({ id, s })),
      );
      expect(aossStatements).toHaveLength(1);
      expect(aossStatements[0].id).toBe(
        logicalId(workloads, (a.identity.grantPrincipal as any).policy.node.defaultChild),
      );
      expect(aossStatements[0].s).toEqual({
        Effect: 'Allow',
        Action: 'aoss:APIAccessAll',
        Resource: {
          'Fn::GetStackOutput': expect.objectContaining({
            StackName: 'Platform',
            OutputName: expect.stringMatching(/VectorStore.*Arn/),
          }),
        },
      });
      expect(b.identity.node.tryFindChild('VectorIndexAccess')).toBeUndefined();
    });

    test("the data-access policy (evaluated by OpenSearch Serverless, not IAM) names only A's role, on A's index pattern only", () => {
      const { workloads, store, a, b } = platform();
      const accessA = store.grantIndex(a.identity);
      const accessB = store.grantIndex(b.identity);
      expect(accessA.rules).toEqual([
        {
          description: expect.any(String),
          principalArn: a.identity.role.roleArn,
          indexResource: 'index/ztai-rag/wl-a_*',
          permissions: WORKLOAD_INDEX_PERMISSIONS,
        },
      ]);
      const template = Template.fromStack(workloads);
      const policyA = template.toJSON().Resources[logicalId(workloads, accessA.policy)];
      expect(policyA.Properties).toMatchObject({ Name: 'ztai-rag-wl-a', Type: 'data' });
      const roleA = `<<GetAtt:${logicalId(workloads, a.identity.role.node.defaultChild)}.Arn>>`;
      const roleB = `<<GetAtt:${logicalId(workloads, b.identity.role.node.defaultChild)}.Arn>>`;
      expect(JSON.parse(text(policyA.Properties.Policy))).toEqual([
        {
          Description: expect.any(String),
          Rules: [
            { ResourceType: 'index', Resource: ['index/ztai-rag/wl-a_*'], Permission: WORKLOAD_INDEX_PERMISSIONS },
          ],
          Principal: [roleA],
        },
      ]);
      const policyB = JSON.parse(
        text(template.toJSON().Resources[logicalId(workloads, accessB.policy)].Properties.Policy),
      );
      expect(JSON.stringify(policyB)).not.toContain(roleA);
      expect(policyB[0].Principal).toEqual([roleB]);
      expect(policyB[0].Rules[0].Resource).toEqual(['index/ztai-rag/wl-b_*']);
      // No collection-level permission for either.
      expect(JSON.stringify([policyA, policyB])).not.toContain('"ResourceType":"collection"');
    });

    test("one workload's pattern never covers another's indexes: '_' cannot occur in a workload name", () => {
      const pattern = (name: string) => new RegExp(`^${vectorIndexPattern(name).replace('*', '.*')}$`);
      expect(pattern('a').test('a_docs')).toBe(true);
      expect(pattern('a').test('a-b_kb')).toBe(false);
      expect(pattern('a-b').test('a_kb')).toBe(false);
    });

    test('a data-access policy name longer than 32 characters fails at synth, naming the workload and the length', () => {
      const { store, workloads } = platform({ collectionName: 'a-very-long-collection-name' });
      const identity = new WorkloadIdentity(workloads, 'Long', {
        workloadName: 'support-assistant',
        runsAs: WorkloadPrincipal.LAMBDA,
      });
      expect(() => store.grantIndex(identity)).toThrow(
        /data-access policy name of workload 'support-assistant' must be 3-32 .*got 'a-very-long-collection-name-support-assistant' \(45 characters\)/,
      );
      expect(() => store.grantIndex(identity, { accessPolicyName: 'rag-support' })).not.toThrow();
    });

    test('granting a workload twice fails', () => {
      const { store, a } = platform();
      store.grantIndex(a.identity);
      expect(() => store.grantIndex(a.identity)).toThrow(/workload 'wl-a' already has a data-access policy/);
    });
  });

  describe('bad input', () => {
    test.each([
      ['a-collection-name-of-28-char', 28],
      ['a'.repeat(33), 33],
    ])('collectionName %s (%i characters) is too long', (collectionName, length) => {
      expect(() => platform({ collectionName })).toThrow(
        new RegExp(`collectionName must be 3-27 .*got '${collectionName}' \\(${length} characters\\)`),
      );
    });

    test.each(['Upper', 'ab', '1abc', 'with_underscore'])(
      'collectionName %s is not a collection name',
      (collectionName) => {
        expect(() => platform({ collectionName })).toThrow(/collectionName must be 3-27 lower-case letters/);
      },
    );

    test('public subnets are refused', () => {
      const app = newApp();
      const stack = new Stack(app, 'S');
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }],
      });
      expect(
        () =>
          new VectorStore(stack, 'Store', {
            collectionName: 'public-one',
            encryptionKey: new kms.Key(stack, 'Key'),
            vpc,
            subnets: { subnetType: ec2.SubnetType.PUBLIC },
          }),
      ).toThrow(/subnets must select private or isolated subnets only, got public subnet/);
    });
  });

  describe('cdk-nag', () => {
    test('all five packs: no unacknowledged finding on the store, the grants or the data-access policies', () => {
      const { app, store, a, b } = platform({ allowBedrockKnowledgeBases: true });
      store.grantIndex(a.identity);
      store.grantIndex(b.identity);
      store.admitWorkload(a.securityGroup);
      expect(nagFindings(app)).toEqual([]);
    });

    test('negative control: a wildcard aoss grant beside them is found', () => {
      const { app, workloads, store, a } = platform();
      store.grantIndex(a.identity);
      new iam.Policy(workloads, 'Wildcard', {
        roles: [a.identity.role],
        statements: [new iam.PolicyStatement({ actions: ['aoss:*'], resources: ['*'] })],
      });
      expect(nagFindings(app).filter((f) => f.path.includes('Wildcard')).length).toBeGreaterThan(0);
    });
  });
});
