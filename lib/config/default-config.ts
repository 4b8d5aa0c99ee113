import { PlatformConfig } from './platform-config';
import { validatePlatformConfig } from './validate-config';

/**
 * The embedded default: what `npx cdk synth` builds with no config file, i.e. every default of the
 * schema (lib/config/schema.ts), the reference workloads included. Environment-agnostic, so it
 * synthesizes without credentials or lookups.
 */
export const DEFAULT_PLATFORM_CONFIG: PlatformConfig = validatePlatformConfig({});
