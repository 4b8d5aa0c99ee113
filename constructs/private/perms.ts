/**
 * Every action list the constructs grant or deny, in one place, so the least-privilege surface
 * can be read and reviewed without reading the constructs.
 */

/** Key use for data at rest through a service (no administration). */
export const KEY_ENCRYPT_DECRYPT = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
];

/**
 * Key use that lets AWS services attach grants to resources they manage for us (EBS, SageMaker volumes);
 * always with `kms:GrantIsForAWSResource: true`, never for administration.
 */
export const KEY_CREATE_GRANT_FOR_AWS_RESOURCE = ['kms:CreateGrant'];

/**
 * Key administration, listed exactly: no cryptographic use and no `kms:CreateGrant` (a grant is use:
 * an administrator could grant itself Decrypt), so no `kms:Create*`; no `kms:Get*` either (that
 * includes `kms:GetPublicKey` and `kms:GetParametersForImport`). Covers what CloudFormation needs to
 * create, update and delete an `AWS::KMS::Key` and its aliases (tags, rotation, description, policy,
 * enable/disable, scheduled deletion) and what an operator needs to inspect and revoke grants.
 * KMS permissions reference: https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html
 * (default key policy for key administrators: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
export const KEY_ADMIN = [
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
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** Decrypt objects read through S3 (SSE-KMS). */
export const KEY_S3_READ = ['kms:Decrypt'];
/** Encrypt objects written through S3 (SSE-KMS); Decrypt is needed for multipart uploads. */
export const KEY_S3_WRITE = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** Read objects under a prefix (every version: models are addressed by version). */
export const S3_OBJECT_READ = ['s3:GetObject', 's3:GetObjectVersion'];
/** Write objects under a prefix (no delete: buckets are versioned and nothing is lost). */
export const S3_OBJECT_WRITE = ['s3:PutObject', 's3:AbortMultipartUpload'];
/** List the bucket; always narrowed to a prefix with `s3:prefix`. */
export const S3_LIST = ['s3:ListBucket'];

/**
 * What a permissions boundary never lets a platform role do: escalate, or weaken the controls around it.
 * No platform role calls IAM (the ceiling allows no IAM action), so the deny names the whole service:
 * the same access as listing the escalation actions (CreateRole, Put/Attach*Policy, PassRole, the
 * boundary and login-profile actions…), stated plainly, covering what IAM adds later, in a fraction of
 * the boundary's 6,144 characters. A deny may use a wildcard; the ceiling never does.
 */
export const BOUNDARY_DENY_PRIVILEGE_ESCALATION = ['iam:*'];

/** Key destruction, policy, alias or rotation changes (by verb: none is a use action the ceiling allows). */
export const BOUNDARY_DENY_KEY_TAMPERING = [
  'kms:Cancel*',
  'kms:Delete*',
  'kms:Disable*',
  'kms:Put*',
  'kms:Replicate*',
  'kms:Schedule*',
  'kms:Update*',
];

/** Bucket deletion, policy, ACL, public access, encryption, versioning and lock changes. */
export const BOUNDARY_DENY_BUCKET_TAMPERING = [
  's3:DeleteBucket*',
  's3:Put*Acl',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketOwnershipControls',
  's3:PutBucketPolicy',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketVersioning',
  's3:PutEncryptionConfiguration',
  's3:PutLifecycleConfiguration',
];

/** Audit trail and network tampering. */
export const BOUNDARY_DENY_AUDIT_AND_NETWORK_TAMPERING = [
  'cloudtrail:Delete*',
  'cloudtrail:Put*',
  'cloudtrail:Stop*',
  'cloudtrail:Update*',
  'ec2:AttachInternetGateway',
  'ec2:CreateInternetGateway',
  'ec2:CreateNatGateway',
  'ec2:CreateRoute',
  'ec2:DeleteFlowLogs',
  'ec2:ModifyVpcEndpoint',
  'logs:DeleteLogGroup',
  'logs:DisassociateKmsKey',
  'logs:PutRetentionPolicy',
];

/**
 * Model invocation: denied by the permissions boundary to every platform role but the API's route
 * roles (`PlatformPermissionsBoundary.restrictModelInvocationTo`).
 */
