import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  EncryptedBucket,
  GpuModelEndpoint,
  ModelImage,
  SegmentedNetwork,
  WorkloadIdentity,
  WorkloadPrincipal,
} from '@ztai/cdk-constructs';

/**
 * What the team already has, by literal id: a VPC with two isolated subnets and interface endpoints
 * behind one security group, a KMS key, a bucket encrypted with it, and a second key for logs. No
 * lookups: the app synthesizes the same on any machine, without credentials.
 */
export const EXISTING = {
  account: '111122223333',
  region: 'eu-west-1',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
  isolatedSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
  /** The security group of the VPC's interface endpoints (SageMaker runtime, ECR, STS, Logs, KMS…). */
  endpointsSecurityGroupId: 'sg-0c1d2e3f405162738',
  /** The region's S3 managed prefix list (`aws ec2 describe-managed-prefix-lists`, `com.amazonaws.<region>.s3`). */
  s3PrefixListId: 'pl-6da54004',
  modelsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  logsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321',
  modelsBucketName: 'acme-ml-models-111122223333',
  /** The model server image, pinned by digest. */
  imageUri:
    '111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud-scoring@sha256:' +
    '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
} as const;

/**
 * One GPU inference workload (a SageMaker real-time endpoint) added to the team's existing VPC, key
 * and bucket. The endpoint's role, security group, log group and scaling are new; the VPC, the keys
 * and the bucket are only referred to. What the constructs cannot change on them (the key and bucket
 * policies, the VPC's isolation) is named in synth warnings (`ztai:*`) for their owners.
 */
export class FraudInferenceStack extends Stack {
  public readonly endpoint: GpuModelEndpoint;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, { ...props, env: { account: EXISTING.account, region: EXISTING.region } });

    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: EXISTING.vpcId,
      availabilityZones: [...EXISTING.availabilityZones],
      isolatedSubnetIds: [...EXISTING.isolatedSubnetIds],
      isolatedSubnetRouteTableIds: [...EXISTING.isolatedSubnetRouteTableIds],
    });
    const network = SegmentedNetwork.fromVpcAttributes(this, 'Network', {
      vpc,
      gpuSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      endpointsSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'EndpointsSecurityGroup',
        EXISTING.endpointsSecurityGroupId,
      ),
      s3PrefixListId: EXISTING.s3PrefixListId,
    });

    const modelsKey = kms.Key.fromKeyArn(this, 'ModelsKey', EXISTING.modelsKeyArn);
    const models = EncryptedBucket.fromBucketAttributes(this, 'Models', {
      bucket: s3.Bucket.fromBucketName(this, 'ModelsBucket', EXISTING.modelsBucketName),
      encryptionKey: modelsKey,
    });

    // The workload's own role: trusts only SageMaker in this account, sessions of one hour at most,
    // grants in one customer-managed policy. (WorkloadIdentity.fromRole takes a role the team has.)
    const workload = new WorkloadIdentity(this, 'FraudScoring', {
      workloadName: 'fraud-scoring',
      runsAs: WorkloadPrincipal.SAGEMAKER,
    });

    this.endpoint = new GpuModelEndpoint(this, 'Endpoint', {
      workload,
      network,
      modelsBucket: models,
      // Captures go to the workload's own prefix of the same bucket: workloads/fraud-scoring/data-capture/.
      dataCaptureBucket: models,
      approvedModel: { name: 'fraud-model', version: '3' },
      image: ModelImage.fromImageUri(EXISTING.imageUri),
      instanceType: 'ml.g5.xlarge',
      logEncryptionKey: kms.Key.fromKeyArn(this, 'LogsKey', EXISTING.logsKeyArn),
    });
  }
}
