#!/usr/bin/env node
// ztai-model: sign and verify model files with AWS KMS.
//
// Runs the built CLI (build/ztai-model/cli.js, from `npm run build:cli`, part of `npm run build`): plain
// JavaScript, so an installed package needs no ts-node. Inside the repository, before a build or when a source
// changed after it, it runs the TypeScript sources through ts-node (a devDependency, transpile only); without
// either it says what to run.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'ztai-model', 'cli.js');
const source = path.join(root, 'tools', 'ztai-model', 'cli.ts');

function fail(message) {
  process.stderr.write(`ztai-model: error: ${message}\n`);
  process.exit(2);
}

/** In the repository: true when a source the build bundles changed after the build (then run the sources). */
function buildIsStale() {
  const builtAt = fs.statSync(built).mtimeMs;
  return ['tools/ztai-model', 'constructs/signing'].some((dir) =>
    fs
      .readdirSync(path.join(root, dir))
      .some((name) => name.endsWith('.ts') && fs.statSync(path.join(root, dir, name)).mtimeMs > builtAt),
  );
}

if (fs.existsSync(built) && !(fs.existsSync(source) && buildIsStale())) {
  require(built).main();
} else if (fs.existsSync(source)) {
  let tsNode;
  try {
    tsNode = require('ts-node');
  } catch {
    fail(
      `the CLI is not built (no ${path.relative(root, built)}) and ts-node is not installed: run \`npm run build:cli\``,
    );
  }
  if (process.stderr.isTTY) {
    process.stderr.write('ztai-model: running from the TypeScript sources (`npm run build:cli` builds the CLI)\n');
  }
  tsNode.register({
    project: path.join(root, 'tsconfig.json'),
    transpileOnly: true,
    // Compile only this tool's sources; everything else loads as plain JavaScript.
    ignore: [/node_modules/],
    compilerOptions: { sourceMap: false, inlineSourceMap: false, inlineSources: false },
  });
  require(source).main();
} else {
  fail(
    `this installation has no built CLI (${path.relative(root, built)}): reinstall the package, or run \`npm run build:cli\``,
  );
}
