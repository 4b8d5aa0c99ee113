import { Token } from 'aws-cdk-lib';
import { subjectSegmentProblem } from '../signing/manifest';
import { APPROVED_PREFIX, FILES_DIR, versionPrefix } from '../integrity/admission/admission';

/**
 * One approved version of a model, as the admission gate lays it out in the models bucket:
 * `approved/<workload>/<name>/<version>/files/<path>` (constructs/integrity/admission/admission.ts).
 */
export interface ApprovedModelVersion {
  /** The model's name: the `<model>` segment of the gate's layout (e.g. `fraud-model`). */
  readonly name: string;
  /** The model's version: the `<version>` segment of the gate's layout (e.g. `1`, `1.2.0+build.7`). */
  readonly version: string;
}

/**
 * The key prefix under which the gate writes the files of one approved model version:
 * `approved/<workload>/<name>/<version>/files/`. Built with the gate's own layout constants, so
 * what an endpoint reads is exactly what the gate writes.
 */
export function approvedModelFilesPrefix(workloadName: string, model: ApprovedModelVersion): string {
  return `${versionPrefix(APPROVED_PREFIX, { workload: workloadName, model: model.name, version: model.version })}${FILES_DIR}/`;
}

/**
 * What is wrong with a model's name and version, by the gate's own rule for key segments
 * (`subjectSegmentProblem`): one message per bad field, naming the field, the value and what is
 * allowed. Unresolved tokens are skipped (checked by the gate at admission time).
 */
export function approvedModelProblems(model: ApprovedModelVersion, path = 'model'): string[] {
  const problems: string[] = [];
  for (const field of ['name', 'version'] as const) {
    const value: unknown = model[field];
    if (typeof value === 'string' && Token.isUnresolved(value)) continue;
    const problem =
      typeof value === 'string'
        ? subjectSegmentProblem(value)
        : typeof value === 'number'
          ? `must be a string (quote it in YAML: '${value}')`
          : 'must be a string';
    if (problem) {
      problems.push(
        `${path}.${field}: ${problem} (one key segment of approved/<workload>/<model>/<version>/files/, the admission gate's rule), got ${describe(value)}`,
      );
    }
  }
  return problems;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? 'undefined');
}
