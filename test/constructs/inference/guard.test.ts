/**
 * The platform's Guard rules (policy/guard) on the inference constructs: the secure defaults pass
 * every ZTAI rule; turning network isolation off is caught by ZTAI_ISOLATION_SAGEMAKER_MODEL_NETWORK_ISOLATION
 * (no cdk-nag 3 rule covers SageMaker model network isolation).
 */
import { WorkloadIdentity, WorkloadPrincipal } from '../../../constructs';
import { FleetMachineImage, GpuFleet, GpuModelEndpoint, ModelImage } from '../../../constructs/inference';
import { GuardViolation, newGuardApp, synthGuardViolations } from '../../helpers/guard';
import { DIGEST, inferenceFixture } from './fixtures';

describe('Guard rules on the inference constructs', () => {
  let violations: GuardViolation[];

  beforeAll(() => {
    const app = newGuardApp();
    const f = inferenceFixture(app, 'Guarded');
    const openIdentity = new WorkloadIdentity(f.stack, 'OpenWorkload', {
      workloadName: 'open',
      runsAs: WorkloadPrincipal.SAGEMAKER,
    });
    for (const [id, workload, disableNetworkIsolation] of [
      ['Endpoint', f.sagemakerIdentity, false],
      ['OpenEndpoint', openIdentity, true],
    ] as const) {
      new GpuModelEndpoint(f.stack, id, {
        workload,
        network: f.network,
        modelsBucket: f.modelsBucket,
        approvedModel: { name: 'model', version: '1' },
        image: ModelImage.fromRepository(f.repository, DIGEST),
        instanceType: 'ml.g5.xlarge',
        dataCaptureBucket: f.dataBucket,
        logEncryptionKey: f.keys.logs.key,
        disableNetworkIsolation,
      });
    }
    new GpuFleet(f.stack, 'Fleet', {
      workload: f.ec2Identity,
      network: f.network,
      instanceType: 'g5.2xlarge',
      machineImage: FleetMachineImage.deepLearningBaseGpu(),
      volumeKey: f.keys.data.key,
    });
    violations = synthGuardViolations(app);
  });

  const under = (prefix: string) => violations.filter((v) => (v.constructPath ?? '').startsWith(`Guarded/${prefix}/`));

  test('the secure defaults (endpoint, fleet, repository) pass every ZTAI rule', () => {
    expect([...under('Endpoint'), ...under('Fleet'), ...under('Images')]).toEqual([]);
  });

  test('network isolation off fails ZTAI_ISOLATION_SAGEMAKER_MODEL_NETWORK_ISOLATION on the model, and nothing else', () => {
    expect(under('OpenEndpoint').map((v) => [v.ruleId, v.constructPath])).toEqual([
      ['ZTAI_ISOLATION_SAGEMAKER_MODEL_NETWORK_ISOLATION', 'Guarded/OpenEndpoint/Model'],
    ]);
  });
});
