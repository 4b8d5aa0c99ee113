import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { PlatformValidationError } from '../private/validation';

/** An AMI id, `ami-` and 8 or 17 hex digits. */
export const AMI_ID_PATTERN = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * The public SSM parameter of the AWS Deep Learning Base OSS Nvidia Driver GPU AMI (Amazon Linux
 * 2023, x86_64): NVIDIA driver, CUDA and the Systems Manager agent, maintained by AWS.
 */
export const DEEP_LEARNING_BASE_GPU_AL2023_PARAMETER =
  '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id';

/**
 * The machine image of a GPU fleet, resolved without synth-time lookups: a pinned AMI id, or an
 * SSM parameter read by CloudFormation at deploy time (a stack parameter of type
 * `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`, never a context lookup), so the AMI changes
 * only when the stack is deployed, never under a running fleet.
 */
export abstract class FleetMachineImage {
  /** A pinned AMI id (regional: the stack must deploy to the AMI's region). Linux. */
  public static fromAmiId(amiId: string): FleetMachineImage {
    if (!Token.isUnresolved(amiId) && !AMI_ID_PATTERN.test(amiId)) {
      throw new PlatformValidationError(
        undefined,
        `FleetMachineImage.fromAmiId: amiId must look like 'ami-0123456789abcdef0', got '${amiId}'`,
      );
    }
    return new PinnedAmi(amiId);
  }

  /** The AMI an SSM parameter names, read at deploy time (for example an AWS public parameter). Linux. */
  public static fromSsmParameter(parameterName: string): FleetMachineImage {
    if (!Token.isUnresolved(parameterName) && !/^\/[A-Za-z0-9_.\-/]{1,2047}$/.test(parameterName)) {
      throw new PlatformValidationError(
        undefined,
        `FleetMachineImage.fromSsmParameter: parameterName must be a full parameter path such as '${DEEP_LEARNING_BASE_GPU_AL2023_PARAMETER}', got '${parameterName}'`,
      );
    }
    return new SsmParameterAmi(parameterName);
  }

  /** The AWS Deep Learning Base GPU AMI (Amazon Linux 2023), from its public SSM parameter at deploy time. */
  public static deepLearningBaseGpu(): FleetMachineImage {
    return FleetMachineImage.fromSsmParameter(DEEP_LEARNING_BASE_GPU_AL2023_PARAMETER);
  }

  /** The EC2 machine image. */
  public abstract toMachineImage(scope: Construct): ec2.IMachineImage;
}

class PinnedAmi extends FleetMachineImage {
  constructor(private readonly amiId: string) {
    super();
  }

  public toMachineImage(): ec2.IMachineImage {
    const imageId = this.amiId;
    return {
      getImage: () => ({ imageId, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }),
    };
  }
}

class SsmParameterAmi extends FleetMachineImage {
  constructor(private readonly parameterName: string) {
    super();
  }

  public toMachineImage(): ec2.IMachineImage {
    // cachedInContext false: a deploy-time stack parameter, not a synth-time context lookup.
    return ec2.MachineImage.fromSsmParameter(this.parameterName, {
      os: ec2.OperatingSystemType.LINUX,
      cachedInContext: false,
    });
  }
}
