import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  CustomMetricGroup,
  DefaultDashboardFactory,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { WORKLOAD_NAME_PATTERN } from '../identity/workload-identity';
import { GPU_FLEET_METRICS } from '../inference/gpu-fleet';
import { PlatformValidationError } from '../private/validation';

/**
 * Widgets a CloudWatch dashboard holds at most
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
 */
export const MAX_DASHBOARD_WIDGETS = 500;

/** Where SageMaker publishes endpoint instance metrics (GPU, CPU, memory, disk). */
export const SAGEMAKER_ENDPOINT_INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';
/** Where SageMaker publishes endpoint invocation metrics. */
export const SAGEMAKER_INVOCATION_NAMESPACE = 'AWS/SageMaker';

/** An API Gateway REST API stage, by the `ApiName` and `Stage` dimensions of its metrics. */
export interface MonitoredApi {
  /** The API's name (the `ApiName` metric dimension). */
  readonly apiName: string;
  /** The stage (the `Stage` metric dimension). */
  readonly stage: string;
}

/** A SageMaker real-time endpoint variant. */
export interface MonitoredEndpoint {
  readonly endpointName: string;
  /** @default 'AllTraffic' */
  readonly variantName?: string;
}

/**
 * A self-managed GPU fleet whose instances run the CloudWatch agent with the `nvidia_gpu` metrics
 * and `aggregation_dimensions: [["AutoScalingGroupName"]]`: what `GpuFleet` publishes
 * (`GPU_FLEET_METRICS`, the contract between the fleet and these alarms).
 */
export interface MonitoredGpuFleet {
  readonly autoScalingGroupName: string;
  /** The CloudWatch agent's namespace. @default GPU_FLEET_METRICS.namespace ('ZeroTrustAI/GpuFleet') */
  readonly namespace?: string;
}

/** Where Bedrock publishes guardrail metrics. */
export const BEDROCK_GUARDRAILS_NAMESPACE = 'AWS/Bedrock/Guardrails';

/**
 * A Bedrock guardrail's published version, by the `GuardrailArn` and `GuardrailVersion` dimensions of its
 * metrics (https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-guardrails-cw-metrics.html). The
 * platform's roles may apply no other version of it (the permissions boundary and the workload's own
 * policy name the version), so this version's metrics count all of its traffic.
 */
export interface MonitoredGuardrail {
  /** The guardrail's ARN, without a version (`BedrockGuardrail.guardrailArn`). */
  readonly guardrailArn: string;
  /** The published version (`BedrockGuardrail.guardrailVersion`). */
  readonly guardrailVersion: string;
}

/** What to watch of one workload. Each part is optional: a workload shows what it has. */
export interface MonitoredWorkload {
  /** The workload's name (lower-case letters, digits, '-'); part of every alarm name. */
  readonly name: string;
  /** The API in front of it (another issue builds it). @default - no API metrics */
  readonly api?: MonitoredApi;
  /** Its SageMaker endpoint. @default - no endpoint metrics */
  readonly endpoint?: MonitoredEndpoint;
  /** Its self-managed GPU fleet. @default - no fleet metrics */
  readonly gpuFleet?: MonitoredGpuFleet;
  /** Its Lambda function (agents), for errors and throttles. @default - no function metrics */
  readonly functionName?: string;
  /** Its Bedrock guardrail (genai), for interventions. @default - no guardrail metrics */
  readonly guardrail?: MonitoredGuardrail;
}

/** Alarm thresholds, shared by every workload. */
export interface OperationalThresholds {
  /**
   * API 5xx responses, as a FRACTION of requests (0 < x <= 1; 0.01 is 1 percent). The alarm watches
   * the average of `5XXError`, which API Gateway reports as 1 or 0 per request, so the average is in [0, 1].
   * @default 0.01
   */
  readonly api5xxErrorRate?: number;
  /**
   * API 4xx responses (throttling 429s included), as a FRACTION of requests (0 < x <= 1; 0.05 is
   * 5 percent): the alarm watches the average of `4XXError`, in [0, 1].
   * @default 0.05
   */
  readonly api4xxErrorRate?: number;
  /** API p99 latency, milliseconds. @default 2000 */
  readonly apiLatencyP99Millis?: number;
  /** Endpoint 5xx invocation errors in five minutes. @default 1 */
  readonly endpointInvocation5xxErrors?: number;
  /** Endpoint model latency p99, milliseconds. @default 1000 */
  readonly modelLatencyP99Millis?: number;
  /** GPU utilisation, percent (SageMaker reports 100 per GPU of the instance). @default 90 */
  readonly gpuUtilizationPercent?: number;
  /** GPU memory utilisation, percent (100 per GPU). @default 90 */
  readonly gpuMemoryUtilizationPercent?: number;
  /** Lambda throttles in five minutes. @default 1 */
  readonly functionThrottles?: number;
  /**
   * Guardrail interventions (`InvocationsIntervened`: blocked or masked input or output, prompt attacks
   * included) in five minutes. A few are the guardrail doing its job; a burst is someone probing it.
   * @default 10
   */
  readonly guardrailInterventions?: number;
}

