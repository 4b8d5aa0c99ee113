/**
 * What issue #11 asks the reference templates to show, read straight from the synthesized assembly (the
 * journeys prove the same through requests; these are the plain template facts a reviewer looks for):
 * no `…IfExists` operator on a deny that reads an SSE header, no account-root `kms:Create*` (or any
 * administration wildcard) in a key policy, API error-rate alarms whose thresholds are fractions, and
 * every SageMaker model's data source under the admission gate's `approved/<workload>/<model>/<version>/files/`.
 */
import { referenceFixture } from './journey';

type Json = Record<string, any>;

const fixture = referenceFixture('dev');
const resources = (type: string): Array<[string, Json]> =>
  fixture.assembly.stacks.flatMap((s) =>
    Object.entries((s.template.Resources ?? {}) as Record<string, Json>)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]): [string, Json] => [`${s.stackName}/${id}`, r]),
  );
const statements = (doc: Json | undefined): Json[] => [doc?.Statement ?? []].flat();
const asList = (v: unknown): string[] => [v ?? []].flat().map(String);

describe('the reference templates', () => {
  test('no deny on an SSE header uses an …IfExists operator (a request without the header must not be denied)', () => {
    const denies = resources('AWS::S3::BucketPolicy').flatMap(([id, r]) =>
      statements(r.Properties.PolicyDocument)
        .filter(
          (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition ?? {}).includes('s3:x-amz-server-side-encryption'),
        )
        .map((s) => ({ id, sid: s.Sid, operators: Object.keys(s.Condition) })),
    );
    // The models and data buckets each deny a wrong algorithm and a wrong key.
    expect(denies.length).toBeGreaterThanOrEqual(4);
    for (const d of denies) {
      expect({ ...d, operators: d.operators.filter((o) => o.endsWith('IfExists')) }).toEqual({ ...d, operators: [] });
      // The header is checked only when present: a Null guard, not IfExists.
      expect([d.id, d.sid, d.operators]).toEqual([d.id, d.sid, expect.arrayContaining(['Null'])]);
    }
  });

  test('no key policy gives anyone kms:Create*, kms:* or another wildcard beyond the two data-key families', () => {
    // kms:GenerateDataKey* and kms:ReEncrypt* are use (data keys, re-encryption), granted to named services.
    const useFamilies = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'];
    const keys = resources('AWS::KMS::Key');
    expect(keys.length).toBeGreaterThanOrEqual(5);
    const wildcards = keys.flatMap(([id, k]) =>
      statements(k.Properties.KeyPolicy)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) =>
          asList(s.Action)
            .filter((a) => a.includes('*') && !useFamilies.includes(a))
            .map((a) => `${id} ${s.Sid ?? ''}: ${a}`),
        ),
    );
    expect(wildcards).toEqual([]);
  });

  test('kms:CreateGrant is allowed only for grants to AWS resources (kms:GrantIsForAWSResource)', () => {
    const grants = resources('AWS::KMS::Key').flatMap(([id, k]) =>
      statements(k.Properties.KeyPolicy)
        .filter((s) => s.Effect === 'Allow' && asList(s.Action).includes('kms:CreateGrant'))
        .map((s) => ({ id, sid: s.Sid, forAwsResource: s.Condition?.Bool?.['kms:GrantIsForAWSResource'] })),
    );
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) expect(g).toEqual({ ...g, forAwsResource: 'true' });
  });

  test('API error-rate alarms compare the average of 4XXError/5XXError (a rate in [0, 1]) with a fraction', () => {
    const rateAlarms = resources('AWS::CloudWatch::Alarm').filter(([, a]) =>
      [
        a.Properties.MetricName,
        ...(a.Properties.Metrics ?? []).map((m: Json) => m.MetricStat?.Metric?.MetricName),
      ].some((name) => name === '4XXError' || name === '5XXError'),
    );
    expect(rateAlarms.length).toBeGreaterThanOrEqual(2);
    for (const [id, a] of rateAlarms) {
      expect([id, a.Properties.Threshold > 0 && a.Properties.Threshold < 1]).toEqual([id, true]);
    }
  });

  test('every SageMaker model reads an S3 prefix under approved/<workload>/<model>/<version>/files/ of the models bucket', () => {
    const models = resources('AWS::SageMaker::Model');
    expect(models.length).toBeGreaterThan(0);
    for (const [id, m] of models) {
      const source = m.Properties.PrimaryContainer.ModelDataSource?.S3DataSource;
      expect([id, m.Properties.PrimaryContainer.ModelDataUrl]).toEqual([id, undefined]);
      expect([id, source?.S3DataType, source?.CompressionType]).toEqual([id, 'S3Prefix', 'None']);
      const uri = JSON.stringify(source?.S3Uri);
      expect([id, uri]).toEqual([
        id,
        expect.stringMatching(/ModelsBucket.*"\/approved\/[a-z0-9-]+\/[^/"]+\/[^/"]+\/files\/"/),
      ]);
    }
  });
});
