/**
 * The lint rule that keeps the package's boundaries (eslint.config.js, `no-restricted-imports` on
 * constructs/): each case is linted as if it were a file at that path, compliant and non-compliant.
 * One ESLint process for all cases (the flat config loads through a dynamic import, which jest's module
 * system does not run).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

type Case = [file: string, code: string, restricted: boolean];

const CASES: Case[] = [
  // The signing core imports no CDK, and nothing from the rest of the library.
  ['constructs/signing/x.ts', "import { Stack } from 'aws-cdk-lib';", true],
  ['constructs/signing/x.ts', "import * as s3 from 'aws-cdk-lib/aws-s3';", true],
  ['constructs/signing/x.ts', "import { Construct } from 'constructs';", true],
  ['constructs/signing/x.ts', "import { NagPack } from 'cdk-nag';", true],
  ['constructs/signing/x.ts', "import { describeValue } from '../private/validation';", true],
  ['constructs/signing/x.ts', "import { manifestDigest } from './manifest';", false],
  ['constructs/signing/x.ts', "import { KMSClient } from '@aws-sdk/client-kms';", false],
  // Nothing outside constructs/.
  ['constructs/network/x.ts', "import { loadPlatformConfig } from '../../lib/config/load-config';", true],
  ['constructs/network/x.ts', "import { run } from '../../tools/ztai-model/cli';", true],
  ['constructs/integrity/admission/x.ts', "export * from '../../../test/helpers/stacks';", true],
  ['constructs/x.ts', "export * from '../lib/platform-stack';", true],
  // Another area's private/ is off limits; the shared constructs/private/ and one's own are not.
  [
    'constructs/network/x.ts',
    "import { enableEventBridgeNotifications } from '../integrity/private/bucket-events';",
    true,
  ],
  ['constructs/integrity/admission/x.ts', "import { throttle } from '../../api/private/throttle';", true],
  ['constructs/x.ts', "export * from './api/private/throttle';", true],
  ['constructs/network/x.ts', "import { acknowledgeFinding } from '../private/nag';", false],
  ['constructs/integrity/x.ts', "import { enableEventBridgeNotifications } from './private/bucket-events';", false],
  [
    'constructs/integrity/admission/x.ts',
    "import { enableEventBridgeNotifications } from '../private/bucket-events';",
    false,
  ],
  ['constructs/x.ts', "export * from './private/validation';", false],
  // Other areas' public modules, and the CDK outside the signing core.
  ['constructs/inference/x.ts', "import { APPROVED_PREFIX } from '../integrity/admission/admission';", false],
  ['constructs/network/x.ts', "import * as ec2 from 'aws-cdk-lib/aws-ec2';", false],
];

const SCRIPT = `
const { ESLint } = require('eslint');
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const cases = JSON.parse(process.argv[1]);
  const out = [];
  for (const [filePath, code] of cases) {
    const [result] = await eslint.lintText(code + '\\n', { filePath });
    out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').length > 0);
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('import boundaries of constructs/ (eslint no-restricted-imports)', () => {
  let restricted: boolean[];
  beforeAll(() => {
    const output = execFileSync(process.execPath, ['-e', SCRIPT, JSON.stringify(CASES)], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    restricted = JSON.parse(output);
  });

  test.each(CASES.map((c, i) => [c[0], c[1], c[2], i] as const))('%s: %s -> restricted %s', (_f, _c, expected, i) => {
    expect(restricted[i]).toBe(expected);
  });
});
