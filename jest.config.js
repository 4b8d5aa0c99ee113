const os = require('os');

// The AWS SDK's multi-line "node 20 support ends" notice, printed by every process that loads a client (workers,
// and the node processes tests start), says nothing about the tests: off for the whole run, as ztai-model does.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * `npm test`. Type-checking is `npm run build`'s job (tsc --noEmit over test/ too), done once: ts-jest only
 * transpiles, file by file, because tsconfig.json sets "isolatedModules" (ts-jest 29.4 then uses
 * `transpileModule` and builds no type-checking program).
 *
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': 'ts-jest',
  },
  // Jest's default (cores - 1) runs a 2-core machine in band, on one core: use both.
  maxWorkers: Math.max(2, (os.availableParallelism?.() ?? os.cpus().length) - 1),
  setupFiles: ['<rootDir>/test/helpers/setup-env.ts'],
  // One temporary directory per test file, removed after it; aws-cdk-lib's synth reports captured, not printed.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/setup-after-env.ts'],
  snapshotSerializers: ['<rootDir>/test/helpers/asset-hash-serializer.ts'],
  testTimeout: 120000,
};
