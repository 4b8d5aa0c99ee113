import { ConfigValidationError, validatePlatformConfig } from '../../lib/config/validate-config';

/** The problems a configuration is rejected with; fails if it is accepted or fails any other way. */
export function problemsOf(raw: unknown): string[] {
  try {
    validatePlatformConfig(raw, 'test config');
  } catch (e) {
    if (e instanceof ConfigValidationError) return e.problems;
    throw e;
  }
  throw new Error(`expected the configuration to be rejected: ${JSON.stringify(raw)}`);
}
