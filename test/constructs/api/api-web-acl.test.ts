import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ApiWebAcl, ApiWebAclProps, MANAGED_RULE_GROUPS } from '../../../constructs/api';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack } from '../../helpers/stacks';

function build(props: Partial<ApiWebAclProps> = {}) {
  const { app, stack } = newStack();
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const acl = new ApiWebAcl(stack, 'Acl', {
    maxBodyBytes: 33024,
    logEncryptionKey: key,
    webAclName: 'gw-live',
    ...props,
  });
  return { app, stack, acl, t: Template.fromStack(stack) };
}

function rules(t: Template): any[] {
  return (Object.values(t.findResources('AWS::WAFv2::WebACL'))[0] as any).Properties.Rules;
}

describe('ApiWebAcl', () => {
  test('regional, allows by default, with the body size limit first and a blocking per-IP rate rule', () => {
    const { t } = build();
    t.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL', DefaultAction: { Allow: {} }, Name: 'gw-live' });
    const [body, rate] = rules(t);
    expect(body).toMatchObject({
      Name: 'BodySizeLimit',
      Priority: 0,
      Action: { Block: {} },
      Statement: {
        SizeConstraintStatement: {
          FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
          ComparisonOperator: 'GT',
          Size: 33024,
        },
      },
    });
    expect(rate).toMatchObject({
      Name: 'RateLimitPerIp',
      Action: { Block: {} },
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 1000, EvaluationWindowSec: 300 } },
    });
  });

  test('body inspection limit covers the body limit (33,024 bytes -> 48 KB)', () => {
    const { t } = build();
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_48' } } },
    });
  });

  test('the four AWS managed rule groups, not overridden to count', () => {
    const { t } = build();
    const managed = rules(t).filter((r) => r.Statement.ManagedRuleGroupStatement);
    expect(managed.map((r) => r.Statement.ManagedRuleGroupStatement.Name)).toEqual([...MANAGED_RULE_GROUPS]);
    for (const r of managed) {
      expect(r.OverrideAction).toEqual({ None: {} });
      expect(r.Statement.ManagedRuleGroupStatement.VendorName).toBe('AWS');
    }
  });

  test("a body limit above 8 KB relaxes only the common rule set's own 8 KB body rule to count", () => {
    const common = (t: Template) =>
      rules(t).find((r) => r.Name === 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement;
    expect(common(build().t).RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
    expect(common(build({ maxBodyBytes: 4096 }).t).RuleActionOverrides).toBeUndefined();
  });

  test('logs to an aws-waf-logs-* group, KMS-encrypted and retained, with credentials redacted', () => {
    const { t } = build();
    t.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: 'aws-waf-logs-gw-live', KmsKeyId: Match.anyValue(), RetentionInDays: 365 },
      // A fixed name: retained, but removed when its own create rolls back, so a retry can recreate it.
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    t.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Acl'), 'Arn'] },
      RedactedFields: [
        { SingleHeader: { Name: 'authorization' } },
        { SingleHeader: { Name: 'x-amz-security-token' } },
        { SingleHeader: { Name: 'x-api-key' } },
      ],
    });
    const config = (Object.values(t.findResources('AWS::WAFv2::LoggingConfiguration'))[0] as any).Properties;
    // The group's ARN without the ':*' suffix (WAF refuses it), built from the group's name.
    expect(JSON.stringify(config.LogDestinationConfigs)).toMatch(
      /":log-group:",\{"Ref":"AclLogGroup[0-9A-F]+"\}\]\]\}\]$/,
    );
  });

  test('nag packs are clean', () => {
    const { app } = build();
    expect(describeFindings(nagFindings(app))).toBe('');
  });

  test.each([
    [{ maxBodyBytes: 0 }, /maxBodyBytes must be an integer from 1 to 65536 .* got 0/],
    [{ maxBodyBytes: -5 }, /maxBodyBytes must be an integer from 1 to 65536 .* got -5/],
    [{ maxBodyBytes: 70000 }, /maxBodyBytes must be an integer from 1 to 65536 .* got 70000/],
    [{ rateLimitPerIp: 5 }, /rateLimitPerIp must be an integer from 10 to 2000000000, got 5/],
    [{ rateLimitWindowSeconds: 30 }, /rateLimitWindowSeconds must be one of 60, 120, 300, 600, got 30/],
  ])('bad input %j fails at synth', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
