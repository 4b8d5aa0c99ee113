import { Annotations, Environment } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MonitoredWorkload } from '../constructs/audit';
import * as logs from 'aws-cdk-lib/aws-logs';
import { addApiStacks, ApiStack, resolveApiConfig } from './api-stack';
import { AuditStack, MonitoringStack, monitoringShards } from './audit-stack';
import { platformStackName, workloadStackName } from './config/names';
import { PlatformConfig } from './config/platform-config';
import { quotaNotes, quotaWarnings, ScaleBudgets } from './config/quotas';
import { GovernanceStack } from './governance-stack';
import { addModelIntegrity, ModelIntegrity } from './integrity';
import { PlatformStack } from './platform-stack';
import { addWorkloadCompute, imageStacks, setImageRepositoriesPerStack, WorkloadCompute } from './workloads/compute';
import { WorkloadStack } from './workload-stack';

export interface Platform {
  readonly platform: PlatformStack;
  readonly workloads: ReadonlyMap<string, WorkloadStack>;
  /** Each workload's compute (SageMaker endpoint, GPU fleet, image repository), by workload name. */
  readonly computes: ReadonlyMap<string, WorkloadCompute>;
  readonly audit: AuditStack;
  /** Model signing and admission (in the platform stack): signing key, signer role, admission gate. */
  readonly integrity: ModelIntegrity;
  /** The API front door: every model call enters through it (absent when no model is exposed). The first of `apis`. */
  readonly api?: ApiStack;
  /** Every API stack: `<platform>-api`, then one `<platform>-api-<n>` per further shard of routes (`apiShards`). */
  readonly apis: readonly ApiStack[];
  /** The monitoring stacks beyond the audit stack's first shard (`<platform>-monitoring-<n>`, n from 2). */
  readonly monitoring: readonly MonitoringStack[];
  /** The deploy-time Guard hook; only in the production profile. */
  readonly governance?: GovernanceStack;
}

/**
 * Compose the reference platform from its configuration: one shared platform stack, one stack per
 * workload, and the audit stack, in `scope`: the App, or a `Stage` (one per environment of a
 * delivery pipeline). Every role under `scope` is put under the platform's permissions boundary;
 * the boundary is applied to `scope` itself because Aspects do not cross a Stage's boundary, so an
 * Aspect on the App would leave every role inside a Stage unbounded. `budgets` lowers the sizes the
 * growing parts are sharded at (API stacks, monitoring stacks, image repositories), for tests.
 */
