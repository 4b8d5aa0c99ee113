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

/**
 * Families whose instances carry local NVMe instance storage although their name has no `d` after
 * the generation. The Guard rule ZTAI_ENCRYPTION_SAGEMAKER_ENDPOINT_KMS (policy/guard/encryption.guard)
 * repeats this list and `LOCAL_STORAGE_FAMILY_PATTERN` (Guard cannot import it); a test keeps them equal,
 * so a template this code builds passes that rule.
 */
export const LOCAL_STORAGE_FAMILIES: readonly string[] = [
  'g5',
  'g6',
  'g6e',
  'gr6',
  'p5',
  'p5e',
  'p5en',
  'trn1',
  'trn1n',
  'trn2',
];

/** Families with a `d` after the generation (g4dn, p4d, p4de, p3dn, m5d, …): local NVMe instance storage. */
export const LOCAL_STORAGE_FAMILY_PATTERN = /^[a-z]+[0-9]+[a-z]*d[a-z]*$/;

/**
 * Whether an instance type has local NVMe instance storage: families with a `d` after the
 * generation (g4dn, p4d, p4de, p3dn, m5d, …) and the families listed above.
 *
 * SageMaker rejects `KmsKeyId` on an endpoint config whose instances have local storage ("You can't
 * request a KmsKeyId when using an instance type with local storage"); that storage is encrypted by
 * a hardware module on the instance. An unknown family answers false, so the key is requested and a
 * wrong guess fails the deployment instead of leaving a volume under an AWS-managed key.
 */
export function hasLocalInstanceStorage(instanceType: string): boolean {
  const family = instanceFamily(instanceType);
  if (family === undefined) return false;
  return LOCAL_STORAGE_FAMILY_PATTERN.test(family) || LOCAL_STORAGE_FAMILIES.includes(family);
}
