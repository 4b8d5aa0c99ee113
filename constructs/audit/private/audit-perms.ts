/**
 * The action lists of the audit constructs, in one place, so their least-privilege surface can be
 * read without reading the constructs.
 */

/** CloudTrail delivering to its CloudWatch Logs group. */
export const CLOUDTRAIL_LOGS_DELIVERY = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** CloudTrail encrypting log files with the audit key (the key policy narrows it to this trail). */
export const CLOUDTRAIL_KEY_ENCRYPT = ['kms:GenerateDataKey*'];
/** CloudTrail reading the audit key's properties when the trail is created or updated. */
export const CLOUDTRAIL_KEY_DESCRIBE = ['kms:DescribeKey'];
/** CloudTrail decrypting with the audit key: needed to create the trail on a bucket with S3 Bucket Keys. */
export const CLOUDTRAIL_KEY_DECRYPT = ['kms:Decrypt'];

/** What a delivering AWS service (CloudTrail, AWS Config) needs on the audit bucket itself. */
export const SERVICE_DELIVERY_BUCKET_CHECKS = ['s3:GetBucketAcl', 's3:ListBucket'];
/** What a delivering AWS service needs on its own log prefix of the audit bucket. */
export const SERVICE_DELIVERY_WRITE = ['s3:PutObject'];
/** Key use of a delivering AWS service other than CloudTrail (AWS Config). */
export const SERVICE_DELIVERY_KEY = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** Deleting audit records, shortening their lock, or the bucket itself: denied to everyone. */
export const AUDIT_BUCKET_DENIED_DELETES = [
  's3:DeleteBucket',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:BypassGovernanceRetention',
];

/** CloudWatch alarms publishing to an encrypted alarm topic. */
export const ALARM_TOPIC_PUBLISH = ['sns:Publish'];
/** CloudWatch alarms using the alarm topic's key (SNS encrypts the message with it). */
export const ALARM_TOPIC_KEY = ['kms:Decrypt', 'kms:GenerateDataKey*'];

/**
 * GuardDuty Malware Protection for S3: the EventBridge rule it manages for the protected bucket
 * (`DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*`).
 */
export const MALWARE_SCAN_MANAGED_RULE = [
  'events:PutRule',
  'events:DeleteRule',
  'events:PutTargets',
  'events:RemoveTargets',
];
/** GuardDuty Malware Protection for S3: watching its managed rule. */
export const MALWARE_SCAN_DESCRIBE_RULE = ['events:DescribeRule', 'events:ListTargetsByRule'];
/** GuardDuty Malware Protection for S3: S3 notifications to EventBridge on the protected bucket. */
export const MALWARE_SCAN_BUCKET = ['s3:PutBucketNotification', 's3:GetBucketNotification'];
/** GuardDuty Malware Protection for S3: reading new objects and tagging them with the scan result. */
export const MALWARE_SCAN_OBJECTS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectTagging',
  's3:GetObjectVersionTagging',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
];
/** GuardDuty Malware Protection for S3: the validation object it writes when the plan is created. */
export const MALWARE_SCAN_VALIDATION_OBJECT = ['s3:PutObject'];
/** The key of the protected bucket, through S3. */
export const MALWARE_SCAN_KEY = ['kms:Decrypt', 'kms:GenerateDataKey'];
