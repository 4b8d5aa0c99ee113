import { CfnParameter, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { WorkloadIdentity, WorkloadPrincipal } from '../../../constructs';
import { ManagedPolicyPrincipal } from '../../../constructs/identity/managed-policy-principal';
import {
  GpuModelEndpoint,
  GpuModelEndpointProps,
  ModelImage,
  SAGEMAKER_EXECUTION_ROLE_PATH,
} from '../../../constructs/inference';
import { describeFindings, isAcknowledged, nagFindings } from '../../helpers/nag';
import { DIGEST, InferenceFixture, inferenceFixture, logicalIdOf, managedPolicyStatements } from './fixtures';

/** Props of a secure endpoint of the fixture's `fraud` workload, with overrides. */
function endpointProps(f: InferenceFixture, overrides: Partial<GpuModelEndpointProps> = {}): GpuModelEndpointProps {
  return {
    workload: f.sagemakerIdentity,
    network: f.network,
    modelsBucket: f.modelsBucket,
    approvedModel: { name: 'fraud-model', version: '1' },
    image: ModelImage.fromRepository(f.repository, DIGEST),
    instanceType: 'ml.g5.xlarge',
    dataCaptureBucket: f.dataBucket,
    logEncryptionKey: f.keys.logs.key,
    ...overrides,
  };
}

const ref = (template: Template, type: string, prefix: string) => ({ Ref: logicalIdOf(template, type, prefix) });
const arnOf = (template: Template, type: string, prefix: string) => ({
  'Fn::GetAtt': [logicalIdOf(template, type, prefix), 'Arn'],
});

describe('GpuModelEndpoint with only the required props', () => {
  let f: InferenceFixture;
  let endpoint: GpuModelEndpoint;
  let template: Template;
  let caller: iam.Role;

  beforeAll(() => {
    f = inferenceFixture();
    endpoint = new GpuModelEndpoint(f.stack, 'Endpoint', endpointProps(f));
    caller = new iam.Role(f.stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(new ManagedPolicyPrincipal(f.stack, caller, 'CallerPolicy'));
    template = Template.fromStack(f.stack);
  });

  test('the model runs in the GPU-tier subnets with its own security group, the workload tier’s, and network isolation', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      VpcConfig: {
        Subnets: [
          ref(template, 'AWS::EC2::Subnet', 'NetworkgpuSubnet1'),
          ref(template, 'AWS::EC2::Subnet', 'NetworkgpuSubnet2'),
        ],
        SecurityGroupIds: [
          { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'EndpointSecurityGroup'), 'GroupId'] },
          // Membership of the workload tier is what the interface endpoints admit.
          {
            'Fn::GetAtt': [
              logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'NetworkWorkloadsSecurityGroup'),
              'GroupId',
            ],
          },
        ],
      },
    });
  });

  test("the model's execution role is the workload's own role, under the SageMaker execution-role path", () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      ExecutionRoleArn: arnOf(template, 'AWS::IAM::Role', 'Fraud'),
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Path: SAGEMAKER_EXECUTION_ROLE_PATH,
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })],
      },
    });
  });

  test("model data is the uncompressed files of one approved version, exactly the gate's layout; the image is pinned by digest", () => {
    expect(endpoint.modelDataPrefix).toBe('approved/fraud/fraud-model/1/files/');
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Mode: 'SingleModel',
        ModelDataSource: {
          S3DataSource: {
            S3Uri: {
              'Fn::Join': [
                '',
                ['s3://', ref(template, 'AWS::S3::Bucket', 'Models'), '/approved/fraud/fraud-model/1/files/'],
              ],
            },
            S3DataType: 'S3Prefix',
            CompressionType: 'None',
          },
        },
        Image: { 'Fn::Join': ['', Match.arrayWith([`@${DIGEST}`])] },
      },
    });
    // No compressed artifact: ModelDataUrl (a model.tar.gz) is not used alongside ModelDataSource.
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({ ModelDataUrl: Match.absent() }),
    });
  });

  test('the execution role can list its approved prefix (an S3Prefix source lists it) and read the objects under it', () => {
    const statements = managedPolicyStatements(template, 'Fraud');
    const models = arnOf(template, 'AWS::S3::Bucket', 'Models');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: models,
      Condition: { StringLike: { 's3:prefix': ['approved/fraud/*'] } },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', [models, '/approved/fraud/*']] },
    });
    expect(endpoint.modelDataPrefix.startsWith('approved/fraud/')).toBe(true);
  });

  test('the security group admits nothing and sends only HTTPS to the platform endpoints and S3', () => {
    const sgId = logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'EndpointSecurityGroup');
    const sg = template.findResources('AWS::EC2::SecurityGroup')[sgId];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    const ingressToSg = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r: any) =>
      JSON.stringify(r.Properties.GroupId).includes(sgId),
    );
    expect(ingressToSg).toEqual([]);
    const egress = [
      ...(sg.Properties.SecurityGroupEgress ?? []),
      ...Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
        .filter((r: any) => JSON.stringify(r.Properties.GroupId).includes(sgId))
        .map((r: any) => r.Properties),
    ];
    expect(egress).toHaveLength(2);
    for (const rule of egress) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    // Inline (never EC2's default allow-all, even briefly): the endpoints' security group and S3's prefix list.
    expect(sg.Properties.SecurityGroupEgress).toHaveLength(2);
    expect(egress.map((r: any) => Object.keys(r).find((k) => k.startsWith('Destination')))).toEqual([
      'DestinationSecurityGroupId',
      'DestinationPrefixListId',
    ]);
    expect(egress.filter((r: any) => r.CidrIp !== undefined || r.CidrIpv6 !== undefined)).toEqual([]);
    // admitWorkload made it a member of the workload tier (above), which the endpoints admit on HTTPS: no rule of its own.
    expect(
      Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r: any) =>
        JSON.stringify(r.Properties.SourceSecurityGroupId).includes(sgId),
      ),
    ).toEqual([]);
  });

  test('ml.g5 has local NVMe storage: no KmsKeyId (SageMaker refuses it), acknowledged with the reason', () => {
    expect(endpoint.storageEncryption).toBe('instance-store-hardware');
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
    const config = f.stack.node.findChild('Endpoint').node.findChild('EndpointConfig');
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
      expect(isAcknowledged(config, `${pack}::${pack}-SageMakerEndpointConfigurationKMSKeyConfigured`)).toBe(true);
    }
    const acks = config.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(JSON.stringify(acks)).toContain('local NVMe instance storage');
  });

  test('two instances by default, on the given GPU type', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          InstanceType: 'ml.g5.xlarge',
          InitialInstanceCount: 2,
          InitialVariantWeight: 1,
          ModelName: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::SageMaker::Model', 'Endpoint'), 'ModelName'] },
        },
      ],
    });
  });

  test("requests and responses are captured to the workload's prefix, encrypted with KmsKeyId", () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        DestinationS3Uri: {
          'Fn::Join': ['', ['s3://', ref(template, 'AWS::S3::Bucket', 'Data'), '/workloads/fraud/data-capture/']],
        },
        KmsKeyId: arnOf(template, 'AWS::KMS::Key', 'KeysData'),
      },
    });
  });

  test('the endpoint scales on invocations per instance, between 2 and 4, with the service-linked role', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 2,
      MaxCapacity: 4,
      RoleARN: Match.absent(),
      ResourceId: {
        'Fn::Join': [
          '',
          [
            'endpoint/',
            { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::SageMaker::Endpoint', 'Endpoint'), 'EndpointName'] },
            '/variant/AllTraffic',
          ],
        ],
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 70,
      },
    });
  });

  test('container logs go to an encrypted log group of its own, retained except when its own create rolls back', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: `/aws/sagemaker/Endpoints/${endpoint.endpointName}`,
        KmsKeyId: arnOf(template, 'AWS::KMS::Key', 'KeysLogs'),
        RetentionInDays: 365,
      },
      // A fixed name: a rolled-back first deploy must not leave it behind to block the retry.
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: endpoint.endpointName });
    expect(endpoint.endpointName).toMatch(/^[a-z0-9-]{1,63}$/);
  });

  test('the execution role reads only its approved prefix, writes only its capture prefix, and pulls only its image', () => {
    const statements = managedPolicyStatements(template, 'Fraud');
    const models = arnOf(template, 'AWS::S3::Bucket', 'Models');
    const data = arnOf(template, 'AWS::S3::Bucket', 'Data');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', [models, '/approved/fraud/*']] },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
      Resource: { 'Fn::Join': ['', [data, '/workloads/fraud/data-capture/*']] },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: arnOf(template, 'AWS::ECR::Repository', 'Images'),
    });
    const objectResources = statements
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')))
      .map((s) => JSON.stringify(s.Resource));
    for (const r of objectResources) expect(r).toMatch(/approved\/fraud\/|data-capture\/|"Arn"\]\}$/);
  });

  test('network-interface management is narrowed to the platform VPC; metrics to the SageMaker namespaces', () => {
    const statements = managedPolicyStatements(template, 'Fraud');
    const eni = statements.find((s) => [s.Action].flat().includes('ec2:CreateNetworkInterface'));
    expect(eni.Condition.ArnEqualsIfExists['ec2:Vpc']['Fn::Join'][1]).toContainEqual(
      ref(template, 'AWS::EC2::VPC', 'Network'),
    );
    const metrics = statements.find((s) => [s.Action].flat().includes('cloudwatch:PutMetricData'));
    expect(metrics.Condition).toEqual({ StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } });
  });

  test('the model is created after the role has its permissions', () => {
    const policyId = logicalIdOf(template, 'AWS::IAM::ManagedPolicy', 'FraudPolicy');
    template.hasResource('AWS::SageMaker::Model', { DependsOn: Match.arrayWith([policyId]) });
  });

  test('grantInvoke allows sagemaker:InvokeEndpoint on this endpoint only', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p: any) =>
      (p.Properties.Roles ?? []).some((r: any) => r.Ref === logicalIdOf(template, 'AWS::IAM::Role', 'Caller')),
    ) as any[];
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sagemaker:InvokeEndpoint',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':sagemaker:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              `:endpoint/${endpoint.endpointName}`,
            ],
          ],
        },
      },
    ]);
  });

  test('model, endpoint config and endpoint carry the workload tag', () => {
    for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint']) {
      template.hasResourceProperties(type, {
        Tags: Match.arrayWith([{ Key: 'ai-platform:workload', Value: 'fraud' }]),
      });
    }
  });

  test('no warnings, and all five nag packs are clean', () => {
    expect(Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('ztai:'))).toEqual([]);
    const findings = nagFindings(f.stack);
    expect(describeFindings(findings)).toBe('');
  });
});

describe('GpuModelEndpoint on an instance type without local storage', () => {
  test('encrypts the ML storage volumes with the models key (KmsKeyId)', () => {
    const f = inferenceFixture();
    const endpoint = new GpuModelEndpoint(f.stack, 'Endpoint', endpointProps(f, { instanceType: 'ml.inf2.xlarge' }));
    const template = Template.fromStack(f.stack);
    expect(endpoint.storageEncryption).toBe('kms');
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: arnOf(template, 'AWS::KMS::Key', 'KeysModels'),
    });
    expect(describeFindings(nagFindings(f.stack))).toBe('');
  });
});

describe('GpuModelEndpoint negative control: network isolation off', () => {
  let f: InferenceFixture;
  let template: Template;

  beforeAll(() => {
    f = inferenceFixture();
    new GpuModelEndpoint(f.stack, 'Endpoint', endpointProps(f, { disableNetworkIsolation: true }));
    template = Template.fromStack(f.stack);
  });

  test('the model is synthesized without network isolation, and a warning names what was given up', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: false });
    Annotations.fromStack(f.stack).hasWarning(
      '/Test/Endpoint',
      Match.stringLikeRegexp('ztai:endpoint-network-isolation-disabled'),
    );
  });

  test('no cdk-nag pack covers model network isolation (cdk-nag 3 has SageMaker rules only for notebooks and endpoint-config KMS)', () => {
    // The Guard rule ZTAI_ISOLATION_SAGEMAKER_MODEL_NETWORK_ISOLATION catches it: see guard.test.ts.
    expect(describeFindings(nagFindings(f.stack))).toBe('');
  });
});

describe('GpuModelEndpoint validation', () => {
  // One fixture; each case builds its endpoint under its own id (a throwing constructor leaves at most a stray scope).
  let f: InferenceFixture;
  let n = 0;
  beforeAll(() => {
    f = inferenceFixture();
  });
  const build = (overrides: Partial<GpuModelEndpointProps>) =>
    new GpuModelEndpoint(f.stack, `Case${n++}`, endpointProps(f, overrides));

  test.each([
    [
      { instanceType: 'ml.m5.xlarge' },
      /instanceType 'ml.m5.xlarge' is not of a GPU family; allowed families: g4dn.*allowCpuInstanceType/,
    ],
    [
      { instanceType: 'g5.xlarge' },
      /instanceType must be a SageMaker instance type such as 'ml.g5.xlarge', got 'g5.xlarge'/,
    ],
    [
      { instanceType: 'ml.gr6.4xlarge' },
      /instanceType 'ml.gr6.4xlarge' cannot be built: SageMaker real-time endpoints do not offer the gr6 family; of these families they offer g4dn, g5, .* \(ProductionVariantInstanceType of the SageMaker API\)/,
    ],
    [
      { instanceType: 'ml.g5.96xlarge' },
      /instanceType 'ml.g5.96xlarge' cannot be built: SageMaker real-time endpoints offer ml.g5 in sizes xlarge, .*48xlarge only/,
    ],
    [
      { instanceType: 'ml.m5.metal', allowCpuInstanceType: true },
      /instanceType 'ml.m5.metal' cannot be built: SageMaker real-time endpoints offer ml.m5 in sizes large/,
    ],
    [{ initialInstanceCount: 0 }, /initialInstanceCount must be an integer from 1 to 1000, got 0/],
    [{ minInstances: 0 }, /minInstances must be an integer from 1 to 1000, got 0/],
    [{ minInstances: 3, maxInstances: 2, initialInstanceCount: 3 }, /maxInstances \(2\) must be >= minInstances \(3\)/],
    [{ initialInstanceCount: 5, maxInstances: 4 }, /maxInstances \(4\) must be >= minInstances \(5\)/],
    [
      { initialInstanceCount: 2, minInstances: 3, maxInstances: 6 },
      /initialInstanceCount \(2\) must be from minInstances \(3\) to maxInstances \(6\)/,
    ],
    [{ targetInvocationsPerInstance: 0 }, /targetInvocationsPerInstance must be a number > 0, got 0/],
    [{ dataCaptureSamplingPercentage: 0 }, /dataCaptureSamplingPercentage must be an integer from 1 to 100, got 0/],
    [
      { approvedModel: { name: '..', version: '1' } },
      /approvedModel.name: must be 1-128 characters of letters, digits, ".", "_", "\+" or "-", starting with a letter or digit .*got '..'/,
    ],
    [
      { approvedModel: { name: 'fraud-model', version: '1/../../other' } },
      /approvedModel.version: must be 1-128 characters .*got '1\/..\/..\/other'/,
    ],
    [{ approvedModel: { name: 'fraud-model', version: '' } }, /approvedModel.version: must be .*got ''/],
    [{ approvedModel: { name: '*', version: '1' } }, /approvedModel.name: must be .*got '\*'/],
    [{ approvedModel: { name: '-model', version: '1' } }, /approvedModel.name: must be .*got '-model'/],
    [{ approvedModel: { name: 'fraud-model', version: 'v 1' } }, /approvedModel.version: must be .*got 'v 1'/],
    [{ approvedModel: { name: 'x'.repeat(129), version: '1' } }, /approvedModel.name: must be 1-128 characters/],
    [{ approvedModel: undefined }, /approvedModel.name: must be a string .*got undefined/],
    [
      { dataCapturePrefix: 'workloads/other/capture/' },
      /dataCapturePrefix must be a prefix ending in '\/' under the workload's data prefix 'workloads\/fraud\/'/,
    ],
    [
      { endpointName: 'Fraud_Endpoint' },
      /endpointName must be 1-63 lower-case letters, digits and '-'.*got 'Fraud_Endpoint'/,
    ],
  ])('%j is refused at synth', (overrides, message) => {
    expect(() => build(overrides as Partial<GpuModelEndpointProps>)).toThrow(message);
  });

  test('an image URI with a tag only is refused', () => {
    expect(() => ModelImage.fromImageUri('111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud:latest')).toThrow(
      /imageUri must be a private ECR image pinned by digest, .* got '111122223333.dkr.ecr.eu-west-1.amazonaws.com\/models\/fraud:latest'/,
    );
    expect(() => ModelImage.fromImageUri('docker.io/library/fraud@sha256:' + 'a'.repeat(64))).toThrow(
      /pinned by digest/,
    );
    expect(() => ModelImage.fromRepository(f.repository, 'latest')).toThrow(
      /digest must be 'sha256:' followed by 64 lower-case hex digits .* got 'latest'/,
    );
  });

  test('an image URI pinned by digest is accepted and its repository (only) is granted', () => {
    const uri = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud@${DIGEST}`;
    const id = new WorkloadIdentity(f.stack, 'UriWorkload', {
      workloadName: 'uri',
      runsAs: WorkloadPrincipal.SAGEMAKER,
    });
    new GpuModelEndpoint(f.stack, 'UriEndpoint', {
      ...endpointProps(f),
      workload: id,
      image: ModelImage.fromImageUri(uri),
    });
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: Match.objectLike({ Image: uri }) });
    expect(managedPolicyStatements(template, 'UriWorkload')).toContainEqual({
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-west-1:111122223333:repository/models/fraud']],
      },
    });
  });

  test('a workload that does not run as SageMaker is refused', () => {
    expect(() => build({ workload: f.ec2Identity })).toThrow(
      /the execution role of 'batch' must trust sagemaker.amazonaws.com/,
    );
  });

  test('a role already under another path is refused', () => {
    const id = new WorkloadIdentity(f.stack, 'Pathed', { workloadName: 'pathed', runsAs: WorkloadPrincipal.SAGEMAKER });
    (id.role.node.defaultChild as iam.CfnRole).path = '/elsewhere/';
    expect(() => build({ workload: id })).toThrow(
      /must be under the path '\/ztai\/sagemaker-execution\/'.*got '\/elsewhere\/'/,
    );
  });

  test('a CPU type with the explicit opt-out synthesizes, with a warning', () => {
    build({ instanceType: 'ml.m5.xlarge', allowCpuInstanceType: true });
    Annotations.fromStack(f.stack).hasWarning(
      `/Test/Case${n - 1}`,
      Match.stringLikeRegexp(
        "ztai:endpoint-cpu-instance-type|allowCpuInstanceType is true and instanceType 'ml.m5.xlarge'",
      ),
    );
  });

  test('one instance synthesizes, with a warning about redundancy', () => {
    build({ initialInstanceCount: 1 });
    Annotations.fromStack(f.stack).hasWarning(
      `/Test/Case${n - 1}`,
      Match.stringLikeRegexp('ztai:endpoint-single-instance'),
    );
  });

  test('an instance type from a stack parameter is checked at deploy time, and gets KmsKeyId (fail closed)', () => {
    const type = new CfnParameter(f.stack, 'InstanceType', { type: 'String' }).valueAsString;
    const endpoint = build({ instanceType: type });
    expect(endpoint.storageEncryption).toBe('kms');
    expect(f.stack.resolve(endpoint.endpointConfig.kmsKeyId)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^KeysModels/), 'Arn'],
    });
  });
});
