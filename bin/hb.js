#!/usr/bin/env node
// The `hb` command: runs the bundled CLI. Build it first with `npm run build`.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`hb: ${cli} is missing. Build HyperBox first: run "npm run build" in ${path.dirname(__dirname)}.\n`);
  process.exit(1);
}
require(cli);
