import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { OperationalMonitoring, OperationalMonitoringProps } from '../../../constructs/audit';
import { GPU_FLEET_METRICS, gpuFleetAgentConfig } from '../../../constructs/inference/gpu-fleet';
import { appWithFlags, testStack, unacknowledgedFindings } from './nag-helpers';

const GUARDRAIL_ARN = 'arn:aws:bedrock:eu-west-1:111122223333:guardrail/abcd1234efgh';

function fixture(): { stack: Stack; topic: sns.Topic } {
  const app = appWithFlags();
  const stack = testStack(app);
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
  return { stack, topic };
}

const WORKLOADS: OperationalMonitoringProps['workloads'] = [
  {
    name: 'fraud-scoring',
    api: { apiName: 'ztai-fraud-api', stage: 'prod' },
    endpoint: { endpointName: 'ztai-fraud-scoring' },
  },
  { name: 'doc-finetune', gpuFleet: { autoScalingGroupName: 'ztai-doc-finetune-fleet' } },
  { name: 'support-agent', functionName: 'ztai-support-agent' },
  {
    name: 'support-assistant',
    guardrail: { guardrailArn: GUARDRAIL_ARN, guardrailVersion: '1' },
  },
];

function monitoringIn(f: { stack: Stack; topic: sns.Topic }, props: Partial<OperationalMonitoringProps> = {}) {
  return new OperationalMonitoring(f.stack, 'Ops', {
    platformName: 'ztai',
    alarmTopic: f.topic,
    workloads: WORKLOADS,
    ...props,
  });
}

