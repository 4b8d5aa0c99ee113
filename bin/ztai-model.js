#!/usr/bin/env node
// ztai-model: sign and verify model files with AWS KMS. Runs the TypeScript sources directly
// (ts-node, transpile only: no type check, no build step), so it works on a fresh clone after `npm ci`.
'use strict';
const path = require('node:path');

require('ts-node').register({
  project: path.join(__dirname, '..', 'tsconfig.json'),
  transpileOnly: true,
  // Compile only this tool's sources; everything else loads as plain JavaScript.
  ignore: [/node_modules/],
  compilerOptions: { sourceMap: false, inlineSourceMap: false, inlineSources: false },
});

require('../tools/ztai-model/cli').main();
