import { Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PlatformConfig } from '../config/platform-config';
import { buildPlatform, Platform } from '../platform-app';

export interface PlatformStageProps extends StageProps {
  /** The platform built in this stage (its `env` is the stage's account and region). */
  readonly config: PlatformConfig;
}

/**
 * One environment of the platform (dev, staging or production) as a CDK `Stage`: the platform's
 * stacks, with the permissions boundary applied inside the stage (an Aspect on the App does not
 * reach it). The App's validation plugins (nag packs, Guard rules, built-in validator) read every
 * stage's stacks: cdk-nag walks the whole construct tree and the CloudFormation validator reads
 * every nested assembly's templates.
 */
export class PlatformStage extends Stage {
  public readonly platform: Platform;

  constructor(scope: Construct, id: string, props: PlatformStageProps) {
    super(scope, id, props);
    this.platform = buildPlatform(this, props.config);
  }
}
