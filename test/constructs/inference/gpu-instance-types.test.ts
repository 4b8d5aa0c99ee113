import * as fs from 'fs';
import * as path from 'path';
import {
  GPU_INSTANCE_FAMILIES,
  hasLocalInstanceStorage,
  isGpuInstanceType,
  LOCAL_STORAGE_FAMILIES,
  LOCAL_STORAGE_FAMILY_PATTERN,
} from '../../../constructs/inference';

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

describe('the NVMe list is one list: the Guard rule repeats it exactly', () => {
  // Guard cannot import TypeScript, so ZTAI_ENCRYPTION_SAGEMAKER_ENDPOINT_KMS writes the list out;
  // this test fails the moment the two disagree.
  const guard = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'policy', 'guard', 'encryption.guard'), 'utf8');
  const match = /^let ztai_local_storage_instance_types = \/\^ml\\\.\((.*)\)\\\.\/$/m.exec(guard);

  test('encryption.guard defines ztai_local_storage_instance_types as ml.(<d-pattern>|<families>).', () => {
    expect(match).not.toBeNull();
  });

  test('its alternatives are the d-pattern and exactly LOCAL_STORAGE_FAMILIES, in order', () => {
    const [pattern, ...families] = match![1].split('|');
    expect(pattern).toBe(LOCAL_STORAGE_FAMILY_PATTERN.source.replace(/^\^|\$$/g, ''));
    expect(families).toEqual([...LOCAL_STORAGE_FAMILIES]);
  });

  test('every listed family is a GPU family the constructs accept', () => {
    for (const family of LOCAL_STORAGE_FAMILIES) expect(GPU_INSTANCE_FAMILIES).toContain(family);
  });
});
