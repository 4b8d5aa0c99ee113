import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { PlatformValidationError } from '../../constructs/private/validation';
import { DeliveryEnvironmentConfig, PlatformConfig } from '../config/platform-config';
import { PipelineArtifacts } from './pipeline-artifacts';
import { PipelineBoundary } from './pipeline-boundary';
import { PlatformStage } from './platform-stage';
import { acknowledgeCodePipelineSourcedProjects, hardenPipelineRoles } from './private/pipeline-hardening';
import { ARTIFACT_BUCKET_ACTIONS } from './private/pipeline-perms';

export interface PlatformPipelineStackProps extends StackProps {
  /** The platform configuration; its `delivery.pipeline` section describes the pipeline. */
  readonly config: PlatformConfig;
  /**
   * The configuration file, relative to the repository root, that the pipeline synthesizes with
   * (`cdk synth -c config=<file>`).
   */
  readonly configFile: string;
}

/** The exit code of `npm run review` when a change widens access or removes a control (tools/review). */
export const REVIEW_EXIT_NEEDS_REVIEW = 3;

/**
 * The platform's delivery pipeline (CDK Pipelines, CodePipeline V2) in the tooling account: source
 * from a CodeConnections connection (no secret in the repository), synth, then one `PlatformStage`
 * per environment in the configured order. Before every stage the policy review (`npm run review`)
 * runs on that stage's assembly; its non-zero exit (3 when the change widens access or removes a
 * control) fails the step and blocks promotion. Production also waits for a manual approval, after
 * the review. Every stack deploys through a change set (`useChangeSets`).
 *
 * Artifacts: a bucket and key of the pipeline's own ({@link PipelineArtifacts}); every CodeBuild
 * project is encrypted with that key, non-privileged (no step builds a container image) and logs to
 * one encrypted, retained log group. Every role is under {@link PipelineBoundary}, holds its grants
 * in a managed policy with exact actions, and trusts AWS services for this account only.
 *
 * The pipeline mutates itself (`selfMutation`): CDK Pipelines publishes each asset by its content
 * hash, so a pipeline that did not update itself would fail at the first change to an asset (the
 * admission function's code). The branch is therefore the pipeline's root of trust: a merge can
 * change the pipeline, approval included (docs/delivery.md: protect the branch).
 */
export class PlatformPipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  /** The boundary of every role of this stack (not of the stages' roles: they get the platform's). */
  public readonly boundary: PipelineBoundary;
  /** The artifact bucket, its key and log bucket, and the build log group. */
  public readonly artifacts: PipelineArtifacts;
  /** The stages, by environment name. */
  public readonly stages: ReadonlyMap<string, PlatformStage>;

  constructor(scope: Construct, id: string, props: PlatformPipelineStackProps) {
    const delivery = props.config.delivery?.pipeline;
    if (!delivery) {
      throw new PlatformValidationError(undefined, `${id}: the configuration has no delivery.pipeline section`);
    }
    super(scope, id, { ...props, env: props.env ?? { account: delivery.toolingAccount, region: delivery.region } });
    validateSameRegion(this, delivery.region, delivery.environments);

    const platformName = props.config.platformName;
    this.boundary = new PipelineBoundary(this, 'Boundary', {
      boundaryName: `${platformName}-pipeline-boundary`,
    });
    this.artifacts = new PipelineArtifacts(this, 'Artifacts', {
      keyAlias: `${platformName}-pipeline-artifacts`,
      logRetention: props.config.logRetentionDays as logs.RetentionDays,
    });
    this.boundary.capTo(this.artifacts, delivery.connectionArn);

    const source = pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, {
      connectionArn: delivery.connectionArn,
    });
    const synth = new pipelines.ShellStep('Synth', {
      input: source,
      commands: ['npm ci', 'npm run build', `npx cdk synth -c config=${props.configFile}`],
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: `${platformName}-delivery`,
      pipelineType: codepipeline.PipelineType.V2,
      synth,
      artifactBucket: this.artifacts.bucket,
      // The artifact key is the bucket's own (above, rotated); these two govern any key CDK would add.
      crossAccountKeys: true,
      enableKeyRotation: true,
      useChangeSets: true,
      selfMutation: true,
      publishAssetsInParallel: false,
      cliVersion: cdkCliVersion(),
      codeBuildDefaults: {
        buildEnvironment: {
          buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
          computeType: codebuild.ComputeType.SMALL,
          privileged: false,
        },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: '20' } } },
        }),
        logging: { cloudWatch: { logGroup: this.artifacts.buildLogs } },
        timeout: Duration.hours(1),
      },
    });

    const stages = new Map<string, PlatformStage>();
    for (const environment of delivery.environments) {
      const stage = new PlatformStage(this, stageId(environment), {
        env: { account: environment.account, region: environment.region },
        config: environmentConfig(props.config, environment),
      });
      stages.set(environment.name, stage);
      const review = policyReviewStep(environment, stage, source, synth);
      const pre: pipelines.Step[] = [review];
      if (environment.name === 'production') {
        // The approver sees a passed review: the approval waits for it.
        const approval = new pipelines.ManualApprovalStep('ApprovePromotionToProduction', {
          comment: 'Promote to production: read the policy review of this change first.',
        });
        approval.addStepDependency(review);
        pre.push(approval);
      }
      this.pipeline.addStage(stage, { pre });
    }
    this.stages = stages;

    this.pipeline.buildPipeline();
    hardenPipelineRoles(this, [
      {
        resource: this.artifacts.bucket.arnForObjects('*'),
        actions: ARTIFACT_BUCKET_ACTIONS,
        reason:
          'CodePipeline names artifact objects per execution (<pipeline>/<artifact>/<random id>): the role reads and ' +
          'writes objects of its own artifact bucket only, which holds nothing else.',
      },
      {
        resource: `arn:*:iam::${this.account}:role/*`,
        actions: ['sts:AssumeRole'],
        reason:
          'Self-mutation assumes the CDK bootstrap roles of the tooling account, named by the bootstrap qualifier; ' +
          'the statement is narrowed by the iam:ResourceTag/aws-cdk:bootstrap-role condition CDK Pipelines adds.',
      },
      {
        resource: '*',
        actions: ['cloudformation:DescribeStacks', 's3:ListBucket'],
        reason:
          'Self-mutation runs cdk deploy, which describes stacks and lists the bootstrap staging bucket before it ' +
          'assumes the bootstrap deploy role; the boundary caps S3 and CloudFormation to these read calls.',
      },
    ]);
    acknowledgeCodePipelineSourcedProjects(this);
    iam.PermissionsBoundary.of(this).apply(this.boundary.policy);
  }
}

