import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { IWorkloadIdentity, tagWorkload } from '../identity/workload-identity';
import { IPlatformNetwork, SubnetTier } from '../network/segmented-network';
import { warnOwnerMustAdd } from '../private/imported';
import * as perms from '../private/perms';
import { PlatformValidationError, validateIntegerRange } from '../private/validation';
import { allowAutoScalingServiceLinkedRole, autoScalingKeyPolicyStatements } from './autoscaling-key-access';
import { FleetMachineImage } from './fleet-machine-image';
import { EC2_INSTANCE_TYPE_PATTERN, GPU_INSTANCE_FAMILIES, isGpuInstanceType } from './gpu-instance-types';
import { grantWithWildcards, WILDCARD_RESOURCE_REASON, workloadTrusts } from './grants';

/**
 * The GPU metrics every fleet instance publishes, and the contract the operational alarms watch:
 * the CloudWatch agent's `nvidia_gpu` plugin, in this namespace, aggregated by Auto Scaling group
 * (one series per fleet with the single dimension `AutoScalingGroupName`). Metric names are the
 * agent's: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-NVIDIA-GPU.html
 */
export const GPU_FLEET_METRICS = {
  namespace: 'ZeroTrustAI/GpuFleet',
  gpuUtilization: 'nvidia_smi_utilization_gpu',
  gpuMemoryUtilization: 'nvidia_smi_utilization_memory',
  dimension: 'AutoScalingGroupName',
} as const;

/** Where the fleet's user data writes the CloudWatch agent configuration. */
export const GPU_FLEET_AGENT_CONFIG_PATH = '/opt/aws/amazon-cloudwatch-agent/etc/ztai-gpu-metrics.json';
/** What the user data says (on the console and in /var/log/cloud-init-output.log) when the AMI has no agent. */
const MISSING_AGENT_MESSAGE =
  'ztai: the CloudWatch agent (package amazon-cloudwatch-agent) is not on this AMI, so no GPU metrics are published. ' +
  'The GPU tier has no internet and no package repository: bake the agent into the AMI and pin it (compute.amiId).';
/** The CloudWatch agent's control script, where the `amazon-cloudwatch-agent` package installs it. */
const AGENT_CTL = '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl';

/**
 * The CloudWatch agent configuration of a fleet instance: `nvidia_gpu` utilization and memory
 * utilization (measurement names without the `nvidia_smi_` prefix the agent adds), in
 * `GPU_FLEET_METRICS.namespace`, with the Auto Scaling group name appended and an aggregation on it.
 */
export function gpuFleetAgentConfig(): Record<string, unknown> {
  const measurement = (metricName: string) => metricName.replace(/^nvidia_smi_/, '');
  return {
    agent: { metrics_collection_interval: 60 },
    metrics: {
      namespace: GPU_FLEET_METRICS.namespace,
      // Resolved by the agent on the instance (ec2:DescribeTags of its aws:autoscaling:groupName tag).
      append_dimensions: { [GPU_FLEET_METRICS.dimension]: '${aws:AutoScalingGroupName}' },
      aggregation_dimensions: [[GPU_FLEET_METRICS.dimension]],
      metrics_collected: {
        nvidia_gpu: {
          measurement: [
            measurement(GPU_FLEET_METRICS.gpuUtilization),
            measurement(GPU_FLEET_METRICS.gpuMemoryUtilization),
          ],
          metrics_collection_interval: 60,
        },
      },
    },
  };
}

/** The values a `GpuFleet` takes for props that are not given (and do not derive from others). */
export interface GpuFleetDefaults {
  readonly minInstances: number;
  readonly rootVolumeSizeGiB: number;
  readonly rootDeviceName: string;
}

/**
 * The defaults of `GpuFleetProps`, as a pure function: the construct merges the given props over
 * them, and a configuration layer can fill in its own defaults from the same values.
 * (`maxInstances` defaults to `minInstances`, and at least 1.)
 */
export function gpuFleetDefaults(): GpuFleetDefaults {
  return { minInstances: 0, rootVolumeSizeGiB: 200, rootDeviceName: '/dev/xvda' };
}