export const BOUNDARY_DENY_MODEL_INVOCATION = [
  'sagemaker:InvokeEndpoint',
  'sagemaker:InvokeEndpointAsync',
  'sagemaker:InvokeEndpointWithResponseStream',
];

/**
 * What the permissions boundary lets any platform role do at most, by service. Roles get far less
 * from their own policies; the boundary is the ceiling, so it lists actions, never `service:*`.
 */
export const BOUNDARY_SERVICE_CEILING: Record<string, string[]> = {
  // ENIs for SageMaker VPC config and VPC Lambda; the default-security-group restriction of the VPC.
  ec2: [
    'ec2:AssignPrivateIpAddresses',
    'ec2:AuthorizeSecurityGroupEgress',
    'ec2:AuthorizeSecurityGroupIngress',
    'ec2:CreateNetworkInterface',
    'ec2:CreateNetworkInterfacePermission',
    'ec2:DeleteNetworkInterface',
    'ec2:DeleteNetworkInterfacePermission',
    'ec2:DescribeDhcpOptions',
    // The network's deploy-time lookup of the region's S3 managed prefix list (S3_PREFIX_LIST_LOOKUP).
    'ec2:DescribeManagedPrefixLists',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeSubnets',
    // The CloudWatch agent of GPU fleet instances reads the Auto Scaling group tag (CLOUDWATCH_AGENT_EC2_TAGS).
    'ec2:DescribeTags',
    'ec2:DescribeVpcs',
    'ec2:RevokeSecurityGroupEgress',
    'ec2:RevokeSecurityGroupIngress',
    'ec2:UnassignPrivateIpAddresses',
  ],
  // Pull, and push (`docker push`: the release role pushes model-server images).
  ecr: [
    'ecr:BatchCheckLayerAvailability',
    'ecr:BatchGetImage',
    'ecr:CompleteLayerUpload',
    'ecr:GetAuthorizationToken',
    'ecr:GetDownloadUrlForLayer',
    'ecr:InitiateLayerUpload',
    'ecr:PutImage',
    'ecr:UploadLayerPart',
  ],
  logs: [
    'logs:CreateLogGroup',
    'logs:CreateLogStream',
    'logs:DescribeLogGroups',
    'logs:DescribeLogStreams',
    'logs:PutLogEvents',
  ],
  cloudwatch: ['cloudwatch:PutMetricData'],
  sagemaker: [
    'sagemaker:InvokeEndpoint',
    'sagemaker:InvokeEndpointAsync',
    'sagemaker:InvokeEndpointWithResponseStream',
  ],
  'execute-api': ['execute-api:Invoke'],
  // API clients read their API key from its secret: GetSecretValue (the CLI and a plain SDK call), and
  // DescribeSecret for the Secrets Manager caching clients
  // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_cache-go.html).
  secretsmanager: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
  sns: ['sns:Publish'],
  xray: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  // Systems Manager agent (sessions instead of SSH), as in AmazonSSMManagedInstanceCore.
  ssm: [
    'ssm:DescribeAssociation',
    'ssm:DescribeDocument',
    'ssm:GetDeployablePatchSnapshotForInstance',
    'ssm:GetDocument',
    'ssm:GetManifest',
    'ssm:ListAssociations',
    'ssm:ListInstanceAssociations',
    'ssm:PutComplianceItems',
    'ssm:PutConfigurePackageResult',
    'ssm:PutInventory',
    'ssm:UpdateAssociationStatus',
    'ssm:UpdateInstanceAssociationStatus',
    'ssm:UpdateInstanceInformation',
  ],
  ssmmessages: [
    'ssmmessages:CreateControlChannel',
    'ssmmessages:CreateDataChannel',
    'ssmmessages:OpenControlChannel',
    'ssmmessages:OpenDataChannel',
  ],
  ec2messages: [
    'ec2messages:AcknowledgeMessage',
    'ec2messages:DeleteMessage',
    'ec2messages:FailMessage',
    'ec2messages:GetEndpoint',
    'ec2messages:GetMessages',
    'ec2messages:SendReply',
  ],
};