/** The stage's construct id: it names the stage's assembly (`assembly-<pipeline stack>-<id>`). */
function stageId(environment: DeliveryEnvironmentConfig): string {
  return environment.name.charAt(0).toUpperCase() + environment.name.slice(1);
}

/**
 * Every environment in the pipeline's region: a CloudFormation action in another region needs a
 * replication bucket there, which CDK would create in a support stack outside the platform's rules.
 */
function validateSameRegion(
  scope: Construct,
  region: string,
  environments: readonly DeliveryEnvironmentConfig[],
): void {
  const problems = environments.flatMap((e, i) =>
    e.region === region
      ? []
      : [
          `delivery.pipeline.environments[${i}].region: must be the pipeline's region '${region}' (cross-region ` +
            `delivery needs replication buckets this pipeline does not create yet), got '${e.region}'`,
        ],
  );
  if (problems.length > 0) throw new PlatformValidationError(scope, problems.join('; '));
}

/** The project's CDK CLI version (package.json), so self-mutation installs exactly it, not `latest`. */
function cdkCliVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const version = pkg.devDependencies?.['aws-cdk'];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new PlatformValidationError(
      undefined,
      `package.json: devDependencies.aws-cdk must be an exact version, got '${version}'`,
    );
  }
  return version;
}

/** The platform configuration of one environment: its account, region and profile; no pipeline. */
export function environmentConfig(config: PlatformConfig, environment: DeliveryEnvironmentConfig): PlatformConfig {
  return {
    ...config,
    profile: environment.profile,
    env: { account: environment.account, region: environment.region },
    delivery: undefined,
  };
}

/**
 * The policy review of one stage's assembly. `npm run review` exits 3 when the change widens access
 * or removes a control compared with the committed baseline (`review-baseline/<environment>`, when
 * present), 1 when synth or review fails. CodeBuild fails the build on a command's non-zero exit, and
 * a failed step stops the promotion: no `|| true`, no `set +e`.
 */
function policyReviewStep(
  environment: DeliveryEnvironmentConfig,
  stage: PlatformStage,
  source: pipelines.CodePipelineSource,
  synth: pipelines.ShellStep,
): pipelines.ShellStep {
  const baseline = `review-baseline/${environment.name}`;
  return new pipelines.ShellStep(`PolicyReview-${environment.name}`, {
    input: source,
    additionalInputs: { 'cdk.out': synth },
    commands: [
      'npm ci',
      `if [ -d ${baseline} ]; then BASELINE="--baseline ${baseline}"; else BASELINE=""; fi`,
      `npm run review -- --assembly cdk.out/${stage.artifactId} --out review/${environment.name} $BASELINE`,
    ],
  });
}
