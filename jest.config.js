const os = require('os');

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
  snapshotSerializers: ['<rootDir>/test/helpers/asset-hash-serializer.ts'],
  testTimeout: 120000,
};
