import { ProductionVariantInstanceType } from '@aws-sdk/client-sagemaker';
import {
  GPU_INSTANCE_FAMILIES,
  isSageMakerEndpointInstanceType,
  sageMakerEndpointInstanceTypeProblem,
  sageMakerEndpointInstanceTypes,
} from '../../../constructs/inference';

describe('the instance types of SageMaker real-time endpoints', () => {
  test('are exactly the SageMaker API’s ProductionVariantInstanceType values (the SDK’s enum)', () => {
    // When the SDK gains or drops a type, this names it: regenerate SAGEMAKER_ENDPOINT_INSTANCE_SIZES.
    expect(sageMakerEndpointInstanceTypes().sort()).toEqual(Object.values(ProductionVariantInstanceType).sort());
  });

  test.each(['ml.g5.xlarge', 'ml.inf2.xlarge', 'ml.p5.48xlarge', 'ml.p6-b200.48xlarge', 'ml.m5.large'])(
    '%s is offered',
    (type) => expect(isSageMakerEndpointInstanceType(type)).toBe(true),
  );
  test.each([
    'ml.g5g.xlarge',
    'ml.g4ad.xlarge',
    'ml.gr6.4xlarge',
    'ml.p3dn.24xlarge',
    'ml.g5.96xlarge',
    'g5.xlarge',
    'ml.g5',
  ])('%s is not', (type) => expect(isSageMakerEndpointInstanceType(type)).toBe(false));

  test('some GPU families the platform accepts for fleets are not offered by SageMaker, and the problem says which are', () => {
    const unoffered = GPU_INSTANCE_FAMILIES.filter(
      (f) => !sageMakerEndpointInstanceTypes().some((t) => t.startsWith(`ml.${f}.`)),
    );
    expect(unoffered).toEqual(['g4ad', 'g5g', 'g6f', 'gr6', 'p3dn']);
    expect(sageMakerEndpointInstanceTypeProblem('ml.g6f.xlarge', GPU_INSTANCE_FAMILIES)).toBe(
      'SageMaker real-time endpoints do not offer the g6f family; of these families they offer g4dn, g5, g6, g6e, p3, p4d, p4de, p5, p5e, p5en, p6-b200, inf1, inf2, trn1, trn1n, trn2',
    );
    expect(sageMakerEndpointInstanceTypeProblem('ml.g6.xlarge', GPU_INSTANCE_FAMILIES)).toBeUndefined();
  });
});
