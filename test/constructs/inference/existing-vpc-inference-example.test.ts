import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';
import { EXISTING, FraudInferenceStack } from './examples/fraud-inference-stack';

/**
 * examples/existing-vpc-inference is an external app: it imports the library by its package name from
 * the packed tarball (CI packs, installs and synthesizes it). Here the same stack is synthesized from
 * source: examples/fraud-inference-stack.ts is the example's lib/fraud-inference-stack.ts with only the
 * package import made relative, and the first test keeps the two identical.
 */
const EXAMPLE = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'examples',
  'existing-vpc-inference',
  'lib',
  'fraud-inference-stack.ts',
);
const MIRROR = path.join(__dirname, 'examples', 'fraud-inference-stack.ts');

describe('examples/existing-vpc-inference', () => {
  let stack: FraudInferenceStack;
  let template: Template;

  beforeAll(() => {
    stack = new FraudInferenceStack(newApp(), 'acme-fraud-inference');
    template = Template.fromStack(stack);
  });

  test('the mirror synthesized here is the example, but for the package import', () => {
    const example = fs.readFileSync(EXAMPLE, 'utf8');
    const mirror = fs.readFileSync(MIRROR, 'utf8');
    expect(example).toContain("from '@ztai/cdk-constructs';");
    expect(mirror.replace("from '../../../../constructs/index';", "from '@ztai/cdk-constructs';")).toBe(example);
  });

  test('only the workload is created: its role and policy, security group and ingress to the endpoints, endpoint, logs, scaling', () => {
    expect(
      Object.values(template.toJSON().Resources)
        .map((r: any) => r.Type)
        .sort(),
    ).toEqual([
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::SecurityGroupIngress',
      'AWS::IAM::ManagedPolicy',
      'AWS::IAM::Role',
      'AWS::Logs::LogGroup',
      'AWS::SageMaker::Endpoint',
      'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Model',
    ]);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      VpcConfig: { Subnets: EXISTING.isolatedSubnetIds },
      EnableNetworkIsolation: true,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: EXISTING.endpointsSecurityGroupId });
  });

  test('warnings name what the owners of the VPC, the key, the log key and the bucket must keep or add', () => {
    const ids = Annotations.fromStack(stack)
      .findWarning('*', Match.stringLikeRegexp('\\[ack: ztai:'))
      .map((w) => `${w.id} ${/\[ack: (ztai:[a-z-]+)\]/.exec(String(w.entry.data))![1]}`)
      .sort();
    expect(ids).toEqual([
      '/acme-fraud-inference/Endpoint ztai:imported-key-policy',
      '/acme-fraud-inference/Models ztai:imported-bucket-policy',
      '/acme-fraud-inference/Models ztai:imported-key-policy',
      '/acme-fraud-inference/Models ztai:imported-key-policy',
      '/acme-fraud-inference/Network ztai:network-imported',
    ]);
    // Nothing else warns (no CDK warning about the imported subnets either).
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toHaveLength(ids.length);
  });

  test('every cdk-nag pack passes, as the example registers them', () => {
    expect(describeFindings(nagFindings(stack))).toBe('');
  });
});
