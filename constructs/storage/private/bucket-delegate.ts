import { RemovalPolicy, ResourceEnvironment, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * A construct that is an `s3.IBucket` by handing every member to the bucket it wraps, so a
 * construct of ours (an `EncryptedBucket`, an imported bucket with its key) can be passed wherever
 * aws-cdk-lib takes a bucket, while keeping its own construct id, path and logical ids.
 */
export abstract class BucketDelegate extends Construct implements s3.IBucket {
  public abstract readonly bucketArn: string;
  public abstract readonly bucketName: string;
  public abstract readonly encryptionKey: kms.IKey;

  /** The bucket every member is handed to. */
  protected abstract readonly delegate: s3.IBucket;

  public get stack(): Stack {
    return Stack.of(this);
  }
  public get env(): ResourceEnvironment {
    return this.delegate.env;
  }
  public get bucketRef(): s3.IBucket['bucketRef'] {
    return this.delegate.bucketRef;
  }
  public get bucketWebsiteUrl(): string {
    return this.delegate.bucketWebsiteUrl;
  }
  public get bucketWebsiteDomainName(): string {
    return this.delegate.bucketWebsiteDomainName;
  }
  public get bucketDomainName(): string {
    return this.delegate.bucketDomainName;
  }
  public get bucketDualStackDomainName(): string {
    return this.delegate.bucketDualStackDomainName;
  }
  public get bucketRegionalDomainName(): string {
    return this.delegate.bucketRegionalDomainName;
  }
  public get isWebsite(): boolean | undefined {
    return this.delegate.isWebsite;
  }
  public get policy(): s3.BucketPolicy | undefined {
    return this.delegate.policy;
  }
  public get replicationRoleArn(): string | undefined {
    return this.delegate.replicationRoleArn;
  }
  public set policy(policy: s3.BucketPolicy | undefined) {
    this.delegate.policy = policy;
  }
  public set replicationRoleArn(arn: string | undefined) {
    this.delegate.replicationRoleArn = arn;
  }

  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.delegate.applyRemovalPolicy(policy);
  }
  public addToResourcePolicy(permission: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.delegate.addToResourcePolicy(permission);
  }
  public urlForObject(key?: string): string {
    return this.delegate.urlForObject(key);
  }
  public transferAccelerationUrlForObject(key?: string, options?: s3.TransferAccelerationUrlOptions): string {
    return this.delegate.transferAccelerationUrlForObject(key, options);
  }
  public virtualHostedUrlForObject(key?: string, options?: s3.VirtualHostedStyleUrlOptions): string {
    return this.delegate.virtualHostedUrlForObject(key, options);
  }
  public s3UrlForObject(key?: string): string {
    return this.delegate.s3UrlForObject(key);
  }
  public arnForObjects(keyPattern: string): string {
    return this.delegate.arnForObjects(keyPattern);
  }
  public grantRead(identity: iam.IGrantable, objectsKeyPattern?: unknown): iam.Grant {
    return this.delegate.grantRead(identity, objectsKeyPattern);
  }
  public grantWrite(
    identity: iam.IGrantable,
    objectsKeyPattern?: unknown,
    allowedActionPatterns?: string[],
  ): iam.Grant {
    return this.delegate.grantWrite(identity, objectsKeyPattern, allowedActionPatterns);
  }
  public grantPut(identity: iam.IGrantable, objectsKeyPattern?: unknown): iam.Grant {
    return this.delegate.grantPut(identity, objectsKeyPattern);
  }
  public grantPutAcl(identity: iam.IGrantable, objectsKeyPattern?: string): iam.Grant {
    return this.delegate.grantPutAcl(identity, objectsKeyPattern);
  }
  public grantDelete(identity: iam.IGrantable, objectsKeyPattern?: unknown): iam.Grant {
    return this.delegate.grantDelete(identity, objectsKeyPattern);
  }
  public grantReadWrite(identity: iam.IGrantable, objectsKeyPattern?: unknown): iam.Grant {
    return this.delegate.grantReadWrite(identity, objectsKeyPattern);
  }
  public grantReplicationPermission(identity: iam.IGrantable, props: s3.GrantReplicationPermissionProps): iam.Grant {
    return this.delegate.grantReplicationPermission(identity, props);
  }
  public grantPublicAccess(keyPrefix?: string, ...allowedActions: string[]): iam.Grant {
    return this.delegate.grantPublicAccess(keyPrefix, ...allowedActions);
  }
  public onCloudTrailEvent(id: string, options?: s3.OnCloudTrailBucketEventOptions): events.Rule {
    return this.delegate.onCloudTrailEvent(id, options);
  }
  public onCloudTrailPutObject(id: string, options?: s3.OnCloudTrailBucketEventOptions): events.Rule {
    return this.delegate.onCloudTrailPutObject(id, options);
  }
  public onCloudTrailWriteObject(id: string, options?: s3.OnCloudTrailBucketEventOptions): events.Rule {
    return this.delegate.onCloudTrailWriteObject(id, options);
  }
  public addEventNotification(
    event: s3.EventType,
    dest: s3.IBucketNotificationDestination,
    ...filters: s3.NotificationKeyFilter[]
  ): void {
    this.delegate.addEventNotification(event, dest, ...filters);
  }
  public addObjectCreatedNotification(
    dest: s3.IBucketNotificationDestination,
    ...filters: s3.NotificationKeyFilter[]
  ): void {
    this.delegate.addObjectCreatedNotification(dest, ...filters);
  }
  public addObjectRemovedNotification(
    dest: s3.IBucketNotificationDestination,
    ...filters: s3.NotificationKeyFilter[]
  ): void {
    this.delegate.addObjectRemovedNotification(dest, ...filters);
  }
  public enableEventBridgeNotification(): void {
    this.delegate.enableEventBridgeNotification();
  }
  public addReplicationPolicy(roleArn: string, accessControlTransition?: boolean, account?: string): void {
    this.delegate.addReplicationPolicy(roleArn, accessControlTransition, account);
  }
}
