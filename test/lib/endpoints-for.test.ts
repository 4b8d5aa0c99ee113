import { Template } from 'aws-cdk-lib/assertions';
import { PlatformEndpoint } from '../../constructs';
import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';
import { buildPlatform } from '../../lib/platform-app';
import { endpointsFor } from '../../lib/platform-stack';
import { newApp, resourcesOfType } from '../helpers/stacks';

const secretsManagerEndpoints = (json: any) =>
  resourcesOfType(json, 'AWS::EC2::VPCEndpoint').filter(([, e]) =>
    JSON.stringify(e.Properties.ServiceName).endsWith('.secretsmanager"]]}'),
  );

describe('endpointsFor: a Secrets Manager endpoint exactly when the config has API clients', () => {
  test('with API clients (they read their API key from inside the VPC)', () => {
    const endpoints = endpointsFor(DEFAULT_PLATFORM_CONFIG.workloads, DEFAULT_PLATFORM_CONFIG.api!.clients!);
    expect(endpoints.filter((e) => e === PlatformEndpoint.SECRETS_MANAGER)).toHaveLength(1);
  });

  test('without API clients, none', () => {
    expect(endpointsFor(DEFAULT_PLATFORM_CONFIG.workloads, [])).not.toContain(PlatformEndpoint.SECRETS_MANAGER);
    expect(endpointsFor(DEFAULT_PLATFORM_CONFIG.workloads)).not.toContain(PlatformEndpoint.SECRETS_MANAGER);
  });

  test('the reference platform has the endpoint and its DNS allow-list names it; without clients it has neither', () => {
    const withClients = Template.fromStack(buildPlatform(newApp(), DEFAULT_PLATFORM_CONFIG).platform).toJSON();
    expect(secretsManagerEndpoints(withClients)).toHaveLength(1);
    const domains = (json: any) =>
      JSON.stringify(resourcesOfType(json, 'AWS::Route53Resolver::FirewallDomainList').map(([, l]) => l.Properties));
    expect(domains(withClients)).toContain('secretsmanager.');

    const noClients = Template.fromStack(
      buildPlatform(newApp(), { ...DEFAULT_PLATFORM_CONFIG, api: { clients: [] } }).platform,
    ).toJSON();
    expect(secretsManagerEndpoints(noClients)).toHaveLength(0);
    expect(domains(noClients)).not.toContain('secretsmanager.');
  });
});
