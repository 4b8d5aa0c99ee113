import { CloudAssembly } from '../../tools/review/assembly';
import { evaluateStep, JourneyWorld } from '../../tools/review/journey-dsl';
import { describeJourney, ENV, journey, mutableCopy } from './journey';

/** Every raw template resource of a type in an assembly (synthesized JSON has no useful static type). */
function resourcesOfType(a: CloudAssembly, type: string): any[] {
  return a.stacks.flatMap((s) => Object.values(s.template.Resources ?? {}).filter((r) => r.Type === type));
}

describeJourney(3, {
  extra: ({ fixture }) => {
    /** Step 3.10.1 (the bundle triggers the gate) on a copy of the reference assembly with `mutate` applied. */
    const trigger = async (mutate: (a: CloudAssembly) => void) => {
      const copy = mutableCopy(fixture().assembly);
      mutate(copy);
      const w = new JourneyWorld(copy, ENV);
      const step = journey(w, 3).steps.find((s) => s.id === '3.10.1')!;
      const r = await evaluateStep(w, step);
      return { outcome: r.outcome, problem: r.problem };
    };
    const modelsBucket = (a: CloudAssembly) =>
      resourcesOfType(a, 'AWS::S3::Bucket').find((b) => b.Properties.NotificationConfiguration !== undefined);

    test('3.10.1 fails when the models bucket does not send its events to EventBridge', async () => {
      expect(
        await trigger((a) => {
          delete modelsBucket(a).Properties.NotificationConfiguration;
        }),
      ).toEqual({ outcome: 'fail', problem: expect.stringMatching(/does not send its events to EventBridge/) });
    });

    test('3.10.1 fails when the gate admits EventBridge without naming the rule (aws:SourceArn)', async () => {
      expect(
        await trigger((a) => {
          for (const p of resourcesOfType(a, 'AWS::Lambda::Permission')) delete p.Properties.SourceArn;
        }),
      ).toEqual({ outcome: 'fail', problem: expect.stringMatching(/does not admit events\.amazonaws\.com from/) });
    });

    test('3.10.1 fails when the rule matches another bucket, or only the model files', async () => {
      expect(
        await trigger((a) => {
          const [rule] = resourcesOfType(a, 'AWS::Events::Rule').filter((r) => r.Properties.EventPattern?.detail);
          rule.Properties.EventPattern.detail.bucket.name = ['some-other-bucket'];
        }),
      ).toEqual({ outcome: 'fail', problem: expect.stringMatching(/does not match Object Created for incoming\//) });
      expect(
        await trigger((a) => {
          const [rule] = resourcesOfType(a, 'AWS::Events::Rule').filter((r) => r.Properties.EventPattern?.detail);
          rule.Properties.EventPattern.detail.object.key = [{ wildcard: 'incoming/*.safetensors' }];
        }),
      ).toEqual({ outcome: 'fail', problem: expect.stringMatching(/does not match Object Created for incoming\//) });
    });

    test('3.10.1 fails when no enabled rule targets the gate', async () => {
      expect(
        await trigger((a) => {
          for (const r of resourcesOfType(a, 'AWS::Events::Rule')) r.Properties.State = 'DISABLED';
        }),
      ).toEqual({ outcome: 'fail', problem: expect.stringMatching(/^no enabled rule targets /) });
    });
  },
});
