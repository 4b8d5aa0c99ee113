import { Template } from 'aws-cdk-lib/assertions';
import { AuditTrail } from '../../../constructs/audit';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { BUCKET, KEY_ARN, TeamAccount, teamAccount, warnings } from '../existing-account';

describe('AuditTrail with an imported key, recording an imported bucket', () => {
  let t: TeamAccount;
  let template: Template;

  beforeAll(() => {
    t = teamAccount();
    new AuditTrail(t.stack, 'Trail', { trailName: 'team-audit', encryptionKey: t.key, dataEventBuckets: [t.bucket] });
    template = Template.fromStack(t.stack);
  });

  test('the trail, its bucket and its log group are encrypted with the existing key; the bucket is recorded by ARN', () => {
    const [trail] = Object.values(template.findResources('AWS::CloudTrail::Trail')) as any[];
    expect(trail.Properties.KMSKeyId).toBe(KEY_ARN);
    expect(JSON.stringify(trail.Properties.AdvancedEventSelectors)).toContain(`arn:aws:s3:::${BUCKET}/`);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: KEY_ARN });
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  test("each statement the trail's key policy needs is named for the key's owner, with this trail's ARN", () => {
    const all = warnings(t.stack, '/Team/Trail', 'ztai:imported-key-policy').join('\n');
    expect(all).toContain('"Service":"cloudtrail.amazonaws.com"');
    expect(all).toContain('arn:aws:cloudtrail:eu-west-1:111122223333:trail/team-audit');
    expect(all).toContain('"Service":"logs.eu-west-1.amazonaws.com"');
    expect(warnings(t.stack, '/Team/Trail', 'ztai:imported-key-policy')).toHaveLength(4);
  });

  test('every cdk-nag pack passes', () => {
    expect(describeFindings(nagFindings(t.stack))).toBe('');
  });
});
