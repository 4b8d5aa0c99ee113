import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SegmentedNetwork, segmentedNetworkDefaults } from '../../constructs/index';
import { gpuFleetDefaults, gpuModelEndpointDefaults } from '../../constructs/inference';
import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';

/**
 * The constructs' defaults are pure functions (`xxxDefaults()`), merged under the given props; the
 * configuration layer's defaults must be the same values, so a platform.yaml that leaves a field out
 * and an app that leaves the prop out build the same thing.
 */
describe('defaults functions', () => {
  test('each call returns a fresh value (callers may not share or change them)', () => {
    expect(segmentedNetworkDefaults()).not.toBe(segmentedNetworkDefaults());
    expect(segmentedNetworkDefaults()).toEqual(segmentedNetworkDefaults());
    expect(gpuModelEndpointDefaults()).toEqual({
      initialInstanceCount: 2,
      targetInvocationsPerInstance: 70,
      dataCaptureSamplingPercentage: 100,
      logRetention: logs.RetentionDays.ONE_YEAR,
    });
    expect(gpuFleetDefaults()).toEqual({ minInstances: 0, rootVolumeSizeGiB: 200, rootDeviceName: '/dev/xvda' });
  });

  test("the configuration's network defaults are the network construct's", () => {
    const d = segmentedNetworkDefaults();
    expect(DEFAULT_PLATFORM_CONFIG.network).toMatchObject({
      cidr: d.cidr,
      maxAzs: d.maxAzs,
      gpuTierCidrMask: d.gpuTierCidrMask,
      endpointsTierCidrMask: d.endpointsTierCidrMask,
      dataTierCidrMask: d.dataTierCidrMask,
    });
  });

  test('a network built with no props is the network the defaults describe', () => {
    const stack = new Stack(new App(), 'D');
    new SegmentedNetwork(stack, 'Network');
    const template = Template.fromStack(stack);
    const d = segmentedNetworkDefaults();
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: d.cidr });
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet')).map((r: any) => r.Properties);
    expect(subnets).toHaveLength(3 * d.maxAzs);
    const masks = subnets.map((s: any) => Number(String(s.CidrBlock).split('/')[1])).sort();
    expect(masks).toEqual(
      [d.gpuTierCidrMask, d.endpointsTierCidrMask, d.dataTierCidrMask].flatMap((m) => Array(d.maxAzs).fill(m)).sort(),
    );
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: d.flowLogsRetention });
  });
});
