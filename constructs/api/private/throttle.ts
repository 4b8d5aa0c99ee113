import { Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { IConstruct } from 'constructs';
import { describeValue, PlatformValidationError } from '../../private/validation';

/** Steady-state and burst limits of requests. */
export interface ThrottleLimits {
  /** Requests per second, steady state; more than 0. */
  readonly rateLimit: number;
  /** Requests allowed at once above the rate (token bucket size); an integer at least `rateLimit`. */
  readonly burstLimit: number;
}

/** A usage-plan quota: requests per period. */
export interface QuotaLimits {
  /** Requests per period; a positive integer. */
  readonly limit: number;
  /** DAY, WEEK or MONTH. */
  readonly period: apigateway.Period;
}

/** The periods API Gateway accepts for a quota. */
export const QUOTA_PERIODS: readonly string[] = Object.values(apigateway.Period);

/** Throw unless rate > 0 and burst is an integer >= rate (Tokens are checked at deploy time). */
export function validateThrottle(scope: IConstruct, field: string, t: ThrottleLimits): void {
  const { rateLimit, burstLimit } = t;
  if (
    !Token.isUnresolved(rateLimit) &&
    !(typeof rateLimit === 'number' && Number.isFinite(rateLimit) && rateLimit > 0)
  ) {
    throw new PlatformValidationError(
      scope,
      `${field}.rateLimit must be a number of requests per second greater than 0, got ${describeValue(rateLimit)}`,
    );
  }
  if (Token.isUnresolved(burstLimit)) return;
  if (!Number.isInteger(burstLimit) || burstLimit < 1) {
    throw new PlatformValidationError(
      scope,
      `${field}.burstLimit must be a positive integer, got ${describeValue(burstLimit)}`,
    );
  }
  if (!Token.isUnresolved(rateLimit) && burstLimit < rateLimit) {
    throw new PlatformValidationError(
      scope,
      `${field}.burstLimit (${burstLimit}) must be >= ${field}.rateLimit (${rateLimit})`,
    );
  }
}

/** Throw unless the quota limit is a positive integer and the period one API Gateway knows. */
export function validateQuota(scope: IConstruct, field: string, q: QuotaLimits): void {
  if (!Token.isUnresolved(q.limit) && !(Number.isInteger(q.limit) && q.limit > 0)) {
    throw new PlatformValidationError(
      scope,
      `${field}.limit must be a positive integer of requests per period, got ${describeValue(q.limit)}`,
    );
  }
  if (!QUOTA_PERIODS.includes(q.period)) {
    throw new PlatformValidationError(
      scope,
      `${field}.period must be one of ${QUOTA_PERIODS.join(', ')}, got ${describeValue(q.period)}`,
    );
  }
}
