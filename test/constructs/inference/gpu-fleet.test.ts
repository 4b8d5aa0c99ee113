import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  allowAutoScalingServiceLinkedRole,
  AUTOSCALING_KEY_POLICY_SIDS,
  DEEP_LEARNING_BASE_GPU_AL2023_PARAMETER,
  FleetMachineImage,
  GPU_FLEET_AGENT_CONFIG_PATH,
  GPU_FLEET_METRICS,
  GpuFleet,
  GpuFleetProps,
} from '../../../constructs/inference';
import { ACCOUNT, CfnResolver } from '../../helpers/iam-eval';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { InferenceFixture, inferenceFixture, logicalIdOf, managedPolicyStatements } from './fixtures';

function fleetProps(f: InferenceFixture, overrides: Partial<GpuFleetProps> = {}): GpuFleetProps {
  return {
    workload: f.ec2Identity,
    network: f.network,
    instanceType: 'g5.2xlarge',
    machineImage: FleetMachineImage.deepLearningBaseGpu(),
    volumeKey: f.keys.data.key,
    ...overrides,
  };
}

const SLR_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':iam::',
      { Ref: 'AWS::AccountId' },
      ':role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
    ],
  ],
};

describe('GpuFleet with only the required props', () => {
  let f: InferenceFixture;
  let fleet: GpuFleet;
  let template: Template;
  let launchData: any;

  beforeAll(() => {
    f = inferenceFixture();
    fleet = new GpuFleet(f.stack, 'Fleet', fleetProps(f));
    template = Template.fromStack(f.stack);
    launchData = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0].Properties.LaunchTemplateData;
  });

  test('IMDSv2 is required with a hop limit of 1', () => {
    expect(launchData.MetadataOptions).toEqual({
      HttpEndpoint: 'enabled',
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
      InstanceMetadataTags: 'disabled',
    });
  });

  test('every block device is an EBS volume encrypted with the platform key', () => {
    expect(launchData.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/xvda',
        Ebs: {
          Encrypted: true,
          KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'KeysData'), 'Arn'] },
          VolumeSize: 200,
          VolumeType: 'gp3',
          DeleteOnTermination: true,
        },
      },
    ]);
  });

  test('no public IP, no key pair, detailed monitoring, its own security group and the workload tier’s only', () => {
    expect(launchData.NetworkInterfaces).toEqual([
      {
        DeviceIndex: 0,
        AssociatePublicIpAddress: false,
        Groups: [
          { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'FleetSecurityGroup'), 'GroupId'] },
          // Membership of the workload tier is what the interface endpoints admit.
          {
            'Fn::GetAtt': [
              logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'NetworkWorkloadsSecurityGroup'),
              'GroupId',
            ],
          },
        ],
      },
    ]);
    expect(launchData.KeyName).toBeUndefined();
    expect(launchData.Monitoring).toEqual({ Enabled: true });
    expect(launchData.InstanceType).toBe('g5.2xlarge');
  });

  test('the AMI is read from the SSM parameter at deploy time, without a synth-time lookup', () => {
    const parameters = template.toJSON().Parameters;
    const [name] = Object.keys(parameters).filter((p) => p.startsWith('SsmParameterValue'));
    expect(parameters[name]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      Default: DEEP_LEARNING_BASE_GPU_AL2023_PARAMETER,
    });
    expect(launchData.ImageId).toEqual({ Ref: name });
    // A context lookup would have left a missing-context entry in the assembly.
    expect(f.app.synth().manifest.missing ?? []).toEqual([]);
  });

  test("the instance profile holds the workload's role, which trusts EC2 and is bounded", () => {
    const roleId = logicalIdOf(template, 'AWS::IAM::Role', 'Batch');
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: roleId }] });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      PermissionsBoundary: { Ref: logicalIdOf(template, 'AWS::IAM::ManagedPolicy', 'Boundary') },
      MaxSessionDuration: 3600,
    });
  });

  test('Systems Manager access and GPU metrics only: the agents register the instance, open its channels and publish metrics, nothing more', () => {
    const statements = managedPolicyStatements(template, 'Batch');
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(
      [
        'cloudwatch:PutMetricData',
        'ec2:DescribeTags',
        'ssm:UpdateInstanceInformation',
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
        'ec2messages:AcknowledgeMessage',
        'ec2messages:DeleteMessage',
        'ec2messages:FailMessage',
        'ec2messages:GetEndpoint',
        'ec2messages:GetMessages',
        'ec2messages:SendReply',
      ].sort(),
    );
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent(),
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
    });
  });

  test('the Auto Scaling group runs in the GPU tier, min 0, with EC2 health checks and notifications of every event', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '0',
      MaxSize: '1',
      DesiredCapacity: Match.absent(),
      VPCZoneIdentifier: [
        { Ref: logicalIdOf(template, 'AWS::EC2::Subnet', 'NetworkgpuSubnet1') },
        { Ref: logicalIdOf(template, 'AWS::EC2::Subnet', 'NetworkgpuSubnet2') },
      ],
      HealthCheckType: 'EC2',
      NotificationConfigurations: [
        {
          TopicARN: { Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'FleetNotifications') },
          NotificationTypes: [
            'autoscaling:EC2_INSTANCE_LAUNCH',
            'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
            'autoscaling:EC2_INSTANCE_TERMINATE',
            'autoscaling:EC2_INSTANCE_TERMINATE_ERROR',
          ],
        },
      ],
      Tags: Match.arrayWith([{ Key: 'ai-platform:workload', Value: 'batch', PropagateAtLaunch: true }]),
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'KeysData'), 'Arn'] },
    });
  });

  test('the security group admits nothing and sends only HTTPS to the platform endpoints and S3', () => {
    const sgId = logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'FleetSecurityGroup');
    const sg = template.findResources('AWS::EC2::SecurityGroup')[sgId];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    const into = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r: any) =>
      JSON.stringify(r.Properties.GroupId).includes(sgId),
    );
    expect(into).toEqual([]);
    const egress = [
      ...(sg.Properties.SecurityGroupEgress ?? []),
      ...Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
        .filter((r: any) => JSON.stringify(r.Properties.GroupId).includes(sgId))
        .map((r: any) => r.Properties),
    ];
    expect(egress).toHaveLength(2);
    for (const rule of egress) expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
  });

  test('the key policy lets the Auto Scaling service-linked role use the key, by aws:PrincipalArn', () => {
    const key = template.findResources('AWS::KMS::Key')[logicalIdOf(template, 'AWS::KMS::Key', 'KeysData')];
    const statements = key.Properties.KeyPolicy.Statement;
    expect(statements).toContainEqual({
      Sid: AUTOSCALING_KEY_POLICY_SIDS.use,
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Resource: '*',
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': SLR_ARN },
        StringEquals: { 'kms:CallerAccount': { Ref: 'AWS::AccountId' } },
      },
    });
    expect(statements).toContainEqual({
      Sid: AUTOSCALING_KEY_POLICY_SIDS.grants,
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': SLR_ARN },
        StringEquals: { 'kms:CallerAccount': { Ref: 'AWS::AccountId' } },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    });
    // The models key, which no fleet uses, is unchanged.
    const models = template.findResources('AWS::KMS::Key')[logicalIdOf(template, 'AWS::KMS::Key', 'KeysModels')];
    expect(JSON.stringify(models)).not.toContain('AWSServiceRoleForAutoScaling');
  });

  describe('GPU metrics (the contract the operational alarms watch)', () => {
    /** The user data script, with the tokens of the rendered Fn::Join left as placeholders. */
    const script = () => {
      const b64 = launchData.UserData['Fn::Base64'];
      return typeof b64 === 'string'
        ? b64
        : b64['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '<token>')).join('');
    };
    /** The agent configuration the user data writes (the heredoc body). */
    const agentConfig = () => {
      const match = /<<'ZTAI_AGENT_CONFIG'\n([\s\S]*?)\nZTAI_AGENT_CONFIG\n/.exec(script());
      if (!match) throw new Error(`no agent configuration in the user data:\n${script()}`);
      return JSON.parse(match[1]);
    };

    test('the contract: namespace, metric names and dimension', () => {
      expect(GPU_FLEET_METRICS).toEqual({
        namespace: 'ZeroTrustAI/GpuFleet',
        gpuUtilization: 'nvidia_smi_utilization_gpu',
        gpuMemoryUtilization: 'nvidia_smi_utilization_memory',
        dimension: 'AutoScalingGroupName',
      });
    });

    test('the user data writes the agent configuration: nvidia_gpu measurements in the namespace, by Auto Scaling group', () => {
      expect(script().startsWith('#!/bin/bash\n')).toBe(true);
      expect(script()).toContain(`cat > ${GPU_FLEET_AGENT_CONFIG_PATH} <<'ZTAI_AGENT_CONFIG'`);
      const config = agentConfig();
      expect(config.metrics).toEqual({
        namespace: GPU_FLEET_METRICS.namespace,
        append_dimensions: { AutoScalingGroupName: '${aws:AutoScalingGroupName}' },
        aggregation_dimensions: [['AutoScalingGroupName']],
        metrics_collected: {
          nvidia_gpu: { measurement: ['utilization_gpu', 'utilization_memory'], metrics_collection_interval: 60 },
        },
      });
      // The agent publishes nvidia_gpu measurement <m> as nvidia_smi_<m>: exactly the contract's metric names.
      expect(config.metrics.metrics_collected.nvidia_gpu.measurement.map((m: string) => `nvidia_smi_${m}`)).toEqual([
        GPU_FLEET_METRICS.gpuUtilization,
        GPU_FLEET_METRICS.gpuMemoryUtilization,
      ]);
    });

    test('the user data starts the agent with that configuration, and fails loudly when the AMI has no agent', () => {
      expect(script()).toContain(
        `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${GPU_FLEET_AGENT_CONFIG_PATH}`,
      );
      expect(script()).toMatch(
        /if \[ ! -x \/opt\/aws\/amazon-cloudwatch-agent\/bin\/amazon-cloudwatch-agent-ctl \]; then\n.*not on this AMI.*\n {4}exit 1\n/,
      );
      // Nothing is fetched from the internet or a package repository (the GPU tier has neither).
      expect(script()).not.toMatch(/curl|wget|dnf |yum /);
    });

    test('the role may put metric data only in the fleet namespace', () => {
      const metrics = managedPolicyStatements(template, 'Batch').filter((st) =>
        [st.Action].flat().includes('cloudwatch:PutMetricData'),
      );
      expect(metrics).toEqual([
        {
          Effect: 'Allow',
          Action: 'cloudwatch:PutMetricData',
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'ZeroTrustAI/GpuFleet' } },
        },
      ]);
    });

    /**
     * IAM's decision on an action that takes no resource (`*`), made with a session of the fleet
     * role, whose synthesized policy is evaluated with its intrinsics resolved. (test/helpers/iam-eval
     * evaluates single resources only.)
     */
    const decide = async (action: string, context: Record<string, string> = {}) => {
      const statements = new CfnResolver(f.app).resolve(f.stack.stackName, managedPolicyStatements(template, 'Batch'));
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:sts::${ACCOUNT}:assumed-role/ztai-workload-batch/i-0123456789abcdef0`,
            action,
            resource: { resource: '*', accountId: ACCOUNT },
            contextVariables: {
              'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/ztai-workload-batch`,
              'aws:PrincipalAccount': ACCOUNT,
              ...context,
            },
          },
          identityPolicies: [{ name: 'fleet', policy: { Version: '2012-10-17', Statement: statements } }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
      return result.overallResult;
    };
    const putMetricData = (namespace: string) =>
      decide('cloudwatch:PutMetricData', { 'cloudwatch:namespace': namespace });

    test('IAM evaluation: PutMetricData in the fleet namespace is allowed', async () => {
      await expect(putMetricData('ZeroTrustAI/GpuFleet')).resolves.toBe('Allowed');
    });

    test.each(['CWAgent', 'AWS/EC2', 'ZeroTrustAI/ModelAdmission', 'ZeroTrustAI/GpuFleet2'])(
      'IAM evaluation: PutMetricData in another namespace (%s) is not granted',
      async (namespace) => {
        await expect(putMetricData(namespace)).resolves.toBe('ImplicitlyDenied');
      },
    );

    test('the agent may read the Auto Scaling group tag (ec2:DescribeTags takes no resource)', async () => {
      const describeTags = managedPolicyStatements(template, 'Batch').filter((st) =>
        [st.Action].flat().includes('ec2:DescribeTags'),
      );
      expect(describeTags).toEqual([expect.objectContaining({ Effect: 'Allow', Resource: '*' })]);
      expect(describeTags[0].Condition).toBeUndefined();
      await expect(decide('ec2:DescribeTags')).resolves.toBe('Allowed');
    });
  });

  test('no warnings, and all five nag packs are clean', () => {
    expect(Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('ztai:'))).toEqual([]);
    expect(describeFindings(nagFindings(f.stack))).toBe('');
    expect(fleet.autoScalingGroup.node.id).toBe('Resource');
  });
});

