// Loaded by mocha (.mocharc.json "require") before any test: makes `require('vscode')` load the
// stub in ./vscode.ts, for the extension's sources and for the bundled dist/extension.js alike.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const STUB = path.join(__dirname, 'vscode.ts');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode') return STUB;
  return resolve.call(this, request, ...rest);
};
