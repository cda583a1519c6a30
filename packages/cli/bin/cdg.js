#!/usr/bin/env node
'use strict';
// Runs the compiled CLI; in a checkout that has not been built yet, runs the TypeScript sources through tsx.
const path = require('path');
const fs = require('fs');
const dist = path.join(__dirname, '..', 'dist', 'main.js');
if (fs.existsSync(dist)) {
  require(dist).main(process.argv.slice(2));
} else {
  process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', '..', 'tsconfig.json');
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'main.ts')).main(process.argv.slice(2));
}
