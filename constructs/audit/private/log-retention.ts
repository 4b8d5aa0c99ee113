import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PlatformValidationError } from '../../private/validation';

/** The retention periods CloudWatch Logs accepts, in days. */
export const CLOUDWATCH_LOGS_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Throw unless `days` is a retention period CloudWatch Logs accepts. Tokens are checked at deploy time. */
export function validateLogRetentionDays(scope: IConstruct, field: string, days: number): void {
  if (Token.isUnresolved(days)) return;
  if (!CLOUDWATCH_LOGS_RETENTION_DAYS.includes(days)) {
    throw new PlatformValidationError(
      scope,
      `${field} must be a retention period CloudWatch Logs accepts (${CLOUDWATCH_LOGS_RETENTION_DAYS.join(', ')} days), got ${days}`,
    );
  }
}
