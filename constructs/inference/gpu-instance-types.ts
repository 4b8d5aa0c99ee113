/**
 * Accelerated instance families (NVIDIA GPUs, AWS Inferentia and Trainium) the platform accepts
 * for GPU workloads. A CPU type needs an explicit opt-out in the construct that takes it.
 */
export const GPU_INSTANCE_FAMILIES: readonly string[] = [
  'g4dn',
  'g4ad',
  'g5',
  'g5g',
  'g6',
  'g6e',
  'g6f',
  'gr6',
  'p3',
  'p3dn',
  'p4d',
  'p4de',
  'p5',
  'p5e',
  'p5en',
  'p6-b200',
  'inf1',
  'inf2',
  'trn1',
  'trn1n',
  'trn2',
];

/** EC2 instance type, e.g. `g5.2xlarge`. */
export const EC2_INSTANCE_TYPE_PATTERN = /^([a-z][a-z0-9-]*)\.([a-z0-9]+)$/;
/** SageMaker instance type, e.g. `ml.g5.xlarge`. */
export const SAGEMAKER_INSTANCE_TYPE_PATTERN = /^ml\.([a-z][a-z0-9-]*)\.([a-z0-9]+)$/;

/** The family of an EC2 (`g5.2xlarge`) or SageMaker (`ml.g5.xlarge`) instance type, or undefined if malformed. */
export function instanceFamily(instanceType: string): string | undefined {
  const match = SAGEMAKER_INSTANCE_TYPE_PATTERN.exec(instanceType) ?? EC2_INSTANCE_TYPE_PATTERN.exec(instanceType);
  return match?.[1];
}

/** Whether an instance type belongs to an accelerated family. */
export function isGpuInstanceType(instanceType: string): boolean {
  const family = instanceFamily(instanceType);
  return family !== undefined && GPU_INSTANCE_FAMILIES.includes(family);
}
