import { Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { DeliveryEnvironmentConfig, PlatformConfig } from '../config/platform-config';
import { PipelineBoundary } from './pipeline-boundary';
import { PlatformStage } from './platform-stage';

export interface PlatformPipelineStackProps extends StackProps {
  /** The platform configuration; its `delivery.pipeline` section describes the pipeline. */
  readonly config: PlatformConfig;
  /**
   * The configuration file, relative to the repository root, that the pipeline synthesizes with
   * (`cdk synth -c config=<file>`).
   */
  readonly configFile: string;
}

/**
 * The platform's delivery pipeline (CDK Pipelines) in the tooling account: source from a
 * CodeConnections connection (no secret in the repository), synth, then one `PlatformStage` per
 * environment in the configured order. Before every stage the policy review (`npm run review`)
 * runs on that stage's assembly; its non-zero exit (3 when the change widens access or removes a
 * control) fails the step and blocks promotion. Production also waits for a manual approval.
 * The artifact bucket is encrypted with a customer-managed key of the pipeline's own
 * (`crossAccountKeys`), with rotation on. Every role of the pipeline is under {@link PipelineBoundary}.
 */
export class PlatformPipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  /** The boundary of every role of this stack (not of the stages' roles: they get the platform's). */
  public readonly boundary: PipelineBoundary;
  /** The stages, by environment name. */
  public readonly stages: ReadonlyMap<string, PlatformStage>;

  constructor(scope: Construct, id: string, props: PlatformPipelineStackProps) {
    const delivery = props.config.delivery?.pipeline;
    if (!delivery) {
      throw new Error(`${id}: the configuration has no delivery.pipeline section`);
    }
    super(scope, id, { ...props, env: props.env ?? { account: delivery.toolingAccount, region: delivery.region } });

    const source = pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, {
      connectionArn: delivery.connectionArn,
    });
    const synth = new pipelines.ShellStep('Synth', {
      input: source,
      commands: ['npm ci', 'npm run build', `npx cdk synth -c config=${props.configFile}`],
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: `${props.config.platformName}-delivery`,
      synth,
      crossAccountKeys: true,
      enableKeyRotation: true,
    });

    // Every role of the pipeline stack is bounded. The Aspect stops at the stages' boundary; each
    // stage applies the platform's own boundary to its roles.
    this.boundary = new PipelineBoundary(this, 'Boundary', {
      boundaryName: `${props.config.platformName}-pipeline-boundary`,
    });
    iam.PermissionsBoundary.of(this).apply(this.boundary.policy);

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
  }
}

/** The stage's construct id: it names the stage's assembly (`assembly-<pipeline stack>-<id>`). */
function stageId(environment: DeliveryEnvironmentConfig): string {
  return environment.name.charAt(0).toUpperCase() + environment.name.slice(1);
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
 * present), 1 when synth or review fails: any non-zero exit fails the step and stops the promotion.
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
