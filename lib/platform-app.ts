import { App, Environment } from 'aws-cdk-lib';
import { MonitoredWorkload } from '../constructs/audit';
import * as logs from 'aws-cdk-lib/aws-logs';
import { addApiStack, ApiStack, resolveApiConfig } from './api-stack';
import { AuditStack } from './audit-stack';
import { platformStackName, workloadStackName } from './config/names';
import { PlatformConfig } from './config/platform-config';
import { GovernanceStack } from './governance-stack';
import { addModelIntegrity, ModelIntegrity } from './integrity';
import { PlatformStack } from './platform-stack';
import { addWorkloadCompute, WorkloadCompute } from './workloads/compute';
import { WorkloadStack } from './workload-stack';

export interface Platform {
  readonly platform: PlatformStack;
  readonly workloads: ReadonlyMap<string, WorkloadStack>;
  /** Each workload's compute (SageMaker endpoint, GPU fleet, image repository), by workload name. */
  readonly computes: ReadonlyMap<string, WorkloadCompute>;
  readonly audit: AuditStack;
  /** Model signing and admission (in the platform stack): signing key, signer role, admission gate. */
  readonly integrity: ModelIntegrity;
  /** The API front door: every model call enters through it (absent when no model is exposed). */
  readonly api?: ApiStack;
  /** The deploy-time Guard hook; only in the production profile. */
  readonly governance?: GovernanceStack;
}

/**
 * Compose the reference platform from its configuration: one shared platform stack, one stack per
 * workload, and the audit stack. Every role in the app is put under the platform's permissions boundary.
 */
export function buildPlatform(app: App, config: PlatformConfig): Platform {
  const env: Environment | undefined = config.env
    ? { account: config.env.account, region: config.env.region }
    : undefined;
  const platform = new PlatformStack(app, platformStackName(config.platformName), {
    env,
    config,
    description: 'Zero-trust AI platform: network, keys, shared buckets and permissions boundary',
  });
  const integrity = addModelIntegrity(platform, config, config.modelIntegrity);
  const workloads = new Map<string, WorkloadStack>();
  const computes = new Map<string, WorkloadCompute>();
  for (const workload of config.workloads) {
    const stack = new WorkloadStack(app, workloadStackName(config.platformName, workload.name), {
      env,
      platform,
      workload,
      platformName: config.platformName,
      apiClient: (config.api?.clients ?? []).some((c) => c.caller === workload.name),
      description: `Zero-trust AI platform workload: ${workload.name} (${workload.kind})`,
    });
    workloads.set(workload.name, stack);
    computes.set(
      workload.name,
      addWorkloadCompute(stack, platform, workload, { logRetention: config.logRetentionDays as logs.RetentionDays }),
    );
  }
  // The release role pushes each workload's image to exactly that workload's repository (all in the
  // platform stack): no repository-name wildcard.
  integrity.signer.grantPushTo(...[...computes.values()].flatMap((c) => (c.repository ? [c.repository] : [])));
  // A workload that `invokes` a model reaches it only through the API (SigV4 on its route), never
  // with sagemaker:InvokeEndpoint: the API's route roles are the only callers of an endpoint.
  const api = addApiStack(app, config, { platform, workloads, computes }, resolveApiConfig(config.api));
  const audit = new AuditStack(app, `${config.platformName}-audit`, {
    env,
    config,
    platform,
    workloads,
    monitoredWorkloads: monitoredWorkloads(config, computes, api),
    admissionRoleArnPatterns: integrity.admissionRoleArnPatterns,
    admissionDeadLetterQueue: integrity.gate.deadLetterQueue,
    description: 'Zero-trust AI platform: audit trail, security and operational alarms, threat detection',
  });
  const governance =
    config.profile === 'production'
      ? new GovernanceStack(app, `${config.platformName}-governance`, {
          env,
          config,
          description: 'Zero-trust AI platform: deploy-time CloudFormation Guard hook with the platform rules',
        })
      : undefined;
  platform.boundary.applyTo(app);
  return { platform, integrity, workloads, computes, audit, api, governance };
}

/**
 * What the operational dashboard and alarms watch per workload: its API routes (when exposed), its
 * SageMaker endpoint, and its GPU fleet (CloudWatch-agent GPU metrics by Auto Scaling group).
 */
function monitoredWorkloads(
  config: PlatformConfig,
  computes: ReadonlyMap<string, WorkloadCompute>,
  api: ApiStack | undefined,
): MonitoredWorkload[] {
  const base: MonitoredWorkload[] =
    api?.monitoredWorkloads(config, computes) ??
    config.workloads.map((w) => {
      const endpoint = computes.get(w.name)?.endpoint;
      return { name: w.name, endpoint: endpoint ? { endpointName: endpoint.endpointName } : undefined };
    });
  return base.map((m) => {
    const fleet = computes.get(m.name)?.fleet;
    return fleet ? { ...m, gpuFleet: { autoScalingGroupName: fleet.autoScalingGroup.autoScalingGroupName } } : m;
  });
}