describe('OperationalMonitoring', () => {
  let f: { stack: Stack; topic: sns.Topic };
  let template: Template;

  beforeAll(() => {
    f = fixture();
    monitoringIn(f);
    template = Template.fromStack(f.stack);
  });

  test('one dashboard for the platform', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ztai-operations' });
  });

  test('the alarms, by name', () => {
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties.AlarmName)
      .sort();
    expect(names).toEqual(
      [
        'ztai-ops-fraud-scoring-api-Latency-P99-Warning',
        'ztai-ops-fraud-scoring-api-Error-Rate-Warning',
        'ztai-ops-fraud-scoring-api-Fault-Rate-Critical',
        'ztai-ops-fraud-scoring-endpoint-invocation-5xx-Critical',
        'ztai-ops-fraud-scoring-endpoint-model-latency-p99-Warning',
        'ztai-ops-fraud-scoring-endpoint-gpu-utilization-Warning',
        'ztai-ops-fraud-scoring-endpoint-gpu-memory-Warning',
        'ztai-ops-doc-finetune-fleet-gpu-utilization-Warning',
        'ztai-ops-doc-finetune-fleet-gpu-memory-Warning',
        'ztai-ops-support-agent-function-throttles-Warning',
        'ztai-ops-support-assistant-guardrail-interventions-Critical',
      ].sort(),
    );
  });

  test('guardrail interventions: the sum of InvocationsIntervened of the published version, at 10 in one five-minute period', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-support-assistant-guardrail-interventions-Critical',
      Namespace: 'AWS/Bedrock/Guardrails',
      MetricName: 'InvocationsIntervened',
      // The dimensions Bedrock publishes the metric with, together (monitoring-guardrails-cw-metrics.html).
      Dimensions: [
        { Name: 'GuardrailArn', Value: GUARDRAIL_ARN },
        { Name: 'GuardrailVersion', Value: '1' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
    });
  });

  test('every alarm notifies the topic', () => {
    const topicRef = { Ref: f.stack.getLogicalId(f.topic.node.defaultChild as never) };
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
    }
  });

  test('API 5xx and 4xx error RATES: the average of the error metric (a fraction in [0, 1]) against fractions 0.01 and 0.05', () => {
    for (const [name, metric, threshold] of [
      ['ztai-ops-fraud-scoring-api-Fault-Rate-Critical', '5XXError', 0.01],
      ['ztai-ops-fraud-scoring-api-Error-Rate-Warning', '4XXError', 0.05],
    ] as const) {
      const [alarm] = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
      ) as any[];
      expect(alarm.Properties.Threshold).toBe(threshold);
      expect(alarm.Properties.Threshold).toBeLessThan(1);
      expect(alarm.Properties.ComparisonOperator).toBe('GreaterThanThreshold');
      // The compared series is the Average of the 0/1-per-request metric, i.e. the error rate.
      const stats = alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [
        m.MetricStat.Metric.MetricName,
        m.MetricStat.Stat,
      ]);
      expect(stats).toEqual([[metric, 'Average']]);
    }
  });

  test('API 5xx and 4xx rates and p99 latency by ApiName and Stage', () => {
    const api = [
      { Name: 'ApiName', Value: 'ztai-fraud-api' },
      { Name: 'Stage', Value: 'prod' },
    ];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-api-Fault-Rate-Critical',
      Threshold: 0.01,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: api },
          }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-api-Error-Rate-Warning',
      Threshold: 0.05,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: '4XXError', Dimensions: api },
          }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-api-Latency-P99-Warning',
      Threshold: 2000,
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Latency', Dimensions: api },
            Stat: 'p99',
          }),
        }),
      ]),
    });
  });

  test('endpoint invocation errors, model latency (microseconds) and GPU metrics', () => {
    const endpoint = [
      { Name: 'EndpointName', Value: 'ztai-fraud-scoring' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-endpoint-invocation-5xx-Critical',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Statistic: 'Sum',
      Threshold: 1,
      Dimensions: endpoint,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-endpoint-model-latency-p99-Warning',
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Threshold: 1_000_000,
    });
    for (const [name, metric] of [
      ['gpu-utilization', 'GPUUtilization'],
      ['gpu-memory', 'GPUMemoryUtilization'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `ztai-ops-fraud-scoring-endpoint-${name}-Warning`,
        Namespace: '/aws/sagemaker/Endpoints',
        MetricName: metric,
        Statistic: 'Average',
        Threshold: 90,
        Dimensions: endpoint,
      });
    }
  });

  test('fleet GPU alarms watch exactly what the fleet publishes (GPU_FLEET_METRICS: namespace, metric, dimension)', () => {
    // The contract, spelled out: a change on either side must show up here.
    expect(GPU_FLEET_METRICS).toEqual({
      namespace: 'ZeroTrustAI/GpuFleet',
      gpuUtilization: 'nvidia_smi_utilization_gpu',
      gpuMemoryUtilization: 'nvidia_smi_utilization_memory',
      dimension: 'AutoScalingGroupName',
    });
    for (const [name, metric] of [
      ['gpu-utilization', GPU_FLEET_METRICS.gpuUtilization],
      ['gpu-memory', GPU_FLEET_METRICS.gpuMemoryUtilization],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `ztai-ops-doc-finetune-fleet-${name}-Warning`,
        Namespace: GPU_FLEET_METRICS.namespace,
        MetricName: metric,
        Statistic: 'Average',
        Threshold: 90,
        Dimensions: [{ Name: GPU_FLEET_METRICS.dimension, Value: 'ztai-doc-finetune-fleet' }],
      });
    }
  });

  test("the fleet alarms' namespace is the one the fleet's agent configuration writes to", () => {
    const agent = gpuFleetAgentConfig() as any;
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('doc-finetune-fleet') },
      }),
    ) as any[];
    expect(alarms).toHaveLength(2);
    for (const a of alarms) {
      expect(a.Properties.Namespace).toBe(agent.metrics.namespace);
      expect(a.Properties.Dimensions.map((d: any) => [d.Name])).toEqual(agent.metrics.aggregation_dimensions);
      expect(agent.metrics.metrics_collected.nvidia_gpu.measurement.map((m: string) => `nvidia_smi_${m}`)).toContain(
        a.Properties.MetricName,
      );
    }
  });

  test('function throttles', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-support-agent-function-throttles-Warning',
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: 'ztai-support-agent' }],
    });
  });

  test('all five nag packs are clean', () => {
    expect(unacknowledgedFindings(f.stack)).toEqual([]);
  });
});