export interface OperationalMonitoringProps {
  /** The platform's name: the dashboard is `<platformName>-operations`, alarms `<platformName>-ops-…`. */
  readonly platformName: string;
  /** Where alarms notify: an encrypted topic (e.g. `SecurityAlarms.topic`). */
  readonly alarmTopic: sns.ITopic;
  /** The workloads. */
  readonly workloads: MonitoredWorkload[];
  /** Alarm thresholds. @default - the defaults of each field */
  readonly thresholds?: OperationalThresholds;
  /**
   * The dashboard's name, when the platform's workloads are watched by several of these (one per shard
   * of workloads). @default `<platformName>-operations`
   */
  readonly dashboardName?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Operational alarms and one CloudWatch dashboard for the platform, built on cdk-monitoring-constructs:
 * per workload, API 4xx/5xx rates (fractions of requests, throttling included) and p99 latency,
 * endpoint invocation errors and model latency, GPU utilisation and GPU memory (SageMaker endpoint
 * instance metrics, or the CloudWatch agent metrics self-managed fleets publish, `GPU_FLEET_METRICS`),
 * function errors and throttles, and Bedrock guardrail interventions. Every alarm notifies `alarmTopic`.
 */
export class OperationalMonitoring extends Construct {
  /** The facade: add more `monitorXxx()` calls to it. */
  public readonly facade: MonitoringFacade;
  /** The dashboard's name. */
  public readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: OperationalMonitoringProps) {
    super(scope, id);
    const t = this.thresholds(props.thresholds ?? {});
    this.validate(props);
    this.dashboardName = props.dashboardName ?? `${props.platformName}-operations`;

    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: `${props.platformName}-ops`,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.alarmTopic }),
      },
      metricFactoryDefaults: {},
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboard', {
        dashboardNamePrefix: this.dashboardName,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });

    for (const w of props.workloads) {
      this.facade.addLargeHeader(`Workload ${w.name}`);
      if (w.api) this.monitorApi(w.name, w.api, t);
      if (w.endpoint) this.monitorEndpoint(w.name, w.endpoint, t);
      if (w.gpuFleet) this.monitorGpuFleet(w.name, w.gpuFleet, t);
      if (w.functionName) this.monitorFunction(w.name, w.functionName, t);
      if (w.guardrail) this.monitorGuardrail(w.name, w.guardrail, t);
    }
    // Widgets are added until synth: counted when the dashboard is rendered.
    this.node.addValidation({ validate: () => this.dashboardProblems() });
  }

  /**
   * The number of widgets on each of this construct's dashboards, as rendered. CloudWatch takes at most
   * `MAX_DASHBOARD_WIDGETS` widgets a dashboard
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html);
   * a platform watching more workloads spreads them over several of these (lib/audit-stack.ts `monitoringShards`).
   */
  public dashboardWidgetCounts(): number[] {
    const stack = Stack.of(this);
    return this.node
      .findAll()
      .filter((c): c is cloudwatch.CfnDashboard => c instanceof cloudwatch.CfnDashboard)
      .map((d) => {
        const resolved = stack.resolve(d.dashboardBody) as unknown;
        // Tokens (region, names) sit inside JSON strings: a placeholder keeps the body parseable.
        const body =
          typeof resolved === 'string'
            ? resolved
            : ((resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] ?? [])
                .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
                .join('');
        return (JSON.parse(body) as { widgets?: unknown[] }).widgets?.length ?? 0;
      });
  }

  private dashboardProblems(): string[] {
    return this.dashboardWidgetCounts()
      .filter((n) => n > MAX_DASHBOARD_WIDGETS)
      .map(
        (n) =>
          `the dashboard ${this.dashboardName} has ${n} widgets, over CloudWatch's ${MAX_DASHBOARD_WIDGETS} a dashboard: ` +
          'watch fewer workloads per OperationalMonitoring (dashboardName names each of several)',
      );
  }

  private monitorApi(workload: string, api: MonitoredApi, t: Required<OperationalThresholds>): void {
    // Metrics need only the API's name; the id is not used by any metric, alarm or widget.
    const restApi = apigw.RestApi.fromRestApiAttributes(this, `${workload}Api`, {
      restApiId: api.apiName,
      rootResourceId: api.apiName,
      restApiName: api.apiName,
    });
    this.facade.monitorApiGateway({
      api: restApi,
      apiStage: api.stage,
      alarmFriendlyName: `${workload}-api`,
      humanReadableName: `${workload} API (${api.apiName}/${api.stage})`,
      // cdk-monitoring-constructs computes these rates as the average of 5XXError/4XXError (its default
      // RateComputationMethod.AVERAGE): a fraction in [0, 1], so the thresholds are fractions too.
      add5XXFaultRateAlarm: { Critical: { maxErrorRate: t.api5xxErrorRate } },
      add4XXErrorRateAlarm: { Warning: { maxErrorRate: t.api4xxErrorRate } },
      addLatencyP99Alarm: { Warning: { maxLatency: Duration.millis(t.apiLatencyP99Millis) } },
    });
  }

  private monitorEndpoint(workload: string, endpoint: MonitoredEndpoint, t: Required<OperationalThresholds>): void {
    const dimensionsMap = { EndpointName: endpoint.endpointName, VariantName: endpoint.variantName ?? 'AllTraffic' };
    const invocation = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: SAGEMAKER_INVOCATION_NAMESPACE,
        metricName,
        dimensionsMap,
        statistic,
        period: FIVE_MINUTES,
      });
    const instance = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: SAGEMAKER_ENDPOINT_INSTANCE_NAMESPACE,
        metricName,
        dimensionsMap,
        statistic: cloudwatch.Stats.AVERAGE,
        period: FIVE_MINUTES,
      });
    const metricGroups: CustomMetricGroup[] = [
      {
        title: 'Invocation errors',
        metrics: [
          {
            metric: invocation('Invocation5XXErrors', cloudwatch.Stats.SUM),
            alarmFriendlyName: 'invocation-5xx',
            addAlarm: { Critical: above(t.endpointInvocation5xxErrors) },
          },
          invocation('Invocation4XXErrors', cloudwatch.Stats.SUM),
          invocation('InvocationModelErrors', cloudwatch.Stats.SUM),
        ],
      },
      {
        title: 'Model latency p99 (microseconds)',
        metrics: [
          {
            metric: invocation('ModelLatency', cloudwatch.Stats.p(99)),
            alarmFriendlyName: 'model-latency-p99',
            // SageMaker reports ModelLatency in microseconds.
            addAlarm: { Warning: above(t.modelLatencyP99Millis * 1000) },
          },
        ],
      },
      {
        title: 'GPU (percent, 100 per GPU)',
        metrics: [
          {
            metric: instance('GPUUtilization'),
            alarmFriendlyName: 'gpu-utilization',
            addAlarm: { Warning: above(t.gpuUtilizationPercent) },
          },
          {
            metric: instance('GPUMemoryUtilization'),
            alarmFriendlyName: 'gpu-memory',
            addAlarm: { Warning: above(t.gpuMemoryUtilizationPercent) },
          },
        ],
      },
    ];
    this.facade.monitorCustom({
      alarmFriendlyName: `${workload}-endpoint`,
      humanReadableName: `${workload} endpoint (${endpoint.endpointName})`,
      metricGroups,
    });
  }

  private monitorGpuFleet(workload: string, fleet: MonitoredGpuFleet, t: Required<OperationalThresholds>): void {
    // The metrics, namespace and dimension the fleet's CloudWatch agent publishes (GPU_FLEET_METRICS).
    const agent = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: fleet.namespace ?? GPU_FLEET_METRICS.namespace,
        metricName,
        dimensionsMap: { [GPU_FLEET_METRICS.dimension]: fleet.autoScalingGroupName },
        statistic: cloudwatch.Stats.AVERAGE,
        period: FIVE_MINUTES,
      });
    this.facade.monitorCustom({
      alarmFriendlyName: `${workload}-fleet`,
      humanReadableName: `${workload} GPU fleet (${fleet.autoScalingGroupName})`,
      metricGroups: [
        {
          title: 'GPU (percent)',
          metrics: [
            {
              metric: agent(GPU_FLEET_METRICS.gpuUtilization),
              alarmFriendlyName: 'gpu-utilization',
              addAlarm: { Warning: above(t.gpuUtilizationPercent) },
            },
            {
              metric: agent(GPU_FLEET_METRICS.gpuMemoryUtilization),
              alarmFriendlyName: 'gpu-memory',
              addAlarm: { Warning: above(t.gpuMemoryUtilizationPercent) },
            },
          ],
        },
      ],
    });
  }

  private monitorFunction(workload: string, functionName: string, t: Required<OperationalThresholds>): void {
    const fn = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: functionName },
        statistic: cloudwatch.Stats.SUM,
        period: FIVE_MINUTES,
      });
    this.facade.monitorCustom({
      alarmFriendlyName: `${workload}-function`,
      humanReadableName: `${workload} function (${functionName})`,
      metricGroups: [
        {
          title: 'Errors and throttles',
          metrics: [
            {
              metric: fn('Throttles'),
              alarmFriendlyName: 'throttles',
              addAlarm: { Warning: above(t.functionThrottles) },
            },
            fn('Errors'),
          ],
        },
      ],
    });
  }

  private monitorGuardrail(workload: string, guardrail: MonitoredGuardrail, t: Required<OperationalThresholds>): void {
    // Counted for every evaluation, ApplyGuardrail and a guardrail named on InvokeModel or Converse alike.
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: BEDROCK_GUARDRAILS_NAMESPACE,
        metricName,
        dimensionsMap: { GuardrailArn: guardrail.guardrailArn, GuardrailVersion: guardrail.guardrailVersion },
        statistic: cloudwatch.Stats.SUM,
        period: FIVE_MINUTES,
      });
    this.facade.monitorCustom({
      alarmFriendlyName: `${workload}-guardrail`,
      humanReadableName: `${workload} guardrail (version ${guardrail.guardrailVersion})`,
      metricGroups: [
        {
          title: 'Guardrail evaluations and interventions',
          metrics: [
            {
              metric: metric('InvocationsIntervened'),
              alarmFriendlyName: 'interventions',
              // A burst is an attack in progress: alarm on the first period, not after three.
              addAlarm: {
                Critical: { ...above(t.guardrailInterventions), datapointsToAlarm: 1, evaluationPeriods: 1 },
              },
            },
            metric('Invocations'),
          ],
        },
      ],
    });
  }

  private thresholds(given: OperationalThresholds): Required<OperationalThresholds> {
    const t: Required<OperationalThresholds> = {
      api5xxErrorRate: given.api5xxErrorRate ?? 0.01,
      api4xxErrorRate: given.api4xxErrorRate ?? 0.05,
      apiLatencyP99Millis: given.apiLatencyP99Millis ?? 2000,
      endpointInvocation5xxErrors: given.endpointInvocation5xxErrors ?? 1,
      modelLatencyP99Millis: given.modelLatencyP99Millis ?? 1000,
      gpuUtilizationPercent: given.gpuUtilizationPercent ?? 90,
      gpuMemoryUtilizationPercent: given.gpuMemoryUtilizationPercent ?? 90,
      functionThrottles: given.functionThrottles ?? 1,
      guardrailInterventions: given.guardrailInterventions ?? 10,
    };
    for (const [field, value] of Object.entries(t)) {
      if (!Token.isUnresolved(value) && (!Number.isFinite(value) || value <= 0)) {
        throw new PlatformValidationError(this, `thresholds.${field} must be a positive number, got ${value}`);
      }
    }
    for (const field of ['api5xxErrorRate', 'api4xxErrorRate'] as const) {
      if (!Token.isUnresolved(t[field]) && t[field] > 1) {
        const hint = t[field] <= 100 ? `; for ${t[field]} percent write ${t[field] / 100}` : '';
        throw new PlatformValidationError(
          this,
          `thresholds.${field} is a fraction of requests, greater than 0 and at most 1 (the alarm compares it with the average of the API's error metric, which is in [0, 1]), got ${t[field]}${hint}`,
        );
      }
    }
    return t;
  }

  private validate(props: OperationalMonitoringProps): void {
    if (!/^[a-z][a-z0-9-]{1,39}$/.test(props.platformName)) {
      throw new PlatformValidationError(
        this,
        `platformName must be 2-40 lower-case letters, digits and '-', starting with a letter, got '${props.platformName}'`,
      );
    }
    if (props.dashboardName !== undefined && !/^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName)) {
      throw new PlatformValidationError(
        this,
        `dashboardName must be 1-255 letters, digits, '-' and '_', got '${props.dashboardName}'`,
      );
    }
    const seen = new Set<string>();
    for (const w of props.workloads) {
      if (!WORKLOAD_NAME_PATTERN.test(w.name)) {
        throw new PlatformValidationError(
          this,
          `workloads[].name must be 2-32 lower-case letters, digits and '-', starting with a letter, got '${w.name}'`,
        );
      }
      if (seen.has(w.name)) {
        throw new PlatformValidationError(this, `workloads[].name must be unique, got '${w.name}' twice`);
      }
      seen.add(w.name);
    }
  }
}

function above(threshold: number) {
  return { threshold, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD };
}
