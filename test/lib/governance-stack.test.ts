import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';
import { ConfigValidationError, validatePlatformConfig } from '../../lib/config/validate-config';
import { buildPlatform } from '../../lib/platform-app';
import { newApp } from '../helpers/stacks';

function build(overrides: Record<string, unknown>) {
  return buildPlatform(newApp(), validatePlatformConfig({ ...DEFAULT_PLATFORM_CONFIG, ...overrides }));
}

describe('deploy-time Guard hook in the reference app', () => {
  test('is off in the dev profile', () => {
    expect(build({ profile: 'dev' }).governance).toBeUndefined();
  });

  test('is on in the production profile: failing stack operations, with the platform rules, CDKToolkit exempt', () => {
    const { governance } = build({ profile: 'production' });
    const template = Template.fromStack(governance!);
    template.hasResourceProperties('AWS::CloudFormation::GuardHook', {
      FailureMode: 'FAIL',
      HookStatus: 'ENABLED',
      StackFilters: { FilteringCriteria: 'ALL', StackNames: { Exclude: ['CDKToolkit'] } },
    });
  });

  test('guardHookFailureMode: warn observes without blocking', () => {
    const { governance } = build({ profile: 'production', guardHookFailureMode: 'warn' });
    Template.fromStack(governance!).hasResourceProperties('AWS::CloudFormation::GuardHook', { FailureMode: 'WARN' });
  });

  test('guardHookFailureMode rejects anything but warn or fail', () => {
    expect(() => validatePlatformConfig({ ...DEFAULT_PLATFORM_CONFIG, guardHookFailureMode: 'block' })).toThrow(
      ConfigValidationError,
    );
    expect(() => validatePlatformConfig({ ...DEFAULT_PLATFORM_CONFIG, guardHookFailureMode: 'block' })).toThrow(
      /guardHookFailureMode: must be one of warn, fail, got 'block'/,
    );
  });
});