describe('GpuFleet declared callers', () => {
  test('allowInboundFrom admits one caller security group on one port', () => {
    const f = inferenceFixture();
    const fleet = new GpuFleet(f.stack, 'Fleet', fleetProps(f));
    const caller = new ec2.SecurityGroup(f.stack, 'Caller', { vpc: f.network.vpc, allowAllOutbound: false });
    fleet.allowInboundFrom(caller, ec2.Port.tcp(8000));
    const template = Template.fromStack(f.stack);
    const sgId = logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'FleetSecurityGroup');
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r: any) => r.Properties)
      .filter((p: any) => JSON.stringify(p.GroupId).includes(sgId));
    expect(rules).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 8000,
        ToPort: 8000,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [logicalIdOf(template, 'AWS::EC2::SecurityGroup', 'Caller'), 'GroupId'],
        },
      }),
    ]);
    expect(() => fleet.allowInboundFrom(caller, ec2.Port.allTraffic())).toThrow(
      /port must be one port or a narrow range/,
    );
    expect(() => fleet.allowInboundFrom(caller, ec2.Port.tcpRange(0, 65535))).toThrow(/narrow range/);
  });
});

describe('GpuFleet options', () => {
  test('a pinned AMI, a root device and a topic of the caller', () => {
    const f = inferenceFixture();
    new GpuFleet(f.stack, 'Fleet', {
      ...fleetProps(f),
      machineImage: FleetMachineImage.fromAmiId('ami-0123456789abcdef0'),
      rootDeviceName: '/dev/sda1',
      notificationTopic: new sns.Topic(f.stack, 'Alarms', { masterKey: f.keys.logs.key, enforceSSL: true }),
      minInstances: 1,
      maxInstances: 3,
    });
    const template = Template.fromStack(f.stack);
    const data = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0].Properties.LaunchTemplateData;
    expect(data.ImageId).toBe('ami-0123456789abcdef0');
    expect(data.BlockDeviceMappings[0].DeviceName).toBe('/dev/sda1');
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '1', MaxSize: '3' });
    expect(Object.keys(template.toJSON().Parameters ?? {}).filter((p) => p.startsWith('SsmParameterValue'))).toEqual(
      [],
    );
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [
        Match.objectLike({ TopicARN: { Ref: logicalIdOf(template, 'AWS::SNS::Topic', 'Alarms') } }),
      ],
    });
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toHaveLength(1);
  });

  test("the caller's user data runs first; the GPU metrics agent commands follow it", () => {
    const f = inferenceFixture();
    const userData = ec2.UserData.forLinux();
    userData.addCommands('echo caller-setup');
    const fleet = new GpuFleet(f.stack, 'Fleet', { ...fleetProps(f), userData });
    expect(fleet.userData).toBe(userData);
    const data = Object.values(Template.fromStack(f.stack).findResources('AWS::EC2::LaunchTemplate'))[0].Properties
      .LaunchTemplateData;
    const script: string = data.UserData['Fn::Base64'];
    expect(script.indexOf('echo caller-setup')).toBeGreaterThan(0);
    expect(script.indexOf('echo caller-setup')).toBeLessThan(
      script.indexOf('amazon-cloudwatch-agent-ctl -a fetch-config'),
    );
  });

  test('an imported key cannot be changed: a warning says its policy must admit Auto Scaling', () => {
    const f = inferenceFixture();
    const imported = kms.Key.fromKeyArn(f.stack, 'Imported', 'arn:aws:kms:eu-west-1:111122223333:key/abcd');
    expect(allowAutoScalingServiceLinkedRole(imported)).toBe(false);
    new GpuFleet(f.stack, 'Fleet', fleetProps(f, { volumeKey: imported }));
    Annotations.fromStack(f.stack).hasWarning('/Test/Fleet', Match.stringLikeRegexp('ztai:fleet-imported-volume-key'));
  });

  test('two fleets on one key add the service-linked-role statements once', () => {
    const f = inferenceFixture();
    new GpuFleet(f.stack, 'One', fleetProps(f));
    new GpuFleet(f.stack, 'Two', fleetProps(f, { workload: f.ec2Identity }));
    const template = Template.fromStack(f.stack);
    const key = template.findResources('AWS::KMS::Key')[logicalIdOf(template, 'AWS::KMS::Key', 'KeysData')];
    const sids = key.Properties.KeyPolicy.Statement.map((s: any) => s.Sid);
    expect(sids.filter((s: string) => s === AUTOSCALING_KEY_POLICY_SIDS.use)).toHaveLength(1);
  });
});