/** The boundary's ceiling on the platform's own buckets. */
export const BOUNDARY_S3_CEILING = [
  's3:AbortMultipartUpload',
  's3:GetBucketLocation',
  's3:GetBucketNotification',
  's3:GetObject',
  's3:GetObjectAttributes',
  's3:GetObjectTagging',
  's3:GetObjectVersion',
  's3:ListBucket',
  's3:ListBucketVersions',
  // Multipart uploads (the release role uploads large models to incoming/).
  's3:ListMultipartUploadParts',
  's3:PutBucketNotification',
  's3:PutObject',
  's3:PutObjectTagging',
];

/** The boundary's ceiling on the platform's own keys. */
export const BOUNDARY_KMS_CEILING = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GetPublicKey',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:Sign',
  'kms:Verify',
];

// ---------------------------------------------------------------------------------------------
// GPU inference (constructs/inference): SageMaker endpoints, self-managed GPU fleets, image repos.
// ---------------------------------------------------------------------------------------------

/** Call one SageMaker endpoint (granted on that endpoint's ARN only). */
export const SAGEMAKER_INVOKE = ['sagemaker:InvokeEndpoint'];

/** Pull images from one ECR repository (granted on the repository's ARN). */
export const ECR_PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
/** Log in to ECR; the action takes no resource, so it is granted on `*`. */
export const ECR_AUTH = ['ecr:GetAuthorizationToken'];
/**
 * The upload half of `docker push` to one ECR repository (granted on the repository's ARN). With
 * `ECR_PUSH_READ` and `ECR_AUTH` it is the policy AWS documents for pushing an image:
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
 */
export const ECR_PUSH_UPLOAD = [
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];
/** What `docker push` reads on the repository: which layers exist, and the manifest it replaces. */
export const ECR_PUSH_READ = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage'];

/**
 * The CloudWatch agent resolves `${aws:AutoScalingGroupName}` in `append_dimensions` by reading the
 * instance's `aws:autoscaling:groupName` tag with `ec2:DescribeTags` (the action takes no resource).
 */
export const CLOUDWATCH_AGENT_EC2_TAGS = ['ec2:DescribeTags'];

/**
 * A SageMaker execution role with `VpcConfig`: SageMaker creates and deletes the model's network
 * interfaces with the role (granted on `*`, narrowed to the platform VPC with `ec2:Vpc`).
 */
export const SAGEMAKER_VPC_ENI = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
];
/**
 * The network's deploy-time lookup of the region's S3 managed prefix list (`com.amazonaws.<region>.s3`).
 * Read-only; the action supports no resource-level permissions, so it is granted on `*`.
 */
export const S3_PREFIX_LIST_LOOKUP = ['ec2:DescribeManagedPrefixLists'];
/** Read-only VPC lookups SageMaker makes with the execution role; these actions take no resource. */
export const SAGEMAKER_VPC_DESCRIBE = [
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
];
/** Container logs of one endpoint, into its own (pre-created, encrypted) log group. */
export const SAGEMAKER_ENDPOINT_LOGS = [
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:DescribeLogStreams',
  'logs:PutLogEvents',
];
/** Endpoint metrics; the action takes no resource and is narrowed by `cloudwatch:namespace`. */
export const CLOUDWATCH_PUT_METRICS = ['cloudwatch:PutMetricData'];

/**
 * Systems Manager access to a fleet instance (Session Manager and Run Command), instead of SSH:
 * the agent registers the instance and opens its control and data channels through the VPC
 * endpoints. The minimum AWS documents for Session Manager plus the ec2messages channel of Run
 * Command; no inventory, patching or association writes (AmazonSSMManagedInstanceCore has those).
 */
export const SSM_AGENT_INSTANCE = ['ssm:UpdateInstanceInformation'];
export const SSM_AGENT_CHANNELS = [
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
];

/**
 * What the EC2 Auto Scaling service-linked role needs on a customer key to launch instances with
 * volumes encrypted by it, and to publish to a topic encrypted by it (AWS: "Required AWS KMS key
 * policy for use with encrypted volumes").
 */
export const AUTOSCALING_SLR_KEY_USE = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
];
/** Grants the service-linked role may create for the EBS volumes it attaches (`kms:GrantIsForAWSResource`). */
export const AUTOSCALING_SLR_KEY_GRANT = ['kms:CreateGrant'];
