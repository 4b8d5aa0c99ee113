import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
// The root index by its file (`constructs/` is also a package directory).
import {
  EncryptedBucket,
  IWorkloadIdentity,
  SegmentedNetwork,
  SubnetTier,
  WorkloadIdentity,
  WorkloadPrincipal,
} from '../../../constructs/index';
import {
  FleetMachineImage,
  GpuFleet,
  GpuModelEndpoint,
  GpuModelEndpointProps,
  ModelImage,
} from '../../../constructs/inference';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';
import {
  ACCOUNT,
  BUCKET,
  ENDPOINTS_SG,
  ISOLATED,
  KEY_ARN,
  LOG_KEY_ARN,
  REGION,
  ROLE_ARN,
  S3_PREFIX_LIST,
  TeamAccount,
  teamAccount,
  VPC_ID,
  warnings,
} from '../existing-account';
import { DIGEST, inferenceFixture } from './fixtures';

const IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/models/fraud@${DIGEST}`;

function endpointProps(t: TeamAccount, workload: IWorkloadIdentity): GpuModelEndpointProps {
  return {
    workload,
    network: t.network,
    modelsBucket: t.bucket,
    dataCaptureBucket: t.bucket,
    approvedModel: { name: 'fraud-model', version: '1' },
    image: ModelImage.fromImageUri(IMAGE),
    instanceType: 'ml.g5.xlarge',
    logEncryptionKey: t.logKey,
  };
}

/** Every statement of every managed policy in the template. */
function managedStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );
}

describe('GpuModelEndpoint on an imported VPC, key and bucket (a workload role of ours)', () => {
  let t: TeamAccount;
  let template: Template;

  beforeAll(() => {
    t = teamAccount();
    const workload = new WorkloadIdentity(t.stack, 'Fraud', {
      workloadName: 'fraud',
      runsAs: WorkloadPrincipal.SAGEMAKER,
    });
    new GpuModelEndpoint(t.stack, 'Endpoint', endpointProps(t, workload));
    template = Template.fromStack(t.stack);
  });

  test('nothing of the VPC, key or bucket is created', () => {
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::KMS::Key',
      'AWS::S3::Bucket',
      'AWS::S3::BucketPolicy',
    ]) {
      template.resourceCountIs(type, 0);
    }
  });

  test("the model's interfaces go in the subnets named as the GPU tier, behind a security group of its own", () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: ISOLATED, SecurityGroupIds: [{ 'Fn::GetAtt': [Match.anyValue(), 'GroupId'] }] },
      PrimaryContainer: Match.objectLike({
        Image: IMAGE,
        ModelDataSource: {
          S3DataSource: {
            S3Uri: `s3://${BUCKET}/approved/fraud/fraud-model/1/files/`,
            S3DataType: 'S3Prefix',
            CompressionType: 'None',
          },
        },
      }),
    });
  });

  test("the endpoint's security group sends HTTPS only to the existing endpoints' group and the S3 prefix list, which admits it", () => {
    const sg: any = Object.values(template.findResources('AWS::EC2::SecurityGroup'))[0];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    const egress = [
      ...(sg.Properties.SecurityGroupEgress ?? []),
      ...Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map((r: any) => r.Properties),
    ];
    expect(egress).toEqual([
      expect.objectContaining({
        DestinationSecurityGroupId: ENDPOINTS_SG,
        FromPort: 443,
        ToPort: 443,
        IpProtocol: 'tcp',
      }),
      expect.objectContaining({
        DestinationPrefixListId: S3_PREFIX_LIST,
        FromPort: 443,
        ToPort: 443,
        IpProtocol: 'tcp',
      }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: ENDPOINTS_SG,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.anyValue(), 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
    });
  });

  test('the execution role reads only its approved prefix and writes only its capture prefix of the existing bucket, with the existing key', () => {
    const statements = managedStatements(template);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${BUCKET}`,
      Condition: { StringLike: { 's3:prefix': ['approved/fraud/*'] } },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: `arn:aws:s3:::${BUCKET}/approved/fraud/*`,
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
      Resource: `arn:aws:s3:::${BUCKET}/workloads/fraud/data-capture/*`,
    });
    // Decrypt (read) and GenerateDataKey (capture) on the same key, merged into one statement.
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY_ARN }),
    );
    // Network-interface management only in the existing VPC.
    expect(statements).toContainEqual(
      expect.objectContaining({
        Condition: { ArnEqualsIfExists: { 'ec2:Vpc': `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${VPC_ID}` } },
      }),
    );
  });

  test('captured data is encrypted with the existing key; the log group with the existing log key', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: Match.objectLike({
        DestinationS3Uri: `s3://${BUCKET}/workloads/fraud/data-capture/`,
        KmsKeyId: KEY_ARN,
      }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: LOG_KEY_ARN });
  });

  test("the bucket's policy cannot be changed: a warning names the exact statements its owner must add", () => {
    const [warning] = warnings(t.stack, '/Team/Models', 'ztai:imported-bucket-policy');
    expect(warning).toContain(BUCKET);
    const statements = JSON.parse(
      warning.slice(warning.indexOf('['), warning.lastIndexOf(']', warning.indexOf('[ack:') - 1) + 1),
    );
    expect(statements.map((s: any) => s.Sid)).toEqual([
      'DenyInsecureTransport',
      'DenyUploadsNotEncryptedWithSse-Kms',
      'DenyUploadsWithAnotherKey',
      'DenyKmsUploadsThatDoNotNameTheKey',
    ]);
    expect(statements[0]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(statements[2]).toMatchObject({
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN } },
    });
  });

  test("the key's policy cannot be changed: warnings name the role, the actions and the service for each grant", () => {
    const keyWarnings = warnings(t.stack, '/Team/Models', 'ztai:imported-key-policy');
    expect(keyWarnings).toHaveLength(2); // read of the approved prefix, write of the capture prefix
    for (const w of keyWarnings) {
      expect(w).toContain(KEY_ARN);
      expect(w).toContain(`"kms:ViaService":"s3.${REGION}.amazonaws.com"`);
      expect(w).toMatch(/"AWS":\{"Fn::GetAtt":\["Fraud[0-9A-F]{8}","Arn"\]\}/);
    }
    expect(keyWarnings.join()).toContain('"Action":"kms:Decrypt"');
    expect(keyWarnings.join()).toContain('"Action":["kms:Decrypt","kms:GenerateDataKey"]');
    const [logKeyWarning] = warnings(t.stack, '/Team/Endpoint', 'ztai:imported-key-policy');
    expect(logKeyWarning).toContain(LOG_KEY_ARN);
    expect(logKeyWarning).toContain(`"Service":"logs.${REGION}.amazonaws.com"`);
    expect(logKeyWarning).toContain('kms:EncryptionContext:aws:logs:arn');
  });

  test("the VPC's isolation is its owner's: a warning says what the owner must keep", () => {
    const [warning] = warnings(t.stack, '/Team/Network', 'ztai:network-imported');
    expect(warning).toContain(VPC_ID);
    expect(warning).toContain('S3 gateway endpoint');
  });

  test('every cdk-nag pack passes', () => {
    expect(describeFindings(nagFindings(t.stack))).toBe('');
  });
});

describe('GpuModelEndpoint with an imported workload role', () => {
  test('grants go to a managed policy of ours attached to the role; the role keeps its path; a warning names its trust', () => {
    const t = teamAccount();
    const workload = WorkloadIdentity.fromRole(t.stack, 'Fraud', {
      workloadName: 'fraud',
      role: iam.Role.fromRoleArn(t.stack, 'FraudRole', ROLE_ARN),
      runsAs: WorkloadPrincipal.SAGEMAKER,
    });
    new GpuModelEndpoint(t.stack, 'Endpoint', endpointProps(t, workload));
    const template = Template.fromStack(t.stack);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['fraud-sagemaker'] });
    template.hasResourceProperties('AWS::SageMaker::Model', { ExecutionRoleArn: ROLE_ARN });
    const [trust] = warnings(t.stack, '/Team/Fraud', 'ztai:workload-role-imported');
    expect(trust).toContain('"Service":"sagemaker.amazonaws.com"');
    expect(trust).toContain('"aws:SourceAccount"');
    // The key warnings name the imported role by its ARN.
    expect(warnings(t.stack, '/Team/Models', 'ztai:imported-key-policy').join()).toContain(`"AWS":"${ROLE_ARN}"`);
    expect(describeFindings(nagFindings(t.stack))).toBe('');
  });

  test('mutable: false attaches nothing and names every statement the owner must add', () => {
    const t = teamAccount();
    const workload = WorkloadIdentity.fromRole(t.stack, 'Fraud', {
      workloadName: 'fraud',
      role: iam.Role.fromRoleArn(t.stack, 'FraudRole', ROLE_ARN, { mutable: false }),
      runsAs: WorkloadPrincipal.SAGEMAKER,
      mutable: false,
    });
    new GpuModelEndpoint(t.stack, 'Endpoint', endpointProps(t, workload));
    const template = Template.fromStack(t.stack);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const grants = warnings(t.stack, '/Team/Fraud', 'ztai:workload-role-immutable').join('\n');
    expect(grants).toContain(`arn:aws:s3:::${BUCKET}/approved/fraud/*`);
    expect(grants).toContain(`arn:aws:s3:::${BUCKET}/workloads/fraud/data-capture/*`);
    expect(grants).toContain('ecr:GetAuthorizationToken');
  });

  test('a role declared to run as another service is refused', () => {
    const t = teamAccount();
    const workload = WorkloadIdentity.fromRole(t.stack, 'Fraud', {
      workloadName: 'fraud',
      role: iam.Role.fromRoleArn(t.stack, 'FraudRole', ROLE_ARN),
      runsAs: WorkloadPrincipal.LAMBDA,
    });
    expect(() => new GpuModelEndpoint(t.stack, 'Endpoint', endpointProps(t, workload))).toThrow(
      /workload: the execution role of 'fraud' must trust sagemaker\.amazonaws\.com/,
    );
  });

  test('the workload name follows the same rule as WorkloadIdentity', () => {
    const t = teamAccount();
    expect(() =>
      WorkloadIdentity.fromRole(t.stack, 'Bad', {
        workloadName: 'Fraud_Scoring',
        role: iam.Role.fromRoleArn(t.stack, 'BadRole', ROLE_ARN),
        runsAs: WorkloadPrincipal.SAGEMAKER,
      }),
    ).toThrow(/Team\/Bad: workloadName must be 2-32 characters .* got 'Fraud_Scoring'/);
  });
});

describe('SegmentedNetwork.fromVpcAttributes validation', () => {
  const attrs = (t: TeamAccount) => ({
    vpc: t.vpc,
    gpuSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    endpointsSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(t.stack, `Sg${Math.random()}`, ENDPOINTS_SG),
  });

  test('without an S3 prefix list (or the explicit loosening) it fails, naming the field', () => {
    const t = teamAccount();
    expect(() => SegmentedNetwork.fromVpcAttributes(t.stack, 'N1', attrs(t))).toThrow(
      /Team\/N1: s3PrefixListId is required: .*allowHttpsEgressToAnyIpv4: true.*got undefined/,
    );
    expect(() =>
      SegmentedNetwork.fromVpcAttributes(t.stack, 'N2', { ...attrs(t), s3PrefixListId: 'pl-nothex' }),
    ).toThrow(/s3PrefixListId must look like 'pl-63a5400a', got 'pl-nothex'/);
    expect(() =>
      SegmentedNetwork.fromVpcAttributes(t.stack, 'N3', {
        ...attrs(t),
        s3PrefixListId: S3_PREFIX_LIST,
        allowHttpsEgressToAnyIpv4: true,
      }),
    ).toThrow(/set s3PrefixListId or allowHttpsEgressToAnyIpv4, not both/);
  });

  test('allowHttpsEgressToAnyIpv4 opens HTTPS to 0.0.0.0/0, with a warning', () => {
    const t = teamAccount();
    const network = SegmentedNetwork.fromVpcAttributes(t.stack, 'Open', {
      ...attrs(t),
      allowHttpsEgressToAnyIpv4: true,
    });
    const sg = new ec2.SecurityGroup(t.stack, 'Workload', { vpc: t.vpc, allowAllOutbound: false });
    network.admitWorkload(sg);
    Template.fromStack(t.stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: Match.arrayWith([Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443 })]),
    });
    expect(warnings(t.stack, '/Team/Open', 'ztai:network-https-egress-any-ipv4')).toHaveLength(1);
  });

  test('a GPU tier of public subnets is refused, naming the subnets', () => {
    const t = teamAccount();
    expect(() =>
      SegmentedNetwork.fromVpcAttributes(t.stack, 'Pub', {
        ...attrs(t),
        gpuSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        s3PrefixListId: S3_PREFIX_LIST,
      }),
    ).toThrow(
      /gpuSubnets must select private or isolated subnets only, got public subnet\(s\) subnet-0bbbbbbbbbbbbbbb1, subnet-0bbbbbbbbbbbbbbb2/,
    );
  });

  test('a selection that matches no subnet is refused, naming the field', () => {
    const t = teamAccount();
    expect(() =>
      SegmentedNetwork.fromVpcAttributes(t.stack, 'None', {
        ...attrs(t),
        gpuSubnets: { subnetGroupName: 'gpu' },
        s3PrefixListId: S3_PREFIX_LIST,
      }),
    ).toThrow(/gpuSubnets selects no subnets of VPC vpc-0a1b2c3d4e5f60718/);
  });

  test('a tier that was not named fails when a construct needs it, naming the attribute to set', () => {
    const t = teamAccount();
    expect(() => t.network.tierSubnets(SubnetTier.ENDPOINTS)).toThrow(
      /Team\/Network: the endpoints tier is needed but the imported network has none: set endpointsSubnets/,
    );
    expect(t.network.tierSubnets(SubnetTier.GPU)).toEqual({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
  });
});

describe('EncryptedBucket.fromBucketAttributes', () => {
  test('a bucket without a key is refused: its objects must be SSE-KMS with a customer key', () => {
    const t = teamAccount();
    expect(() =>
      EncryptedBucket.fromBucketAttributes(t.stack, 'NoKey', {
        bucket: s3.Bucket.fromBucketName(t.stack, 'B', BUCKET),
      }),
    ).toThrow(/Team\/NoKey: encryptionKey is required: .*got undefined/);
  });

  test("a key that is not the bucket's own is refused", () => {
    const t = teamAccount();
    const bucket = s3.Bucket.fromBucketAttributes(t.stack, 'B', { bucketName: BUCKET, encryptionKey: t.logKey });
    expect(() => EncryptedBucket.fromBucketAttributes(t.stack, 'Other', { bucket, encryptionKey: t.key })).toThrow(
      /encryptionKey '.*1234abcd.*' is not the key of the bucket \('.*0987dcba.*'\)/,
    );
    // The bucket's own key is used when none is given.
    expect(EncryptedBucket.fromBucketAttributes(t.stack, 'Own', { bucket }).encryptionKey).toBe(t.logKey);
  });

  test('a bucket of this app gets the statements in its own policy, and no warning', () => {
    const app = newApp();
    const stack = new Stack(app, 'Own');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const bucket = new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
    const imported = EncryptedBucket.fromBucketAttributes(stack, 'Models', { bucket });
    expect(imported.encryptionKey).toBe(key);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'DenyInsecureTransport', Effect: 'Deny' }),
          Match.objectLike({ Sid: 'DenyUploadsWithAnotherKey', Effect: 'Deny' }),
        ]),
      },
    });
    expect(warnings(stack, '*', 'ztai:imported-bucket-policy')).toEqual([]);
  });

  test('prefix grants validate the prefix as an EncryptedBucket does', () => {
    const t = teamAccount();
    const role = new iam.Role(t.stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => t.bucket.grantReadPrefix(role, 'approved/*')).toThrow(
      /Team\/Models: grantReadPrefix: prefix must be one or more path segments ending in '\/'.*got 'approved\/\*'/,
    );
  });
});

describe('GpuFleet on an imported VPC, role and volume key', () => {
  let t: ReturnType<typeof teamAccount>;
  let template: Template;

  beforeAll(() => {
    t = teamAccount();
    const workload = WorkloadIdentity.fromRole(t.stack, 'Batch', {
      workloadName: 'batch',
      role: iam.Role.fromRoleArn(t.stack, 'BatchRole', `arn:aws:iam::${ACCOUNT}:role/team/batch-ec2`),
      runsAs: WorkloadPrincipal.EC2,
    });
    new GpuFleet(t.stack, 'Fleet', {
      workload,
      network: t.network,
      instanceType: 'g5.2xlarge',
      machineImage: FleetMachineImage.fromAmiId('ami-0123456789abcdef0'),
      volumeKey: t.key,
    });
    template = Template.fromStack(t.stack);
  });

  test('instances go in the subnets named as the GPU tier, with the existing role and the existing key', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: ISOLATED });
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: ['batch-ec2'] });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['batch-ec2'] });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true, KmsKeyId: KEY_ARN }) })],
      }),
    });
    template.resourceCountIs('AWS::IAM::Role', 0);
  });

  test('the volume key and the role are named for their owners', () => {
    const [volumeKey] = warnings(t.stack, '/Team/Fleet', 'ztai:fleet-imported-volume-key');
    expect(volumeKey).toContain(KEY_ARN);
    expect(volumeKey).toContain('"Sid":"AutoScalingServiceLinkedRoleUse"');
    expect(volumeKey).toContain(
      `"aws:PrincipalArn":"arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"`,
    );
    expect(warnings(t.stack, '/Team/Batch', 'ztai:workload-role-imported').join()).toContain(
      '"Service":"ec2.amazonaws.com"',
    );
  });

  test('every cdk-nag pack passes', () => {
    expect(describeFindings(nagFindings(t.stack))).toBe('');
  });

  test('a role declared to run as SageMaker is refused', () => {
    const t2 = teamAccount();
    const workload = WorkloadIdentity.fromRole(t2.stack, 'Batch', {
      workloadName: 'batch',
      role: iam.Role.fromRoleArn(t2.stack, 'BatchRole', ROLE_ARN),
      runsAs: WorkloadPrincipal.SAGEMAKER,
    });
    expect(
      () =>
        new GpuFleet(t2.stack, 'Fleet', {
          workload,
          network: t2.network,
          instanceType: 'g5.2xlarge',
          machineImage: FleetMachineImage.fromAmiId('ami-0123456789abcdef0'),
          volumeKey: t2.key,
        }),
    ).toThrow(/workload: the instance role of 'batch' must trust ec2\.amazonaws\.com/);
  });
});

describe('GpuModelEndpoint on an instance type without local storage, with an imported key', () => {
  test("the ML storage volumes use the existing key, and its owner is told what SageMaker needs in the key's policy", () => {
    const t = teamAccount();
    const workload = new WorkloadIdentity(t.stack, 'Fraud', {
      workloadName: 'fraud',
      runsAs: WorkloadPrincipal.SAGEMAKER,
    });
    new GpuModelEndpoint(t.stack, 'Endpoint', { ...endpointProps(t, workload), instanceType: 'ml.inf2.xlarge' });
    Template.fromStack(t.stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: KEY_ARN });
    const storage = warnings(t.stack, '/Team/Endpoint', 'ztai:imported-key-policy').find((w) => w.includes(KEY_ARN));
    expect(storage).toContain(`"kms:ViaService":["sagemaker.${REGION}.amazonaws.com"]`);
    expect(storage).toContain('"kms:GrantIsForAWSResource":"true"');
    expect(storage).toContain('"Sid":"GrantsForAwsManagedResources"');
  });
});

describe("today's classes implement the interfaces", () => {
  test('a PlatformKey is a kms.IKey and an EncryptedBucket an s3.IBucket: both pass where aws-cdk-lib takes one, and nothing warns', () => {
    const f = inferenceFixture();
    new GpuModelEndpoint(f.stack, 'Endpoint', {
      workload: f.sagemakerIdentity,
      network: f.network,
      modelsBucket: f.modelsBucket,
      dataCaptureBucket: f.dataBucket,
      approvedModel: { name: 'fraud-model', version: '1' },
      image: ModelImage.fromRepository(f.repository, DIGEST),
      instanceType: 'ml.g5.xlarge',
      logEncryptionKey: f.keys.logs,
    });
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/sagemaker/Endpoints/'),
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysLogs'), 'Arn'] },
    });
    const bucket: s3.IBucket = f.modelsBucket;
    expect(bucket.bucketArn).toBe(f.modelsBucket.bucket.bucketArn);
    expect(bucket.arnForObjects('approved/*')).toBe(f.modelsBucket.bucket.arnForObjects('approved/*'));
    expect(warnings(f.stack, '*', 'ztai:imported-key-policy')).toEqual([]);
    expect(warnings(f.stack, '*', 'ztai:imported-bucket-policy')).toEqual([]);
  });

  test('a PlatformKey given as a fleet volume key gets the Auto Scaling statements in its own policy, as its key would', () => {
    const f = inferenceFixture();
    new GpuFleet(f.stack, 'Fleet', {
      workload: f.ec2Identity,
      network: f.network,
      instanceType: 'g5.2xlarge',
      machineImage: FleetMachineImage.fromAmiId('ami-0123456789abcdef0'),
      volumeKey: f.keys.data,
    });
    const template = Template.fromStack(f.stack);
    const [, dataKey] = Object.entries(template.findResources('AWS::KMS::Key')).find(([id]) =>
      id.startsWith('KeysData'),
    )!;
    expect((dataKey as any).Properties.KeyPolicy.Statement.map((st: any) => st.Sid)).toContain(
      'AutoScalingServiceLinkedRoleUse',
    );
    expect(warnings(f.stack, '*', 'ztai:fleet-imported-volume-key')).toEqual([]);
  });
});
