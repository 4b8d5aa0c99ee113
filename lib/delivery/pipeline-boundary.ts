import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The actions CDK Pipelines grants the pipeline's roles (pipeline, source, CodeBuild, self-mutation,
 * asset publishing): the ceiling of every role in the pipeline stack. `test/lib/delivery.test.ts`
 * fails when the synthesized policies use an action this list does not name, so a CDK upgrade that
 * needs more is noticed at test time, not at the first failed deployment.
 */
export const PIPELINE_ROLE_CEILING: readonly string[] = [
  'cloudformation:DescribeStacks',
  'codebuild:BatchGetBuilds',
  'codebuild:BatchPutCodeCoverages',
  'codebuild:BatchPutTestCases',
  'codebuild:CreateReport',
  'codebuild:CreateReportGroup',
  'codebuild:StartBuild',
  'codebuild:StopBuild',
  'codebuild:UpdateReport',
  'codeconnections:UseConnection',
  'codestar-connections:UseConnection',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
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
  'sts:AssumeRole',
];

/** What no pipeline role may do, whatever its own policies say. */
const PIPELINE_ROLE_DENIED: readonly string[] = [
  'iam:AttachRolePolicy',
  'iam:CreateAccessKey',
  'iam:CreateRole',
  'iam:CreateUser',
  'iam:DeleteRolePermissionsBoundary',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'kms:DisableKey',
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  's3:DeleteBucketPolicy',
  's3:PutBucketPolicy',
  's3:PutBucketPublicAccessBlock',
];

export interface PipelineBoundaryProps {
  /** Name of the boundary policy in the tooling account. */
  readonly boundaryName: string;
}

/**
 * The permissions boundary of the delivery pipeline's roles in the tooling account (the platform's
 * own boundary lives in each target account): the actions CDK Pipelines grants, and a deny on IAM,
 * key-policy and bucket-policy changes. The deployments themselves run as the bootstrap roles of
 * the target accounts, which the pipeline assumes.
 */
export class PipelineBoundary extends Construct {
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PipelineBoundaryProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      managedPolicyName: props.boundaryName,
      description: 'Zero-trust AI platform: permissions boundary of every delivery pipeline role',
      statements: [
        new iam.PolicyStatement({ sid: 'PipelineCeiling', actions: [...PIPELINE_ROLE_CEILING], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'DenyPrivilegeEscalationAndPolicyTampering',
          effect: iam.Effect.DENY,
          actions: [...PIPELINE_ROLE_DENIED],
          resources: ['*'],
        }),
      ],
    });
  }
}
