import { Annotations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/** The path of the switch in the bucket's CloudFormation properties. */
const EVENTBRIDGE_ENABLED = 'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled';

/**
 * Let S3 send `bucket`'s events to EventBridge (the default bus of the bucket's account and region) with
 * the bucket's own CloudFormation property, `NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled`,
 * set on its `AWS::S3::Bucket` resource. Not the L2 bucket's `eventBridgeEnabled` (nor `addEventNotification`):
 * both go through CDK's bucket-notifications custom resource, a Lambda function with its own role and
 * inline policy in the stack.
 *
 * The switch is written as a property override, which CloudFormation synthesis deep-merges into the
 * rendered properties: any other notification configuration the bucket's resource has (Lambda, queue or
 * topic configurations set on the L1 bucket, before or after this call) is kept, never overwritten.
 *
 * GuardDuty Malware Protection for S3 turns on the same switch on a bucket it protects (its scan role
 * calls `s3:PutBucketNotification`), so the two agree: CloudFormation applying `EventBridgeEnabled: true`
 * keeps what GuardDuty needs, and GuardDuty turning it on changes nothing. (CDK's custom resource was
 * used before because it merged its configuration with that external switch; with the switch in the
 * template there is nothing left to merge.) If CDK's custom resource is also used on the bucket, it keeps
 * an existing EventBridge configuration as external, so the two stay compatible.
 *
 * A bucket not defined in this app (imported with `Bucket.fromBucketName`/`fromBucketAttributes`) has
 * no resource here to set: nothing is changed, a warning on `scope` names what the bucket's owner must
 * switch on, and the result is false.
 *
 * @param consumer what stops working if the switch is off, for the warning (e.g. 'the model admission gate')
 * @returns true if the bucket's resource now turns EventBridge delivery on
 */
export function enableEventBridgeNotifications(scope: IConstruct, bucket: s3.IBucket, consumer: string): boolean {
  // The L1 bucket behind an L2 bucket, or behind a construct of ours that wraps one (an EncryptedBucket).
  let resource = bucket.node.defaultChild;
  while (resource && !(resource instanceof s3.CfnBucket)) resource = resource.node.defaultChild;
  if (!(resource instanceof s3.CfnBucket)) {
    Annotations.of(scope).addWarningV2(
      'ztai:bucket-eventbridge-not-enabled',
      `${bucket.node.path} is not defined in this app, so its notification configuration cannot be set here: ` +
        `its owner must turn on "Send notifications to Amazon EventBridge" for the bucket ` +
        `(S3 console: Properties, Event notifications; or PutBucketNotificationConfiguration with ` +
        `EventBridgeConfiguration: {}, merged with the bucket's other notifications; or ${EVENTBRIDGE_ENABLED}: true ` +
        `in its CloudFormation template), or ${consumer} never runs`,
    );
    return false;
  }
  resource.addPropertyOverride(EVENTBRIDGE_ENABLED, true);
  return true;
}
