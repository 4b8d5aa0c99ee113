// @ts-check
const eslint = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');
const fs = require('node:fs');
const path = require('node:path');

/**
 * Import boundaries of the published package (constructs/): nothing outside constructs/ (lib/, tools/,
 * test/, bin/), no other area's private/ (constructs/private/ is the shared one), and a signing core that
 * imports no CDK at all. One config per area and file depth, because `no-restricted-imports` matches the
 * import string, not the resolved path.
 */
function constructsBoundaries() {
  const root = path.join(__dirname, 'constructs');
  const areas = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !['private', 'node_modules'].includes(d.name))
    .map((d) => d.name);
  const cdk = ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'constructs/*', 'cdk-nag', 'cdk-nag/*'];
  const outside = (depth) => ({
    regex: `^(\\.\\./){${depth + 1},}`,
    message: 'constructs/ is the published package: it imports nothing outside constructs/ (lib/, tools/, test/).',
  });
  const configs = [
    {
      files: ['constructs/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              outside(0),
              { regex: '^\\./(?!private/)[^/]+/private(/|$)', message: "An area's private/ is for that area only." },
            ],
          },
        ],
      },
    },
  ];
  for (const area of areas) {
    for (let depth = 1; depth <= 4; depth++) {
      const up = `(\\.\\./){${depth}}`;
      const patterns = [
        outside(depth),
        {
          regex: `^${up}(?!${area}/|private/)[^/]+/private(/|$)`,
          message: `constructs/${area}/ may use constructs/private/ and its own private/, not another area's.`,
        },
      ];
      if (area === 'signing') {
        patterns.push({
          regex: `^${up}`,
          message: 'The signing core (constructs/signing/) is self-contained: the CLI and the Lambda run it.',
        });
        patterns.push({
          group: cdk,
          message: 'The signing core imports nothing from aws-cdk-lib, constructs or cdk-nag.',
        });
      }
      configs.push({
        files: [`constructs/${area}/${'*/'.repeat(depth - 1)}*.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns }] },
      });
    }
  }
  return configs;
}

module.exports = tseslint.config(
  {
    ignores: ['node_modules/', 'cdk.out/', 'review/', '**/*.js', '**/*.d.ts', '!eslint.config.js'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/member-ordering': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // This file itself: CommonJS, run by Node.
    files: ['eslint.config.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read synthesized CloudFormation JSON, which has no useful static type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...constructsBoundaries(),
);
