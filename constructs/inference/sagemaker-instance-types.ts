/**
 * The instance types a SageMaker real-time endpoint accepts: the values of `ProductionVariantInstanceType`
 * in the SageMaker API model, as `@aws-sdk/client-sagemaker` 3.1142.0 ships them
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html, `InstanceType`),
 * by family (`ml.<family>.<size>`). A type outside this list fails `CreateEndpointConfig`; the platform
 * refuses it at synth instead. test/constructs/inference/sagemaker-instance-types.test.ts keeps the list
 * equal to the SDK's enum (a devDependency): when the SDK gains types, the test names them.
 */
export const SAGEMAKER_ENDPOINT_INSTANCE_SIZES: Readonly<Record<string, readonly string[]>> = {
  c4: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'],
  c5: ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge'],
  c5d: ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge'],
  c6g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  c6gd: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  c6gn: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  c6i: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge'],
  c6in: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge'],
  c7g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  c7i: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  c8g: ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  dl1: ['24xlarge'],
  g4dn: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  g5: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  g6: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  g6e: ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  g7: ['2xlarge', '4xlarge', '8xlarge', '12xlarge', '24xlarge', '48xlarge'],
  g7e: ['2xlarge', '4xlarge', '8xlarge', '12xlarge', '24xlarge', '48xlarge'],
  inf1: ['xlarge', '2xlarge', '6xlarge', '24xlarge'],
  inf2: ['xlarge', '8xlarge', '24xlarge', '48xlarge'],
  m4: ['xlarge', '2xlarge', '4xlarge', '10xlarge', '16xlarge'],
  m5: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
  m5d: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
  m6g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  m6gd: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  m6i: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge'],
  m7i: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  m8g: ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  p2: ['xlarge', '8xlarge', '16xlarge'],
  p3: ['2xlarge', '8xlarge', '16xlarge'],
  p4d: ['24xlarge'],
  p4de: ['24xlarge'],
  p5: ['4xlarge', '48xlarge'],
  p5e: ['48xlarge'],
  p5en: ['48xlarge'],
  'p6-b200': ['48xlarge'],
  'p6-b300': ['48xlarge'],
  'p6e-gb200': ['36xlarge'],
  r5: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
  r5d: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
  r6g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  r6gd: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  r6i: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge'],
  r7gd: ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  r7i: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  r8g: ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
  t2: ['medium', 'large', 'xlarge', '2xlarge'],
  trn1: ['2xlarge', '32xlarge'],
  trn1n: ['32xlarge'],
  trn2: ['48xlarge'],
};

/** Whether a SageMaker real-time endpoint accepts this instance type (`ml.g5.xlarge`). */
export function isSageMakerEndpointInstanceType(instanceType: string): boolean {
  const match = /^ml\.([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(instanceType);
  return match !== null && (SAGEMAKER_ENDPOINT_INSTANCE_SIZES[match[1]] ?? []).includes(match[2]);
}

/** Every instance type a SageMaker real-time endpoint accepts, `ml.<family>.<size>`. */
export function sageMakerEndpointInstanceTypes(): string[] {
  return Object.entries(SAGEMAKER_ENDPOINT_INSTANCE_SIZES).flatMap(([family, sizes]) =>
    sizes.map((size) => `ml.${family}.${size}`),
  );
}

/**
 * Why a SageMaker real-time endpoint does not accept `instanceType` (a well-formed `ml.<family>.<size>`),
 * naming what it does accept among `candidateFamilies` (e.g. the GPU families); undefined when it does.
 */
export function sageMakerEndpointInstanceTypeProblem(
  instanceType: string,
  candidateFamilies: readonly string[],
): string | undefined {
  if (isSageMakerEndpointInstanceType(instanceType)) return undefined;
  const family = /^ml\.([a-z0-9-]+)\./.exec(instanceType)?.[1] ?? '';
  const sizes = SAGEMAKER_ENDPOINT_INSTANCE_SIZES[family];
  if (sizes) {
    return `SageMaker real-time endpoints offer ml.${family} in sizes ${sizes.join(', ')} only`;
  }
  const offered = candidateFamilies.filter((f) => SAGEMAKER_ENDPOINT_INSTANCE_SIZES[f] !== undefined);
  return `SageMaker real-time endpoints do not offer the ${family} family; of these families they offer ${offered.join(', ')}`;
}
