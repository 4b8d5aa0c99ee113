/**
 * Journey 1, deploy: the order `cdk deploy --all` takes (the manifest's dependencies), the phased path of a
 * first deployment on an empty account (platform → push image + admit model → workloads → api → audit),
 * what must exist before each stack, keys used by ECR only through a grant for an AWS resource, and a
 * failed first create that can be retried (no plainly retained resource with a fixed name).
 * https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-deploy.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
 */
import { evaluateStep, JourneyWorld } from '../../tools/review/journey-dsl';
import { deployOrder, phaseOf } from '../../tools/review/journeys';
import { describeJourney, ENV, journey, mutableCopy } from './journey';

describeJourney(1, {
  extra: ({ fixture, world, result }) => {
    test('`cdk deploy` synthesizes with every validator and no open finding', () => {
      expect(fixture().validationError).toBeUndefined();
    });

    test('`cdk deploy --all` order: the platform first, then the workloads, audit once the fleet it watches exists, the API once every workload does', () => {
      const order = deployOrder(fixture().assembly);
      expect(order).toEqual({
        ok: true,
        order: [
          'ztai-platform',
          'ztai-workload-fraud-scoring',
          'ztai-workload-doc-finetune',
          'ztai-workload-support-agent',
          'ztai-workload-support-assistant',
          'ztai-audit',
          'ztai-api',
        ],
      });
      const deps = Object.fromEntries(
        fixture().assembly.stacks.map((s) => [
          s.stackName,
          (s.dependencies ?? []).filter((d) => !d.endsWith('.assets')),
        ]),
      );
      for (const w of ['fraud-scoring', 'doc-finetune', 'support-agent']) {
        expect(deps[`ztai-workload-${w}`]).toEqual(['ztai-platform']);
        expect(deps['ztai-api']).toContain(`ztai-workload-${w}`);
      }
    });

    test('every stack has a phase, and the phases follow the documented path', () => {
      const phases = Object.fromEntries(
        fixture().assembly.stacks.map((s) => [s.stackName, phaseOf('ztai', s.stackName)]),
      );
      expect(phases).toEqual({
        'ztai-platform': 'platform',
        'ztai-workload-fraud-scoring': 'workloads',
        'ztai-workload-doc-finetune': 'workloads',
        'ztai-workload-support-agent': 'workloads',
        'ztai-workload-support-assistant': 'workloads',
        'ztai-api': 'api',
        'ztai-audit': 'audit',
      });
    });

    test('before the fraud-scoring stack: its image pushed to the platform repository and its configured model admitted', () => {
      const model = fixture().config.workloads.find((w) => w.name === 'fraud-scoring')!.compute?.model;
      expect(model).toEqual({ name: 'fraud-model', version: '1' });
      expect(result('1.3').deciding[0]).toContain(
        `ztai-workload-fraud-scoring needs image ztai-platform/fraud-scoring pushed and s3://ztai-models-${ENV.account}-${ENV.region}/approved/fraud-scoring/fraud-model/1/files/ admitted`,
      );
    });

    describe('negative controls: the checks fail on a template that breaks them', () => {
      const check = async (mutate: (w: JourneyWorld) => void, stepId: string) => {
        const copy = new JourneyWorld(mutableCopy(fixture().assembly), ENV);
        mutate(copy);
        const step = journey(copy, 1).steps.find((s) => s.id === stepId)!;
        return evaluateStep(copy, step);
      };
      const resources = (w: JourneyWorld, stack: string) =>
        w.assembly.stacks.find((s) => s.stackName === stack)!.template.Resources as Record<string, any>;

      test('a bucket with a fixed name that is plainly retained blocks a retry', async () => {
        const r = await check((w) => {
          const [id] = Object.entries(resources(w, 'ztai-platform')).find(([, r]) => r.Properties?.BucketName)!;
          resources(w, 'ztai-platform')[id].DeletionPolicy = 'Retain';
        }, '1.7');
        expect(r.outcome).toBe('fail');
        expect(r.problem).toMatch(/ztai-platform\/\w+ \(AWS::S3::Bucket BucketName, DeletionPolicy Retain\)/);
      });

      test('a key retained on its own rolled-back create', async () => {
        const r = await check((w) => {
          const [id] = Object.entries(resources(w, 'ztai-platform')).find(([, r]) => r.Type === 'AWS::KMS::Key')!;
          resources(w, 'ztai-platform')[id].DeletionPolicy = 'Retain';
        }, '1.8');
        expect(r.outcome).toBe('fail');
      });

      test('a function that reserves concurrency', async () => {
        const r = await check((w) => {
          const [id] = Object.entries(resources(w, 'ztai-platform')).find(
            ([, r]) => r.Type === 'AWS::Lambda::Function',
          )!;
          resources(w, 'ztai-platform')[id].Properties.ReservedConcurrentExecutions = 4;
        }, '1.9');
        expect(r.outcome).toBe('fail');
      });

      test('an endpoint whose model data is not under approved/ of the models bucket', async () => {
        const r = await check((w) => {
          const [id] = Object.entries(resources(w, 'ztai-workload-fraud-scoring')).find(
            ([, r]) => r.Type === 'AWS::SageMaker::Model',
          )!;
          resources(w, 'ztai-workload-fraud-scoring')[id].Properties.PrimaryContainer.ModelDataSource = {
            S3DataSource: { S3Uri: 's3://elsewhere/model/', S3DataType: 'S3Prefix', CompressionType: 'None' },
          };
        }, '1.3');
        expect(r.outcome).toBe('fail');
      });
    });

    test('the world the journey reads is the reference platform', () => {
      expect([world().platformName, world().profile, world().account, world().region]).toEqual([
        'ztai',
        'dev',
        ENV.account,
        ENV.region,
      ]);
    });
  },
});