export interface GpuFleetProps {
  /**
   * The workload the fleet runs; its role (which must trust `ec2.amazonaws.com`) becomes the instance
   * role. A `WorkloadIdentity`, or `WorkloadIdentity.fromRole()` for an existing role.
   */
  readonly workload: IWorkloadIdentity;
  /**
   * The network: instances go in its GPU tier. A `SegmentedNetwork`, or
   * `SegmentedNetwork.fromVpcAttributes()` for an existing VPC.
   */
  readonly network: IPlatformNetwork;
  /** EC2 instance type of a GPU family, e.g. `g5.2xlarge`. */
  readonly instanceType: string;
  /** The machine image: a pinned AMI or an SSM parameter read at deploy time. */
  readonly machineImage: FleetMachineImage;
  /** The platform key that encrypts every EBS volume (and, by default, the scaling-notification topic). */
  readonly volumeKey: kms.IKey;
  /** Fewest instances; 0 lets an idle fleet cost nothing. @default 0 */
  readonly minInstances?: number;
  /** Most instances. @default - minInstances, and at least 1 */
  readonly maxInstances?: number;
  /** Size of the root volume in GiB (model weights and images live there). @default 200 */
  readonly rootVolumeSizeGiB?: number;
  /**
   * Device name of the AMI's root volume, which the launch template overrides so it is encrypted
   * with `volumeKey`. `/dev/xvda` for Amazon Linux (including the Deep Learning AMIs), `/dev/sda1` for Ubuntu.
   * @default '/dev/xvda'
   */
  readonly rootDeviceName?: string;
  /** Where launch, termination and their failures are announced. @default - a topic of the fleet, encrypted with `volumeKey` */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Instance user data. The fleet appends the commands that configure and start the CloudWatch
   * agent for the GPU metrics (`GPU_FLEET_METRICS`).
   * @default - a Linux user data with only those commands
   */
  readonly userData?: ec2.UserData;
  /**
   * ALLOWS A CPU INSTANCE TYPE: skip the check that `instanceType` is of a GPU family.
   * @default false
   */
  readonly allowCpuInstanceType?: boolean;
}

/**
 * A self-managed GPU fleet (vLLM, Triton, batch jobs) in the platform's GPU tier.
 *
 * - Launch template: IMDSv2 required with a hop limit of 1 (containers on the host cannot reach
 *   the instance credentials), the root volume encrypted with the platform key, no public IP, no
 *   key pair, detailed monitoring, the workload's own bounded instance role.
 * - Access only through Systems Manager over the VPC endpoints: the role gets the agent's session
 *   actions, nothing more (not AmazonSSMManagedInstanceCore, an AWS-managed policy with inventory
 *   and patching writes).
 * - Auto Scaling group in the GPU tier, min 0 allowed; a security group of its own with no ingress
 *   except from callers declared with `allowInboundFrom()`; scaling notifications to an encrypted topic.
 * - GPU metrics: the user data configures and starts the CloudWatch agent (`nvidia_gpu`, namespace
 *   `GPU_FLEET_METRICS.namespace`, aggregated by Auto Scaling group); the role may put metric data
 *   in that namespace only. The AMI must carry the agent (package `amazon-cloudwatch-agent`): the
 *   GPU tier has no path to a package repository, so the user data cannot install it and says so
 *   on the console log and in the exit status when it is missing.
 * - The Auto Scaling service-linked role may use the key (see `allowAutoScalingServiceLinkedRole`).
 */
export class GpuFleet extends Construct {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** The security group of the instances: no ingress until `allowInboundFrom()`. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly notificationTopic: sns.ITopic;
  /** The instances' user data (ends with the CloudWatch agent commands for the GPU metrics). */
  public readonly userData: ec2.UserData;