describe('OperationalMonitoring options and bad input', () => {
  test('thresholds are configurable', () => {
    const f = fixture();
    monitoringIn(f, { thresholds: { gpuUtilizationPercent: 350, modelLatencyP99Millis: 250 } });
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-endpoint-gpu-utilization-Warning',
      Threshold: 350,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-endpoint-model-latency-p99-Warning',
      Threshold: 250_000,
    });
  });

  test('rate thresholds are fractions: 0.2 and 1 (every request) are accepted', () => {
    const f = fixture();
    monitoringIn(f, { thresholds: { api4xxErrorRate: 0.2, api5xxErrorRate: 1 } });
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-api-Error-Rate-Warning',
      Threshold: 0.2,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-ops-fraud-scoring-api-Fault-Rate-Critical',
      Threshold: 1,
    });
  });

  test.each([
    [{ thresholds: { api5xxErrorRate: 0 } }, /thresholds.api5xxErrorRate must be a positive number, got 0/],
    [
      { thresholds: { api5xxErrorRate: 1 + 1e-9 } },
      /thresholds.api5xxErrorRate is a fraction of requests, greater than 0 and at most 1/,
    ],
    [
      { thresholds: { api4xxErrorRate: 5 } },
      /thresholds.api4xxErrorRate is a fraction of requests, greater than 0 and at most 1 .* got 5; for 5 percent write 0.05/,
    ],
    [{ thresholds: { api5xxErrorRate: 1000 } }, /thresholds.api5xxErrorRate is a fraction of requests.* got 1000$/],
    [
      { thresholds: { guardrailInterventions: 0 } },
      /thresholds.guardrailInterventions must be a positive number, got 0/,
    ],
    [{ platformName: 'ZTAI' }, /platformName must be 2-40 lower-case letters.* got 'ZTAI'/],
    [{ workloads: [{ name: 'Bad_Name' }] }, /workloads\[\].name must be 2-32 lower-case letters.* got 'Bad_Name'/],
    [{ workloads: [{ name: 'a1' }, { name: 'a1' }] }, /workloads\[\].name must be unique, got 'a1' twice/],
  ])('%j', (props, message) => {
    const f = fixture();
    expect(() => monitoringIn(f, props as Partial<OperationalMonitoringProps>)).toThrow(message);
  });
});

describe('OperationalMonitoring dashboard size', () => {
  const many = (n: number): OperationalMonitoringProps['workloads'] =>
    Array.from({ length: n }, (_, i) => ({
      name: `model-${String(i + 1).padStart(3, '0')}`,
      api: { apiName: 'ztai-model-gateway', stage: 'live' },
      endpoint: { endpointName: `ztai-model-${i + 1}` },
      gpuFleet: { autoScalingGroupName: `ztai-fleet-${i + 1}` },
    }));

  test('counts the widgets of its dashboard as rendered', () => {
    const f = fixture();
    const ops = monitoringIn(f);
    const [count] = ops.dashboardWidgetCounts();
    expect(count).toBeGreaterThan(WORKLOADS.length);
    expect(count).toBeLessThanOrEqual(500);
  });

  test('fails at synth when its dashboard would hold more than CloudWatch’s 500 widgets, naming the number', () => {
    const f = fixture();
    const ops = monitoringIn(f, { workloads: many(60) });
    expect(ops.dashboardWidgetCounts()[0]).toBeGreaterThan(500);
    expect(() => Template.fromStack(f.stack)).toThrow(
      /the dashboard ztai-operations has \d+ widgets, over CloudWatch's 500 a dashboard/,
    );
  });
});
