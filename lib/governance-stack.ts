import { Aws, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FailureMode, GuardHook } from '../constructs/governance';
import { KeyUsageService, PlatformKey } from '../constructs/keys/platform-key';
import { guardHookKeyAlias, guardRulesBucketName } from './config/names';
import { PlatformConfig } from './config/platform-config';
import { loadGuardRules } from './validation/guard-rules';

export interface GovernanceStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/**
 * Deploy-time enforcement (production profile): a CloudFormation Guard hook with the same rule
 * files the synth-time validator runs (policy/guard), judging every stack created or updated in the
 * account and region, the platform's or not. The CDK bootstrap stack is exempt: it is AWS's, not ours.
 */
export class GovernanceStack extends Stack {
  public readonly guardHook: GuardHook;

  constructor(scope: Construct, id: string, props: GovernanceStackProps) {
    super(scope, id, props);
    // Its roles carry the platform's permissions boundary, which admits this bucket and key by name and alias.
    const key = new PlatformKey(this, 'GuardHookKey', {
      description: 'Guard rules of the deploy-time CloudFormation Guard hook',
      alias: guardHookKeyAlias(props.config.platformName),
      usageServices: [KeyUsageService.S3],
      allowCloudWatchLogs: true,
    });
    this.guardHook = new GuardHook(this, 'GuardHook', {
      encryptionKey: key.key,
      rulesBucketName: guardRulesBucketName(props.config.platformName, Aws.ACCOUNT_ID, Aws.REGION),
      rules: loadGuardRules(),
      failureMode: props.config.guardHookFailureMode === 'warn' ? FailureMode.WARN : FailureMode.FAIL,
      exemptStackNames: ['CDKToolkit'],
    });
  }
}
