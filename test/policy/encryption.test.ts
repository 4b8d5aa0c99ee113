import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { cfn, compliantBucket, compliantKey } from './fixtures';
import { fails, GuardFragment, passes, describeRuleFile } from '../helpers/guard';

const S3_KMS = 'ZTAI_ENCRYPTION_S3_KMS';
const S3_TLS = 'ZTAI_ENCRYPTION_S3_TLS';
const ENDPOINT = 'ZTAI_ENCRYPTION_SAGEMAKER_ENDPOINT_KMS';
const LOG_GROUP = 'ZTAI_ENCRYPTION_LOG_GROUP_KMS';
const SNS = 'ZTAI_ENCRYPTION_SNS_KMS';
const ECR = 'ZTAI_ENCRYPTION_ECR_KMS';
const TRAIL = 'ZTAI_ENCRYPTION_TRAIL_KMS';
const ROTATION = 'ZTAI_ENCRYPTION_KMS_ROTATION';

/** A server-access-log target: SSE-S3 (S3 requires it), TLS-only, retained. */
function accessLogBucket(stack: Stack): s3.Bucket {
  return new s3.Bucket(stack, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

function endpointConfig(stack: Stack, instanceTypes: string[], kmsKeyId?: string): sagemaker.CfnEndpointConfig {
  return new sagemaker.CfnEndpointConfig(stack, 'EndpointConfig', {
    kmsKeyId,
    productionVariants: instanceTypes.map((instanceType, i) => ({
      variantName: `v${i}`,
      modelName: 'model',
      instanceType,
      initialInstanceCount: 1,
    })),
  });
}

function trail(stack: Stack, encryptionKey?: kms.IKey): cloudtrail.Trail {
  return new cloudtrail.Trail(stack, 'Trail', { bucket: compliantBucket(stack, 'TrailBucket'), encryptionKey });
}

const fragments: GuardFragment[] = [
  passes(S3_KMS, 'bucket on SSE-KMS with a customer key', (stack) => {
    compliantBucket(stack);
  }),
  passes(S3_KMS, 'server-access-log target on SSE-S3, granted to logging.s3 by its policy', (stack) => {
    compliantBucket(stack, 'Data', { serverAccessLogsBucket: accessLogBucket(stack) });
  }),
  fails(S3_KMS, 'encryption removed by an escape hatch', (stack) => {
    const bucket = compliantBucket(stack);
    cfn(bucket).addPropertyDeletionOverride('BucketEncryption');
    return bucket;
  }),
  fails(S3_KMS, 'SSE-S3 on a bucket that is not a log target', (stack) => {
    return new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true });
  }),
  fails(S3_KMS, 'SSE-KMS with the key removed (AWS managed aws/s3)', (stack) => {
    const bucket = compliantBucket(stack);
    cfn(bucket).addPropertyDeletionOverride(
      'BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.KMSMasterKeyID',
    );
    return bucket;
  }),

  passes(S3_TLS, 'enforceSSL bucket policy', (stack) => {
    compliantBucket(stack);
  }),
  fails(S3_TLS, 'no bucket policy', (stack) => compliantBucket(stack, 'Bucket', { enforceSSL: false })),
  fails(S3_TLS, 'TLS condition inverted by an escape hatch', (stack) => {
    const bucket = compliantBucket(stack);
    cfn(bucket.policy!).addPropertyOverride('PolicyDocument.Statement.0.Condition.Bool.aws:SecureTransport', 'true');
    return bucket;
  }),

  passes(ENDPOINT, 'endpoint config with KmsKeyId', (stack) => {
    endpointConfig(
      stack,
      ['ml.m5.large'],
      'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
  }),
  passes(ENDPOINT, 'local-NVMe GPU instances (SageMaker rejects KmsKeyId there)', (stack) => {
    endpointConfig(stack, ['ml.g5.2xlarge', 'ml.g4dn.xlarge']);
  }),
  fails(ENDPOINT, 'KmsKeyId removed by an escape hatch', (stack) => {
    const config = endpointConfig(stack, ['ml.m5.large'], 'alias/models');
    config.addPropertyDeletionOverride('KmsKeyId');
    return config;
  }),
  fails(ENDPOINT, 'one EBS-backed variant among local-storage ones', (stack) => {
    return endpointConfig(stack, ['ml.g5.2xlarge', 'ml.m5.xlarge']);
  }),

  passes(LOG_GROUP, 'log group with a customer key', (stack) => {
    new logs.LogGroup(stack, 'Logs', { encryptionKey: compliantKey(stack), removalPolicy: RemovalPolicy.RETAIN });
  }),
  fails(LOG_GROUP, 'log group without a key', (stack) => new logs.LogGroup(stack, 'Logs')),
  fails(LOG_GROUP, 'key removed by an escape hatch', (stack) => {
    const group = new logs.LogGroup(stack, 'Logs', { encryptionKey: compliantKey(stack) });
    cfn(group).addPropertyDeletionOverride('KmsKeyId');
    return group;
  }),

  passes(SNS, 'topic with a customer key', (stack) => {
    new sns.Topic(stack, 'Topic', { masterKey: compliantKey(stack) });
  }),
  fails(SNS, 'topic without a key', (stack) => new sns.Topic(stack, 'Topic')),
  fails(SNS, 'topic on the AWS managed key, by alias', (stack) => {
    return new sns.Topic(stack, 'Topic', { masterKey: kms.Alias.fromAliasName(stack, 'AwsSns', 'alias/aws/sns') });
  }),
  fails(SNS, 'topic switched to alias/aws/sns by an escape hatch', (stack) => {
    const topic = new sns.Topic(stack, 'Topic', { masterKey: compliantKey(stack) });
    cfn(topic).addPropertyOverride('KmsMasterKeyId', 'alias/aws/sns');
    return topic;
  }),

  passes(ECR, 'repository on KMS with a customer key', (stack) => {
    new ecr.Repository(stack, 'Repo', { encryption: ecr.RepositoryEncryption.KMS, encryptionKey: compliantKey(stack) });
  }),
  fails(ECR, 'repository on the default AES256', (stack) => new ecr.Repository(stack, 'Repo')),
  fails(ECR, 'repository on KMS without a customer key', (stack) => {
    return new ecr.Repository(stack, 'Repo', { encryption: ecr.RepositoryEncryption.KMS });
  }),

  passes(TRAIL, 'trail with a customer key', (stack) => {
    trail(stack, compliantKey(stack));
  }),
  fails(TRAIL, 'trail without a key', (stack) => trail(stack)),
  fails(TRAIL, 'key removed by an escape hatch', (stack) => {
    const t = trail(stack, compliantKey(stack));
    cfn(t).addPropertyDeletionOverride('KMSKeyId');
    return t;
  }),

  passes(ROTATION, 'symmetric key with rotation', (stack) => {
    compliantKey(stack);
  }),
  passes(ROTATION, 'asymmetric signing key (KMS cannot rotate it)', (stack) => {
    new kms.Key(stack, 'Signing', {
      keySpec: kms.KeySpec.RSA_2048,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }),
  fails(ROTATION, 'symmetric key left without rotation (the CDK default)', (stack) => new kms.Key(stack, 'Key')),
  fails(ROTATION, 'rotation turned off by an escape hatch', (stack) => {
    const key = compliantKey(stack);
    cfn(key).addPropertyOverride('EnableKeyRotation', false);
    return key;
  }),
];

describeRuleFile('encryption.guard', fragments);
