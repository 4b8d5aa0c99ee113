import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
// The root index by its file (`constructs/` is also a package directory).
import {
  EncryptedBucket,
  IPlatformNetwork,
  IPrefixBucket,
  PlatformEndpoint,
  SegmentedNetwork,
} from '../../constructs/index';
import { newApp } from '../helpers/stacks';

/**
 * A team's account: a VPC, KMS keys and a bucket that exist already (literal ids, no lookups, no
 * construct of ours behind them), for the constructs to be added to.
 */
export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
/** Isolated subnets: the GPU tier. */
export const ISOLATED = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'];
/** Private subnets: the data tier. */
export const PRIVATE = ['subnet-0ccccccccccccccc1', 'subnet-0ccccccccccccccc2'];
export const PUBLIC = ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'];
export const ENDPOINTS_SG = 'sg-0c1d2e3f405162738';
export const KMS_ENDPOINT = 'vpce-0d1e2f3a4b5c6d7e8';
export const S3_PREFIX_LIST = 'pl-6da54004';
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const LOG_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321`;
export const BUCKET = 'team-models-111122223333';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/team/fraud-sagemaker`;

export interface TeamAccount {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.IVpc;
  /** The VPC as a platform network: GPU tier = isolated subnets, data tier = private subnets, the KMS endpoint. */
  readonly network: IPlatformNetwork;
  readonly key: kms.IKey;
  readonly logKey: kms.IKey;
  /** The existing bucket, encrypted with `key`. */
  readonly bucket: IPrefixBucket;
}

/** The team's account in a fresh app (the project's feature flags; asset bundling skipped). */
export function teamAccount(): TeamAccount {
  const app = newApp({ 'aws:cdk:bundling-stacks': [] });
  const stack = new Stack(app, 'Team', { env: { account: ACCOUNT, region: REGION } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: VPC_ID,
    availabilityZones: [`${REGION}a`, `${REGION}b`],
    isolatedSubnetIds: ISOLATED,
    isolatedSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    privateSubnetIds: PRIVATE,
    privateSubnetRouteTableIds: ['rtb-0ccccccccccccccc1', 'rtb-0ccccccccccccccc2'],
    publicSubnetIds: PUBLIC,
    publicSubnetRouteTableIds: ['rtb-0bbbbbbbbbbbbbbb1', 'rtb-0bbbbbbbbbbbbbbb2'],
  });
  const endpointsSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'EndpointsSg', ENDPOINTS_SG);
  const network = SegmentedNetwork.fromVpcAttributes(stack, 'Network', {
    vpc,
    gpuSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    dataSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    endpointsSecurityGroup,
    interfaceEndpoints: [
      {
        endpoint: PlatformEndpoint.KMS,
        vpcEndpoint: ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(stack, 'KmsEndpoint', {
          vpcEndpointId: KMS_ENDPOINT,
          port: 443,
          securityGroups: [endpointsSecurityGroup],
        }),
      },
    ],
    s3PrefixListId: S3_PREFIX_LIST,
  });
  const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
  const logKey = kms.Key.fromKeyArn(stack, 'LogKey', LOG_KEY_ARN);
  const bucket = EncryptedBucket.fromBucketAttributes(stack, 'Models', {
    bucket: s3.Bucket.fromBucketName(stack, 'ModelsBucket', BUCKET),
    encryptionKey: key,
  });
  return { app, stack, vpc, network, key, logKey, bucket };
}

/** The messages of the warnings acknowledgeable as `id` on the construct at `path` (`*` for any). */
export function warnings(stack: Stack, path: string, id: string): string[] {
  return Annotations.fromStack(stack)
    .findWarning(path, Match.stringLikeRegexp(`\\[ack: ${id}\\]`))
    .map((w) => String(w.entry.data));
}
