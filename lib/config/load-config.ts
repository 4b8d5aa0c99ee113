import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { DEFAULT_PLATFORM_CONFIG } from './default-config';
import { PlatformConfig } from './platform-config';
import { ConfigValidationError, validatePlatformConfig } from './validate-config';

/** The context key that names a config file: `npx cdk synth -c config=path/to/platform.yaml`. */
export const CONFIG_CONTEXT_KEY = 'config';

/**
 * The platform configuration: the file named by `configPath` (JSON or YAML) if given, else the
 * embedded default. Omitted optional fields take their defaults. Every problem is reported at once
 * as a `ConfigValidationError`.
 */
export function loadPlatformConfig(configPath?: string): PlatformConfig {
  if (configPath === undefined || configPath === '') {
    return validatePlatformConfig(DEFAULT_PLATFORM_CONFIG);
  }
  const resolved = path.resolve(configPath);
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch (e) {
    throw new ConfigValidationError(configPath, [
      `cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    ]);
  }
  const ext = path.extname(resolved).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) {
    throw new ConfigValidationError(configPath, [
      `the config file must end in .json, .yaml or .yml, got '${ext || '(no extension)'}'`,
    ]);
  }
  let raw: unknown;
  try {
    raw = ext === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ConfigValidationError(configPath, [
      `cannot parse the file as ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    ]);
  }
  return validatePlatformConfig(raw, configPath);
}