  constructor(scope: Construct, id: string, props: GpuFleetProps) {
    super(scope, id);
    const { workload, network } = props;
    const { min, max, rootSize } = this.validate(props);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: `GPU fleet of ${workload.workloadName}: no ingress except declared callers; HTTPS to the platform endpoints and S3 only`,
      allowAllOutbound: false,
    });
    // The workload tier's group (when the network has one) admits the instances to the interface endpoints.
    const memberOf = network.admitWorkload(this.securityGroup);

    if (!allowAutoScalingServiceLinkedRole(props.volumeKey)) {
      warnOwnerMustAdd(
        this,
        'ztai:fleet-imported-volume-key',
        `volumeKey ${props.volumeKey.keyArn}`,
        'its key policy',
        autoScalingKeyPolicyStatements(),
        "the EC2 Auto Scaling service-linked role encrypts the instances' volumes with it, or instances fail to launch",
      );
    }

    this.userData = props.userData ?? ec2.UserData.forLinux();
    this.userData.addCommands(...gpuMetricsAgentCommands());

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: new ec2.InstanceType(props.instanceType),
      machineImage: props.machineImage.toMachineImage(this),
      userData: this.userData,
      role: workload.role,
      securityGroup: this.securityGroup,
      associatePublicIpAddress: false,
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: props.rootDeviceName ?? gpuFleetDefaults().rootDeviceName,
          volume: ec2.BlockDeviceVolume.ebs(rootSize, {
            encrypted: true,
            kmsKey: props.volumeKey,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    for (const group of memberOf) this.launchTemplate.addSecurityGroup(group);

    this.notificationTopic =
      props.notificationTopic ??
      new sns.Topic(this, 'Notifications', {
        displayName: `Scaling events of the GPU fleet of ${workload.workloadName}`,
        masterKey: props.volumeKey,
        enforceSSL: true,
      });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Resource', {
      vpc: network.vpc,
      vpcSubnets: network.tierSubnets(SubnetTier.GPU),
      launchTemplate: this.launchTemplate,
      minCapacity: min,
      maxCapacity: max,
      cooldown: Duration.minutes(5),
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(10) }),
      groupMetrics: [autoscaling.GroupMetrics.all()],
      notifications: [{ topic: this.notificationTopic, scalingEvents: autoscaling.ScalingEvents.ALL }],
    });

    this.grantSystemsManagerAccess(workload);
    this.grantGpuMetrics(workload);
    tagWorkload(this, workload.workloadName);
  }

  /** Admit a declared caller's security group on one port or port range (never all traffic). */
  public allowInboundFrom(peer: ec2.ISecurityGroup, port: ec2.Port, description?: string): void {
    const rule = port.toRuleJson();
    if (rule.ipProtocol === '-1' || (rule.fromPort === 0 && rule.toPort === 65535)) {
      throw new PlatformValidationError(
        this,
        `allowInboundFrom: port must be one port or a narrow range (e.g. ec2.Port.tcp(8000)), got ${port.toString()}`,
      );
    }
    this.securityGroup.addIngressRule(peer, port, description ?? `Declared caller ${peer.node.path}`);
  }

  private validate(props: GpuFleetProps) {
    if (!workloadTrusts(props.workload, 'ec2.amazonaws.com')) {
      throw new PlatformValidationError(
        this,
        `workload: the instance role of '${props.workload.workloadName}' must trust ec2.amazonaws.com (WorkloadPrincipal.EC2)`,
      );
    }
    const type = props.instanceType;
    if (!Token.isUnresolved(type)) {
      if (!EC2_INSTANCE_TYPE_PATTERN.test(type) || type.startsWith('ml.')) {
        throw new PlatformValidationError(
          this,
          `instanceType must be an EC2 instance type such as 'g5.2xlarge', got '${type}'`,
        );
      }
      if (!isGpuInstanceType(type)) {
        if (!props.allowCpuInstanceType) {
          throw new PlatformValidationError(
            this,
            `instanceType '${type}' is not of a GPU family; allowed families: ${GPU_INSTANCE_FAMILIES.join(', ')}` +
              ' (set allowCpuInstanceType: true if a CPU type is intended)',
          );
        }
        Annotations.of(this).addWarningV2(
          'ztai:fleet-cpu-instance-type',
          `allowCpuInstanceType is true and instanceType '${type}' is not of a GPU family.`,
        );
      }
    }
    const defaults = gpuFleetDefaults();
    const min = props.minInstances ?? defaults.minInstances;
    validateIntegerRange(this, 'minInstances', min, 0, 1000);
    const max = props.maxInstances ?? Math.max(1, min);
    validateIntegerRange(this, 'maxInstances', max, 1, 1000);
    if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && min > max) {
      throw new PlatformValidationError(this, `maxInstances (${max}) must be >= minInstances (${min})`);
    }
    const rootSize = props.rootVolumeSizeGiB ?? defaults.rootVolumeSizeGiB;
    validateIntegerRange(this, 'rootVolumeSizeGiB', rootSize, 8, 16384);
    if (props.rootDeviceName !== undefined && !/^\/dev\/(xvd[a-z]|sd[a-z]1?|nvme0n1)$/.test(props.rootDeviceName)) {
      throw new PlatformValidationError(
        this,
        `rootDeviceName must be the AMI's root device, such as '/dev/xvda' or '/dev/sda1', got '${props.rootDeviceName}'`,
      );
    }
    return { min, max, rootSize };
  }

  /** Session Manager and Run Command through the VPC endpoints, instead of SSH. */
  private grantSystemsManagerAccess(workload: IWorkloadIdentity): void {
    const instances = Stack.of(this).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    grantWithWildcards(
      workload,
      perms.SSM_AGENT_INSTANCE,
      [instances],
      'The Systems Manager agent registers the instance it runs on; instance ids are not known before launch.',
    );
    grantWithWildcards(workload, perms.SSM_AGENT_CHANNELS, ['*'], WILDCARD_RESOURCE_REASON);
  }

  /**
   * What the CloudWatch agent does with the instance role (its credentials come from the instance
   * profile): put metric data in the fleet namespace only (`cloudwatch:namespace`), and read the
   * instance's own tags for `${aws:AutoScalingGroupName}` (ec2:DescribeTags takes no resource).
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/create-iam-roles-for-cloudwatch-agent.html
   * https://github.com/aws/amazon-cloudwatch-agent/blob/main/plugins/processors/ec2tagger/README.md
   */
  private grantGpuMetrics(workload: IWorkloadIdentity): void {
    grantWithWildcards(workload, perms.CLOUDWATCH_PUT_METRICS, ['*'], WILDCARD_RESOURCE_REASON, {
      StringEquals: { 'cloudwatch:namespace': GPU_FLEET_METRICS.namespace },
    });
    grantWithWildcards(workload, perms.CLOUDWATCH_AGENT_EC2_TAGS, ['*'], WILDCARD_RESOURCE_REASON);
  }
}

/**
 * Shell commands that write the agent configuration and start the agent with it
 * (`amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:<path>`), in a subshell so a
 * missing agent fails this step (exit status 1, a message on the console log) without ending the
 * rest of the user data.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/install-CloudWatch-Agent-commandline-fleet.html
 */
export function gpuMetricsAgentCommands(): string[] {
  const config = JSON.stringify(gpuFleetAgentConfig(), undefined, 2);
  return [
    '# ztai: GPU metrics (GPU_FLEET_METRICS) through the CloudWatch agent',
    '(',
    '  set -euo pipefail',
    `  if [ ! -x ${AGENT_CTL} ]; then`,
    `    echo '${MISSING_AGENT_MESSAGE}' >&2`,
    '    exit 1',
    '  fi',
    `  mkdir -p ${GPU_FLEET_AGENT_CONFIG_PATH.replace(/\/[^/]+$/, '')}`,
    `  cat > ${GPU_FLEET_AGENT_CONFIG_PATH} <<'ZTAI_AGENT_CONFIG'`,
    config,
    'ZTAI_AGENT_CONFIG',
    `  ${AGENT_CTL} -a fetch-config -m ec2 -s -c file:${GPU_FLEET_AGENT_CONFIG_PATH}`,
    ')',
  ];
}
