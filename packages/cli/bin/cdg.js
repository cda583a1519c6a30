#!/usr/bin/env node
'use strict';
// Runs the compiled CLI; in a checkout that has not been built yet, runs the TypeScript sources through tsx.
const path = require('path');
const fs = require('fs');
const dist = path.join(__dirname, '..', 'dist', 'main.js');
let cli;
if (fs.existsSync(dist)) {
  cli = require(dist);
} else {
  process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', '..', 'tsconfig.json');
  require('tsx/cjs');
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
