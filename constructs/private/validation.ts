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