export function buildPlatform(scope: Construct, config: PlatformConfig, budgets: ScaleBudgets = {}): Platform {
  const env: Environment | undefined = config.env
    ? { account: config.env.account, region: config.env.region }
    : undefined;
  // Stack names are fixed (inside a Stage they would otherwise take the stage's prefix): names of
  // resources derive from them, within length budgets the config validator checks.
  const platformStackId = platformStackName(config.platformName);
  const platform = new PlatformStack(scope, platformStackId, {
    env,
    stackName: platformStackId,
    config,
    description: 'Zero-trust AI platform: network, keys, shared buckets and permissions boundary',
  });
  const integrity = addModelIntegrity(platform, config, config.modelIntegrity);
  if (budgets.imageRepositoriesPerStack !== undefined) {
    setImageRepositoriesPerStack(platform, budgets.imageRepositoriesPerStack);
  }
  const workloads = new Map<string, WorkloadStack>();
  const computes = new Map<string, WorkloadCompute>();
  for (const workload of config.workloads) {
    const stackName = workloadStackName(config.platformName, workload.name);
    const stack = new WorkloadStack(scope, stackName, {
      env,
      stackName,
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
  // The release role pushes each workload's image to exactly that workload's repository while they all
  // fit in the platform stack (no repository-name wildcard). Beyond, the repositories are spread over
  // images stacks, and the role's policy names them by the platform's repository-name prefix, so its
  // size (6,144 characters for a managed policy) does not grow with the workloads; each repository's
  // own policy still admits the release role and only it as pusher.
  if (imageStacks(platform).length === 0) {
    integrity.signer.grantPushTo(...[...computes.values()].flatMap((c) => (c.repository ? [c.repository] : [])));
  } else {
    integrity.signer.grantPushToRepositories(platform.stackName.toLowerCase());
  }
  // A workload that `invokes` a model reaches it only through the API (SigV4 on its route), never
  // with sagemaker:InvokeEndpoint: the API's route roles are the only callers of an endpoint.
  const apis = addApiStacks(
    scope,
    config,
    { platform, workloads, computes },
    resolveApiConfig(config.api),
    budgets.api,
  );
  const api = apis[0];
  // Per-workload alarms and dashboards grow with the platform: the audit stack takes the first shard,
  // monitoring stacks the others.
  const [firstMonitored = [], ...moreMonitored] = monitoringShards(
    config,
    monitoredWorkloads(config, platform, computes, apis),
    budgets.monitoredWorkloadsPerStack,
  );
  const audit = new AuditStack(scope, `${config.platformName}-audit`, {
    env,
    stackName: `${config.platformName}-audit`,
    config,
    platform,
    workloads,
    monitoredWorkloads: firstMonitored,
    admissionRoleArnPatterns: integrity.admissionRoleArnPatterns,
    admissionDeadLetterQueue: integrity.gate.deadLetterQueue,
    description: 'Zero-trust AI platform: audit trail, security and operational alarms, threat detection',
  });
  const governance =
    config.profile === 'production'
      ? new GovernanceStack(scope, `${config.platformName}-governance`, {
          env,
          stackName: `${config.platformName}-governance`,
          config,
          description: 'Zero-trust AI platform: deploy-time CloudFormation Guard hook with the platform rules',
        })
      : undefined;
  const monitoring = moreMonitored.map((shard, i) => {
    const stackName = `${config.platformName}-monitoring-${i + 2}`;
    return new MonitoringStack(scope, stackName, {
      env,
      stackName,
      config,
      audit,
      monitoredWorkloads: shard,
      shard: i + 2,
      description: `Zero-trust AI platform: operational alarms and dashboard, workloads shard ${i + 2}`,
    });
  });
  // Quotas a synth does not show: adjustable defaults exceeded warn, account-specific ones are noted (lib/config/quotas.ts).
  const [warnings, notes] = [quotaWarnings(config, budgets), quotaNotes(config, budgets)];
  if (warnings.length > 0) Annotations.of(platform).addWarningV2('ztai:service-quota', warnings.join('; '));
  if (notes.length > 0) Annotations.of(platform).addInfoV2('ztai:service-quota-needs', notes.join('; '));
  platform.boundary.applyTo(scope);
  return { platform, integrity, workloads, computes, audit, api, apis, monitoring, governance };
}

/**
 * What the operational dashboard and alarms watch per workload: its API routes (when exposed), its
 * SageMaker endpoint, its GPU fleet (CloudWatch-agent GPU metrics by Auto Scaling group) and its Bedrock
 * guardrail (interventions).
 */
function monitoredWorkloads(
  config: PlatformConfig,
  platform: PlatformStack,
  computes: ReadonlyMap<string, WorkloadCompute>,
  apis: readonly ApiStack[],
): MonitoredWorkload[] {
  let base: MonitoredWorkload[] = config.workloads.map((w) => {
    const endpoint = computes.get(w.name)?.endpoint;
    return { name: w.name, endpoint: endpoint ? { endpointName: endpoint.endpointName } : undefined };
  });
  if (apis.length === 1) {
    base = apis[0].monitoredWorkloads(config, computes);
  } else if (apis.length > 1) {
    // Each workload's machine API from the shard that routes it; people-API entries from every shard.
    const perShard = apis.map((a) => a.monitoredWorkloads(config, computes));
    const byName = new Map<string, MonitoredWorkload>();
    for (const entries of perShard) {
      for (const m of entries) {
        const seen = byName.get(m.name);
        if (!seen || (!seen.api && m.api)) byName.set(m.name, m);
      }
    }
    const people = [...byName.values()].filter((m) => !config.workloads.some((w) => w.name === m.name));
    base = [...config.workloads.map((w) => byName.get(w.name)!), ...people];
  }
  return base.map((m) => {
    const fleet = computes.get(m.name)?.fleet;
    const guardrail = platform.genai?.guardrails.get(m.name);
    return {
      ...m,
      ...(fleet ? { gpuFleet: { autoScalingGroupName: fleet.autoScalingGroup.autoScalingGroupName } } : {}),
      ...(guardrail
        ? { guardrail: { guardrailArn: guardrail.guardrailArn, guardrailVersion: guardrail.guardrailVersion } }
        : {}),
    };
  });
}
