import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../../constructs/private/nag';
import { PipelineArtifacts } from './pipeline-artifacts';
import { ARTIFACT_BUCKET_ACTIONS, ARTIFACT_KEY_ACTIONS } from './private/pipeline-perms';

/**
 * The actions CDK Pipelines grants the pipeline's roles (pipeline, source, CodeBuild, self-mutation,
 * asset publishing) that take no resource of the pipeline's own: the ceiling of every role in the
 * pipeline stack beside the artifact bucket, its key and the connection (`capTo`).
 * `test/lib/delivery.test.ts` fails when the synthesized policies use an action the boundary does not
 * name, so a CDK upgrade that needs more is noticed at test time, not at the first failed deployment.
 */
export const PIPELINE_ROLE_CEILING: readonly string[] = [
  'cloudformation:DescribeStacks',
  'codebuild:BatchGetBuilds',
  'codebuild:StartBuild',
  'codebuild:StopBuild',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  's3:ListBucket',
  'sts:AssumeRole',
];

/** Using the source connection (both service prefixes: the connection ARN may carry either). */
export const PIPELINE_CONNECTION_ACTIONS: readonly string[] = [
  'codeconnections:UseConnection',
  'codestar-connections:UseConnection',
];

/** What no pipeline role may do, whatever its own policies say. */
export const PIPELINE_ROLE_DENIED: readonly string[] = [
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
 * own boundary lives in each target account): the actions CDK Pipelines grants, S3 and KMS capped to
 * the pipeline's artifact bucket and key, the connection to the one in config, and a deny on IAM,
 * key-policy and bucket-policy changes. The deployments themselves run as the bootstrap roles of
 * the target accounts, which the pipeline assumes.
 */
export class PipelineBoundary extends Construct {
  public readonly policy: iam.ManagedPolicy;
  /** The boundary's policy name (what `cdk bootstrap`'s execution policy requires on every role). */
  public readonly boundaryName: string;

  constructor(scope: Construct, id: string, props: PipelineBoundaryProps) {
    super(scope, id);
    this.boundaryName = props.boundaryName;
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
    acknowledgeWildcardResource(
      this.policy.node.defaultChild!,
      '*',
      'A permissions boundary is a ceiling, not a grant: these actions (build start/stop, log writes, stack ' +
        'descriptions, role assumption) are narrowed to exact resources by each role’s own policy.',
    );
  }

  /** Cap S3 and KMS to the pipeline's artifact bucket and key, and connections to `connectionArn`. */
  public capTo(artifacts: PipelineArtifacts, connectionArn: string): void {
    const objects = artifacts.bucket.arnForObjects('*');
    this.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'ArtifactBucketOnly',
        actions: [...ARTIFACT_BUCKET_ACTIONS],
        resources: [artifacts.bucket.bucketArn, objects],
      }),
      new iam.PolicyStatement({
        sid: 'ArtifactKeyOnly',
        actions: [...ARTIFACT_KEY_ACTIONS],
        resources: [artifacts.key.keyArn],
      }),
      new iam.PolicyStatement({
        sid: 'SourceConnectionOnly',
        actions: [...PIPELINE_CONNECTION_ACTIONS],
        resources: connectionArnForms(connectionArn),
      }),
    );
    acknowledgeWildcardResource(
      this.policy.node.defaultChild!,
      objects,
      'The boundary caps S3 to the pipeline’s own artifact bucket, whose object names CodePipeline generates per execution.',
    );
  }
}

/** The connection's ARN under both service names (CodeStar Connections was renamed CodeConnections). */
export function connectionArnForms(arn: string): string[] {
  const other = arn.includes(':codeconnections:')
    ? arn.replace(':codeconnections:', ':codestar-connections:')
    : arn.replace(':codestar-connections:', ':codeconnections:');
  return [...new Set([arn, other])];
}
