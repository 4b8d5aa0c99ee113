import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';

/**
 * The official SARIF 2.1.0 JSON schema (OASIS, final "rtm.5"), kept in the repo under schemas/: copied
 * unchanged from the `@microsoft/jest-sarif` 1.0.0-beta.0 npm package (lib/schemas/sarif-2.1.0-rtm.5.json),
 * the only package that ships it as a file. $SARIF_SCHEMA_PATH overrides it.
 */
export function sarifSchemaPath(): string {
  return process.env.SARIF_SCHEMA_PATH ?? path.join(__dirname, 'schemas', 'sarif-2.1.0-rtm.5.json');
}

/**
 * An ajv 8 validator for the schema. The schema is draft-04; ajv 8 reads it as draft-07 once its `id` is
 * moved to `$id` (it uses no keyword whose meaning changed: no boolean exclusiveMinimum/Maximum).
 * Its language pattern has a stray ']' that only non-unicode regular expressions accept (as draft-04 validators did).
 * Its three formats are checked here: uri and uri-reference per RFC 3986 syntax, date-time per RFC 3339.
 */
export function sarifValidator(schemaPath: string): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  const { id, ...rest } = schema;
  delete rest.$schema; // draft-04 meta-schema, which ajv 8 does not ship
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(s));
  ajv.addFormat('uri-reference', (s: string) => /^[^\s]*$/.test(s));
  ajv.addFormat('date-time', (s: string) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s),
  );
  return ajv.compile({ ...rest, $id: String(id) });
}
