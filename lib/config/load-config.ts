import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { PlatformConfig } from './platform-config';
import { ConfigValidationError, formatPath, validatePlatformConfig } from './validate-config';

/** The context key that names a config file: `npx cdk synth -c config=path/to/platform.yaml`. */
export const CONFIG_CONTEXT_KEY = 'config';

/** What the common read errors mean, for a one-line message. */
const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'a directory, not a file',
};

/**
 * The platform configuration: the file named by `configPath` (JSON or YAML) if given, else the
 * embedded default. Omitted optional fields take their defaults. Every problem is reported at once
 * as a `ConfigValidationError`.
 */
export function loadPlatformConfig(configPath?: string): PlatformConfig {
  if (configPath === undefined || configPath === '') {
    // The embedded default: every default of the schema (DEFAULT_PLATFORM_CONFIG).
    return validatePlatformConfig({});
  }
  if (typeof configPath !== 'string') {
    throw new ConfigValidationError(`-c ${CONFIG_CONTEXT_KEY}`, [
      `${CONFIG_CONTEXT_KEY}: must be the path of a .json, .yaml or .yml file, got ${JSON.stringify(configPath)}`,
    ]);
  }
  const resolved = path.resolve(configPath);
  const ext = path.extname(resolved).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) {
    throw new ConfigValidationError(configPath, [
      `the config file must end in .json, .yaml or .yml, got '${ext || '(no extension)'}'`,
    ]);
  }
  let text: string;
  try {
    // A byte-order mark (as some editors write) is not part of the JSON or YAML.
    text = fs.readFileSync(resolved, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === undefined ? (e as Error).message : READ_ERRORS[code] ? `${code} (${READ_ERRORS[code]})` : code;
    throw new ConfigValidationError(configPath, [`cannot read the config file ${resolved}: ${reason}`]);
  }
  let raw: unknown;
  try {
    raw = ext === '.json' ? JSON.parse(text) : YAML.parse(text, { uniqueKeys: false });
  } catch (e) {
    throw new ConfigValidationError(configPath, [
      `cannot parse the file as ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    ]);
  }
  // A key given twice keeps one value silently (JSON: the last); name each, as the field it is.
  const duplicates = duplicateKeys(text);
  if (duplicates.length > 0) throw new ConfigValidationError(configPath, duplicates);
  // A file names its workloads: the reference workloads are the embedded default's only.
  return validatePlatformConfig(raw, configPath, { referenceWorkloads: false });
}

/** Keys given twice in one mapping, as `<field path>: …` problems (JSON is read as the YAML it also is). */
function duplicateKeys(text: string): string[] {
  const doc = YAML.parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) return [];
  const problems: string[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (YAML.isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const at = [...path, key];
        if (seen.has(key)) {
          problems.push(`${formatPath(at)}: given twice in the same mapping; give each field once`);
        }
        seen.add(key);
        walk(pair.value, at);
      }
    } else if (YAML.isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return problems;
}
