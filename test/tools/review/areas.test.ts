import { areaOfRule, baseRuleId } from '../../../tools/review/areas';

describe('areaOfRule', () => {
  test.each([
    ['AwsSolutions', 'AwsSolutions-IAM5[Action::s3:*]', 'access controls'],
    ['AwsSolutions', 'AwsSolutions-VPC7', 'threat monitoring'],
    ['AwsSolutions', 'AwsSolutions-S1', 'threat monitoring'],
    ['AwsSolutions', 'AwsSolutions-S10', 'encryption'],
    ['AwsSolutions', 'AwsSolutions-EC23', 'workload isolation'],
    ['AwsSolutions', 'AwsSolutions-EC26', 'encryption'],
    ['AwsSolutions', 'AwsSolutions-L1', 'governance'],
    ['NIST.800.53.R5', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'threat monitoring'],
    ['NIST.800.53.R5', 'NIST.800.53.R5-IAMNoInlinePolicy', 'access controls'],
    ['NIST.800.53.R5', 'NIST.800.53.R5-S3BucketVersioningEnabled', 'governance'],
    ['CloudFormation Validate', 'zt_bucket_versioned', 'governance'],
    ['CloudFormation Validate', 'zt_no_public_subnet', 'workload isolation'],
    ['CloudFormation Validate', 'E3002', 'compliance validation'],
  ])('%s %s -> %s', (plugin, rule, area) => {
    expect(areaOfRule(plugin, rule)).toBe(area);
  });

  test('baseRuleId drops the namespace and the evidence', () => {
    expect(baseRuleId('AwsSolutions::AwsSolutions-IAM5[Resource::<B.Arn>/a/*]')).toBe('AwsSolutions-IAM5');
    expect(baseRuleId('s3_versioning')).toBe('s3_versioning');
  });
});
