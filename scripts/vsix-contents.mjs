#!/usr/bin/env node
// Lists the files in a .vsix (a zip) with their sizes, one "size path" line each, from the zip's
// central directory. No dependencies, so packaging needs no unzip tool.
//   node scripts/vsix-contents.mjs hyperbox-0.1.0.vsix
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export async function vsixEntries(file) {
  const buf = await fs.readFile(file);
  // end of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: damaged central directory at entry ${n}`);
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    entries.push({ path: buf.toString('utf8', p + 46, p + 46 + nameLength), size });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node scripts/vsix-contents.mjs FILE.vsix\n');
    process.exit(2);
  }
  vsixEntries(file).then(
    (entries) => process.stdout.write(entries.map((e) => `${String(e.size).padStart(9)} ${e.path}`).join('\n') + '\n'),
    (e) => {
      process.stderr.write(`vsix-contents: ${e.message}\n`);
      process.exit(1);
    },
  );
}
