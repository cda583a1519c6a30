#!/usr/bin/env node
'use strict';
// Runs the compiled CLI; in a checkout that has not been built yet, runs the TypeScript sources through tsx.
const path = require('path');
const fs = require('fs');
const dist = path.join(__dirname, '..', 'dist', 'main.js');
// tsx's require hook also lets CommonJS load tfjs-core's ESM-only gradient registry
// (@tensorflow/tfjs-core/dist/register_all_gradients), which plain Node cannot resolve.
let hooked = false;
try {
  require('tsx/cjs');
  hooked = true;
} catch {
  // Without tsx (a production install) the compiled files must stand on their own.
}
let cli;
if (fs.existsSync(dist)) {
  cli = require(dist);
} else {
  if (!hooked) throw new Error('cdg: packages/cli/dist is missing and tsx is not installed; run `npm run build`');
  process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', '..', 'tsconfig.json');
  cli = require(path.join(__dirname, '..', 'src', 'main.ts'));
}
cli.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