describe('GpuFleet validation', () => {
  let f: InferenceFixture;
  let n = 0;
  beforeAll(() => {
    f = inferenceFixture();
  });
  const build = (overrides: Partial<GpuFleetProps>) => new GpuFleet(f.stack, `Case${n++}`, fleetProps(f, overrides));

  test.each([
    [
      { instanceType: 'm5.xlarge' },
      /instanceType 'm5.xlarge' is not of a GPU family; allowed families: .*allowCpuInstanceType/,
    ],
    [
      { instanceType: 'ml.g5.xlarge' },
      /instanceType must be an EC2 instance type such as 'g5.2xlarge', got 'ml.g5.xlarge'/,
    ],
    [{ minInstances: 3, maxInstances: 2 }, /maxInstances \(2\) must be >= minInstances \(3\)/],
    [{ minInstances: -1 }, /minInstances must be an integer from 0 to 1000, got -1/],
    [{ maxInstances: 0 }, /maxInstances must be an integer from 1 to 1000, got 0/],
    [{ rootVolumeSizeGiB: 4 }, /rootVolumeSizeGiB must be an integer from 8 to 16384, got 4/],
    [
      { rootDeviceName: 'xvda' },
      /rootDeviceName must be the AMI's root device, such as '\/dev\/xvda' or '\/dev\/sda1', got 'xvda'/,
    ],
  ])('%j is refused at synth', (overrides, message) => {
    expect(() => build(overrides as Partial<GpuFleetProps>)).toThrow(message);
  });

  test('a workload that does not run as EC2 is refused', () => {
    expect(() => build({ workload: f.sagemakerIdentity })).toThrow(
      /the instance role of 'fraud' must trust ec2.amazonaws.com/,
    );
  });

  test('machine images are checked when declared', () => {
    expect(() => FleetMachineImage.fromAmiId('ami-123')).toThrow(
      /amiId must look like 'ami-0123456789abcdef0', got 'ami-123'/,
    );
    expect(() => FleetMachineImage.fromSsmParameter('ami-id')).toThrow(/parameterName must be a full parameter path/);
  });

  test('a CPU type with the explicit opt-out synthesizes, with a warning', () => {
    build({ instanceType: 'm5.xlarge', allowCpuInstanceType: true });
    Annotations.fromStack(f.stack).hasWarning(
      `/Test/Case${n - 1}`,
      Match.stringLikeRegexp('ztai:fleet-cpu-instance-type'),
    );
  });
});
