import { approvedModelFilesPrefix, approvedModelProblems } from '../../../constructs/inference';
import { parseKey } from '../../../constructs/integrity/admission/admission';

/**
 * The endpoint reads exactly what the admission gate writes: the same layout, and the same rule for
 * model names and versions (a name the gate refuses can never be approved, so an endpoint must
 * refuse it too; a name the gate admits must be accepted).
 */
describe('approved model layout', () => {
  test('the files prefix is approved/<workload>/<model>/<version>/files/', () => {
    expect(approvedModelFilesPrefix('fraud-scoring', { name: 'fraud-model', version: '1' })).toBe(
      'approved/fraud-scoring/fraud-model/1/files/',
    );
    expect(approvedModelFilesPrefix('w1', { name: 'M_2', version: '1.2.0+build.7' })).toBe(
      'approved/w1/M_2/1.2.0+build.7/files/',
    );
  });

  test("a model file the gate would admit lies under the endpoint's prefix, once moved from incoming/ to approved/", () => {
    const incoming = 'incoming/fraud-scoring/fraud-model/1/files/weights/model.safetensors';
    expect(parseKey(incoming)).toEqual({ kind: 'ignored', why: 'a model file; the bundle triggers admission' });
    const approved = incoming.replace(/^incoming\//, 'approved/');
    expect(approved.startsWith(approvedModelFilesPrefix('fraud-scoring', { name: 'fraud-model', version: '1' }))).toBe(
      true,
    );
  });

  // Each candidate is checked both ways: as a model name and as a version.
  test.each([
    ['fraud-model', true],
    ['1', true],
    ['1.2.0+build.7', true],
    ['Model_V2', true],
    ['a'.repeat(128), true],
    ['a'.repeat(129), false],
    ['', false],
    ['.', false],
    ['..', false],
    ['-model', false],
    ['.hidden', false],
    ['a/b', false],
    ['a b', false],
    ['*', false],
    ['modèle', false],
  ])('%j: accepted by the endpoint exactly when the gate admits it (%s)', (segment, admitted) => {
    const asName = parseKey(`incoming/fraud-scoring/${segment}/1/bundle.json`).kind === 'bundle';
    const asVersion = parseKey(`incoming/fraud-scoring/fraud-model/${segment}/bundle.json`).kind === 'bundle';
    expect([asName, asVersion]).toEqual([admitted, admitted]);
    expect(approvedModelProblems({ name: segment, version: '1' })).toHaveLength(admitted ? 0 : 1);
    expect(approvedModelProblems({ name: 'fraud-model', version: segment })).toHaveLength(admitted ? 0 : 1);
  });

  test('problems name the field, the value received and what is allowed', () => {
    expect(approvedModelProblems({ name: '..', version: 'v 1' }, 'workloads[0].compute.model')).toEqual([
      `workloads[0].compute.model.name: must be 1-128 characters of letters, digits, ".", "_", "+" or "-", starting with a letter or digit (one key segment of approved/<workload>/<model>/<version>/files/, the admission gate's rule), got '..'`,
      `workloads[0].compute.model.version: must be 1-128 characters of letters, digits, ".", "_", "+" or "-", starting with a letter or digit (one key segment of approved/<workload>/<model>/<version>/files/, the admission gate's rule), got 'v 1'`,
    ]);
  });
});
