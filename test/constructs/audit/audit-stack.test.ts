import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditStack } from '../../../lib/audit-stack';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { GPU_FLEET_METRICS } from '../../../constructs/inference/gpu-fleet';
import { Profile } from '../../../lib/config/platform-config';
import { validatePlatformConfig } from '../../../lib/config/validate-config';
import { buildPlatform } from '../../../lib/platform-app';
import { appWithFlags, unacknowledgedFindings } from './nag-helpers';

function referenceApp(profile: Profile): { app: App; audit: AuditStack; template: Template } {
  const app = appWithFlags();
  const config = validatePlatformConfig({ ...DEFAULT_PLATFORM_CONFIG, profile });
  const { audit } = buildPlatform(app, config);
  return { app, audit, template: Template.fromStack(audit) };
}

describe('AuditStack in the reference app', () => {
  let dev: ReturnType<typeof referenceApp>;
  let production: ReturnType<typeof referenceApp>;

  beforeAll(() => {
    dev = referenceApp('dev');
    production = referenceApp('production');
  });

  test('one logging, validated, multi-region, KMS-encrypted trail with S3 data events for the platform buckets', () => {
    for (const { template } of [dev, production]) {
      template.resourceCountIs('AWS::CloudTrail::Trail', 1);
      template.hasResourceProperties('AWS::CloudTrail::Trail', {
        TrailName: 'ztai-audit-trail',
        IsLogging: true,
        EnableLogFileValidation: true,
        IsMultiRegionTrail: true,
        KMSKeyId: Match.objectLike({ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'ztai-platform' }) }),
      });
      const selectors = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0].Properties
        .AdvancedEventSelectors;
      const s3Selector = selectors.find((sel: { Name: string }) => sel.Name === 'Every object of the platform buckets');
      const arns = s3Selector.FieldSelectors.find((fs: { Field: string }) => fs.Field === 'resources.ARN').StartsWith;
      expect(arns).toHaveLength(2);
      expect(JSON.stringify(arns[0])).toMatch(/ztai-platform.*DataBucket/);
      expect(JSON.stringify(arns[1])).toMatch(/ztai-platform.*ModelsBucket/);
    }
  });

  test('the audit bucket is Object-Locked: governance in dev, compliance in production', () => {
    const mode = (t: Template) =>
      Object.values(t.findResources('AWS::S3::Bucket'))
        .map((b) => b.Properties.ObjectLockConfiguration?.Rule?.DefaultRetention?.Mode)
        .filter(Boolean);
    expect(mode(dev.template)).toEqual(['GOVERNANCE']);
    expect(mode(production.template)).toEqual(['COMPLIANCE']);
  });

  test('at least 18 metric-filter alarms, and every SNS topic of the app encrypted', () => {
    for (const { app, template } of [dev, production]) {
      expect(Object.keys(template.findResources('AWS::Logs::MetricFilter')).length).toBeGreaterThanOrEqual(18);
      const topics = app.node
        .findAll()
        .filter((c) => (c as { cfnResourceType?: string }).cfnResourceType === 'AWS::SNS::Topic');
      expect(topics.length).toBeGreaterThan(0);
      for (const stack of app.node.children) {
        if (!('templateFile' in stack)) continue;
        for (const topic of Object.values(Template.fromStack(stack as never).findResources('AWS::SNS::Topic'))) {
          expect(topic.Properties.KmsMasterKeyId).toBeDefined();
        }
      }
    }
  });

  test('the model admission gate raises the security alarm: rejections, and admissions left in its dead-letter queue', () => {
    for (const { template } of [dev, production]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'ztai-security-ai-model-admission-rejected',
        Namespace: 'ZeroTrustAI/ModelAdmission',
        MetricName: 'AdmissionRejected',
        Threshold: 1,
        AlarmActions: [Match.anyValue()],
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'ztai-security-ai-model-admission-dead-letters',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
      });
    }
  });

  test("GPU utilisation and memory are watched for the batch fleet: the fleet's metrics (GPU_FLEET_METRICS), by its Auto Scaling group", () => {
    for (const metricName of [GPU_FLEET_METRICS.gpuUtilization, GPU_FLEET_METRICS.gpuMemoryUtilization]) {
      dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'ZeroTrustAI/GpuFleet',
        MetricName: metricName,
        Dimensions: [
          {
            Name: GPU_FLEET_METRICS.dimension,
            Value: Match.objectLike({
              'Fn::GetStackOutput': Match.objectLike({ StackName: 'ztai-workload-doc-finetune' }),
            }),
          },
        ],
      });
    }
  });

  test('API error-rate alarms of the reference app compare fractions (thresholds below 1)', () => {
    const rateAlarms = Object.values(
      dev.template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('-api-(Error|Fault)-Rate-') },
      }),
    ) as any[];
    // The machine API and the people API of fraud-scoring, a 4XX and a 5XX alarm each.
    expect(rateAlarms).toHaveLength(4);
    for (const a of rateAlarms) {
      expect(a.Properties.Threshold).toBeGreaterThan(0);
      expect(a.Properties.Threshold).toBeLessThan(1);
    }
  });

  test('the trail log group is retained, except when its own create rolls back', () => {
    for (const [, group] of Object.entries(dev.template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(group.UpdateReplacePolicy).toBe('Retain');
    }
  });

  test('the security alarms admit the API route roles as the only endpoint invokers', () => {
    const filters = Object.values(dev.template.findResources('AWS::Logs::MetricFilter')).map((f: any) =>
      JSON.stringify(f.Properties.FilterPattern),
    );
    const invocation = filters.filter((p) => p.includes('InvokeEndpoint'));
    expect(invocation).toHaveLength(1);
    expect(invocation[0]).toContain(':role/ztai/api-route/*');
  });

  test('threat detection only in production', () => {
    for (const type of ['AWS::GuardDuty::Detector', 'AWS::SecurityHub::Hub', 'AWS::Config::ConfigurationRecorder']) {
      dev.template.resourceCountIs(type, 0);
      production.template.resourceCountIs(type, 1);
    }
    production.template.resourceCountIs('AWS::GuardDuty::MalwareProtectionPlan', 1);
    production.template.resourceCountIs('AWS::SecurityHub::Standard', 2);
    expect(dev.audit.threatDetection).toBeUndefined();
  });

  test('one operational dashboard, with the realtime endpoint watched', () => {
    dev.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ztai-operations' });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-endpoint-gpu-utilization-Warning',
      Dimensions: [
        { Name: 'EndpointName', Value: 'ztai-workload-fraud-scoring-endpoint' },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
    });
  });

  test('all five nag packs are clean on every stack, in both profiles', () => {
    for (const { app } of [dev, production]) {
      app.synth();
      expect(unacknowledgedFindings(app)).toEqual([]);
      // The packs do run here: they report findings, every one acknowledged.
      expect(new AwsSolutionsChecks(app).validateScope(app).violations.length).toBeGreaterThan(0);
    }
  });
});
