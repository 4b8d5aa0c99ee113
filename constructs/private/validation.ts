import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * An error in a construct's input, raised at synth.
 *
 * The message names the construct path, the field, the value received and what is allowed,
 * so a platform team can fix its config without reading a stack trace.
 */
export class PlatformValidationError extends Error {
  constructor(scope: IConstruct | undefined, message: string) {
    super(scope ? `${scope.node.path}: ${message}` : message);
    this.name = 'PlatformValidationError';
  }
}

/** Describe a received value for an error message (quoted strings, JSON for the rest). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

/**
 * Throw unless `value` is an integer within [min, max]. Tokens are skipped (checked at deploy time).
 */
export function validateIntegerRange(
  scope: IConstruct,
  field: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PlatformValidationError(
      scope,
      `${field} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
}

/** IAM role (and user) names: 1-64 letters, digits and `+=,.@_-`. */
export const IAM_ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

/** IAM paths: `/`, or `/segment/…/` of letters, digits and `+=,.@_-` (at most 512 characters: check the length too). */
export const IAM_PATH_PATTERN = /^\/([\w+=,.@-]+\/)*$/;

/**
 * An S3 key prefix the constructs grant or protect: one or more path segments of the characters S3
 * documents as safe, each ending in `/`; no wildcards (check for `.` and `..` segments too).
 */
export const KEY_PREFIX_PATTERN = /^([A-Za-z0-9!_.'()-]+\/)+$/;
