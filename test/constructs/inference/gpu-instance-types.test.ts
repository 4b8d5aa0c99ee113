import { hasLocalInstanceStorage, isGpuInstanceType } from '../../../constructs/inference';

describe('hasLocalInstanceStorage', () => {
  test.each([
    'ml.g5.xlarge',
    'ml.g4dn.xlarge',
    'ml.p4d.24xlarge',
    'ml.p4de.24xlarge',
    'ml.p5.48xlarge',
    'ml.g6.2xlarge',
    'ml.g6e.xlarge',
    'ml.trn1.2xlarge',
    'ml.m5d.large',
    'g4ad.xlarge',
  ])('%s has local NVMe storage (SageMaker refuses KmsKeyId)', (type) =>
    expect(hasLocalInstanceStorage(type)).toBe(true),
  );
  test.each([
    'ml.inf2.xlarge',
    'ml.inf1.xlarge',
    'ml.p3.2xlarge',
    'ml.g5g.xlarge',
    'ml.m5.large',
    'ml.c7i.large',
    'not-a-type',
  ])('%s has no local storage (or is unknown): KmsKeyId is requested', (type) =>
    expect(hasLocalInstanceStorage(type)).toBe(false),
  );
  test('agrees with the GPU families on the default types', () => {
    expect(isGpuInstanceType('ml.g5.xlarge')).toBe(true);
    expect(isGpuInstanceType('g5.2xlarge')).toBe(true);
  });
});
