import { App, Environment } from 'aws-cdk-lib';
import { AuditStack } from './audit-stack';
import { PlatformConfig } from './config/platform-config';
import { PlatformStack } from './platform-stack';
import { WorkloadStack } from './workload-stack';

export interface Platform {
  readonly platform: PlatformStack;
  readonly workloads: ReadonlyMap<string, WorkloadStack>;
  readonly audit: AuditStack;
}

/**
 * Compose the reference platform from its configuration: one shared platform stack, one stack per
 * workload, and the audit stack. Every role in the app is put under the platform's permissions boundary.
 */
export function buildPlatform(app: App, config: PlatformConfig): Platform {
  const env: Environment | undefined = config.env
    ? { account: config.env.account, region: config.env.region }
    : undefined;
  const platform = new PlatformStack(app, `${config.platformName}-platform`, {
    env,
    config,
    description: 'Zero-trust AI platform: network, keys, shared buckets and permissions boundary',
  });
  const workloads = new Map<string, WorkloadStack>();
  for (const workload of config.workloads) {
    workloads.set(
      workload.name,
      new WorkloadStack(app, `${config.platformName}-workload-${workload.name}`, {
        env,
        platform,
        workload,
        description: `Zero-trust AI platform workload: ${workload.name} (${workload.kind})`,
      }),
    );
  }
  const audit = new AuditStack(app, `${config.platformName}-audit`, {
    env,
    config,
    platform,
    workloads,
    description: 'Zero-trust AI platform: audit trail, security and operational alarms, threat detection',
  });
  platform.boundary.applyTo(app);
  return { platform, workloads, audit };
}
