/**
 * Every action list the model-integrity constructs grant or deny, in one place (like
 * constructs/private/perms.ts for the foundation), so the signing and admission surface can be
 * reviewed without reading the constructs.
 */

/** The one signing algorithm of `ztai-model` bundles; the key policy admits no other. */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';
/** `ztai-model` signs the manifest's SHA-256 digest, never a raw message. */
export const SIGNING_MESSAGE_TYPE = 'DIGEST';

/** What a signer (the release role) may do with the signing key: sign, nothing else. */
export const SIGNING_KEY_SIGN = ['kms:Sign'];

/** Verify a signature through KMS (the admission gate, named verifiers). */
export const SIGNING_KEY_VERIFY_ONLY = ['kms:Verify'];
/** Read the public key, to verify offline (named verifiers). */
export const SIGNING_KEY_PUBLIC_KEY = ['kms:GetPublicKey'];
/** Everything a verifier may do with the signing key. */
export const SIGNING_KEY_VERIFY = [...SIGNING_KEY_VERIFY_ONLY, ...SIGNING_KEY_PUBLIC_KEY];

/**
 * Administration of the signing key, listed exactly: no wildcard, so no `kms:Create*` (that includes
 * `kms:CreateGrant`, which would let an administrator grant itself `kms:Sign`) and no `kms:Get*` (that
 * includes `kms:GetPublicKey`, which only signers and verifiers get). It covers every permission the
 * CloudFormation handlers of `AWS::KMS::Key` list for create/read/update/delete (DescribeKey,
 * GetKeyPolicy, GetKeyRotationStatus, ListResourceTags, Enable/DisableKey, Enable/DisableKeyRotation,
 * PutKeyPolicy, Tag/UntagResource, UpdateKeyDescription, ScheduleKeyDeletion:
 * https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-kms/blob/master/key/aws-kms-key.json)
 * and the alias handlers (Create/Update/DeleteAlias). Rotation is not supported on asymmetric keys; its
 * read and toggle actions are listed because CloudFormation's handlers call them.
 */
export const SIGNING_KEY_ADMIN = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** Actions no principal but the signer may ever be allowed on the signing key (checked in tests). */
export const SIGNING_KEY_CRYPTO = ['kms:Sign', 'kms:Verify', 'kms:GetPublicKey', 'kms:CreateGrant'];

/**
 * What the release role needs to upload a model and its bundle under `incoming/` of the models bucket,
 * including multipart uploads (`aws s3 cp` switches to multipart above 8 MiB): CreateMultipartUpload,
 * UploadPart and CompleteMultipartUpload are authorised as `s3:PutObject`, AbortMultipartUpload as
 * `s3:AbortMultipartUpload`, ListParts as `s3:ListMultipartUploadParts`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
 * No read, no delete, no listing of the bucket.
 */
export const RELEASE_UPLOAD = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
/**
 * The models key, as S3 uses it on the uploader's behalf for SSE-KMS: `kms:GenerateDataKey` for each
 * object (and at CreateMultipartUpload), `kms:Decrypt` for UploadPart and CompleteMultipartUpload, since
 * S3 decrypts the data key of the earlier parts
 * (https://repost.aws/knowledge-center/s3-large-file-encryption-kms-key,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
 */
export const RELEASE_UPLOAD_KEY = ['kms:Decrypt', 'kms:GenerateDataKey'];
/** Log in to ECR (`aws ecr get-login-password`); the action takes no resource, so it is granted on `*`. */
export const RELEASE_ECR_AUTH = ['ecr:GetAuthorizationToken'];
/**
 * Everything `docker push` needs on a repository, as listed by
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html (the repository's key is
 * used by ECR through its own grant; the pusher needs no KMS permission).
 */
export const RELEASE_ECR_PUSH = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];

/** The gate reads bundles and model files (every version: it pins the version it verified). */
export const ADMISSION_READ = ['s3:GetObject', 's3:GetObjectVersion'];
/** The gate lists the incoming and approved areas (narrowed with `s3:prefix`). */
export const ADMISSION_LIST = ['s3:ListBucket'];
/** The gate copies verified versions into the approved area (copies are PutObject; large ones multipart). */
export const ADMISSION_WRITE_APPROVED = ['s3:PutObject', 's3:AbortMultipartUpload'];
/**
 * The gate deletes what an interrupted or failed copy left under the approved area. Not in the
 * permissions boundary's S3 ceiling: the wiring permits it on `approved/*` of the models bucket only.
 */
export const ADMISSION_DELETE_APPROVED = ['s3:DeleteObject'];
/** The gate writes rejection records. */
export const ADMISSION_WRITE_REJECTED = ['s3:PutObject'];
/** SSE-KMS with the models key: read, and write (Decrypt for multipart copies). */
export const ADMISSION_MODELS_KEY = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** Lambda sends events that failed every retry to the dead-letter queue with the function's role. */
export const DEAD_LETTER_SEND = ['sqs:SendMessage'];
/** SSE-KMS of the dead-letter queue, as SQS asks for it on the sender's behalf. */
export const DEAD_LETTER_KEY = ['kms:GenerateDataKey', 'kms:Decrypt'];
/**
 * EventBridge, delivering the trigger rule's events that it could not hand to the function to the same
 * dead-letter queue: its use of the queue's key (SQS asks for it on the sender's behalf). Granted in
 * the key policy, narrowed to the rule by `aws:SourceArn`.
 */
export const TRIGGER_DEAD_LETTER_KEY = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** Lambda creates and removes the function's network interfaces in the VPC with the function's role. */
export const LAMBDA_VPC_ENI = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];
/** The function's own log streams (the group is pre-created, encrypted and retained). */
export const LAMBDA_LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** Active tracing; X-Ray's write actions take no resource. */
export const LAMBDA_XRAY = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * Object writes the models bucket denies under `approved/` to every principal but the admission
 * role: uploads (and their multipart parts), deletes of objects and versions, ACL, tag, retention
 * and legal-hold changes, and restores.
 */
export const APPROVED_PREFIX_PROTECTED_WRITES = [
  's3:AbortMultipartUpload',
  's3:DeleteObject',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersion',
  's3:DeleteObjectVersionTagging',
  's3:PutObject',
  's3:PutObjectAcl',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionAcl',
  's3:PutObjectVersionTagging',
  's3:ReplicateDelete',
  's3:ReplicateObject',
  's3:RestoreObject',
];
