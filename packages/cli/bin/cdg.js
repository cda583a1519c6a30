#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (`npm ci` builds it through `prepare`). In a checkout that has not been
// built yet, runs the TypeScript sources through tsx when it is installed (a dev dependency).
const path = require('path');
const fs = require('fs');
const dist = path.join(__dirname, '..', 'dist', 'main.js');
let cli;
if (fs.existsSync(dist)) {
  cli = require(dist);
} else {
  try {
    require('tsx/cjs');
  } catch {
    throw new Error('cdg: packages/cli/dist is missing and tsx is not installed; run `npm run build`');
  }
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
