// Reading devcontainer.json safely and parsing it as JSON with comments, keeping positions so
// every problem points at the right line and column.
import { isUtf8 } from 'node:buffer';
import { createScanner, parseTree, printParseErrorCode, SyntaxKind, type Node, type ParseError } from 'jsonc-parser';
import type { Problem, Severity } from '../../protocol';
import { asyncFs, type ConfigFs } from './fsops';
import { LineIndex, formatBytes } from '../util/text';

/** Larger configs are refused: a real devcontainer.json is a few KB. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
/**
 * At most this many problems are reported for one file (then one saying there are more): a
 * broken multi-megabyte file would otherwise give millions, and take seconds to report.
 */
export const MAX_PROBLEMS = 500;

export class ConfigReadError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly code: string,
    /** Where in the file, 1-based, when the problem is at one place (default 1:1). */
    readonly line = 1,
    readonly column = 1,
  ) {
    super(message);
  }
}

/** Reads a config file as text, refusing directories, huge files and binary content with a clear reason. */
export async function readConfigText(file: string, fs: ConfigFs = asyncFs): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  if (stat.isDirectory()) {
    throw new ConfigReadError(
      `${file} is a directory, not a file. A dev container config must be a JSON file; move its contents or point --config at the devcontainer.json inside it.`,
      file,
      'is-directory',
    );
  }
  if (!stat.isFile()) {
    throw new ConfigReadError(`${file} is not a regular file (a device, socket or pipe). Point at a devcontainer.json file instead.`, file, 'not-file');
  }
  if (stat.size > MAX_CONFIG_BYTES) {
    throw tooLarge(file, stat.size);
  }
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw fsError(e, file, 'read');
  }
  if (buf.length > MAX_CONFIG_BYTES) {
    throw new ConfigReadError(`${file} grew past ${formatBytes(MAX_CONFIG_BYTES)} while it was read; it is not a usable config.`, file, 'too-large');
  }
  if (buf.includes(0)) {
    throw new ConfigReadError(
      `${file} contains binary data (a NUL byte at offset ${buf.indexOf(0)}); a dev container config must be UTF-8 JSON text.`,
      file,
      'binary',
    );
  }
  if (!isUtf8(buf)) {
    // read with replacement characters, a config would silently mean something else
    const at = firstInvalidUtf8(buf);
    const lineStart = buf.lastIndexOf(0x0a, at - 1) + 1;
    const line = countNewlines(buf, lineStart) + 1;
    const column = buf.subarray(lineStart, at).toString('utf8').length + 1;
    throw new ConfigReadError(
      `${file} is not valid UTF-8: the byte 0x${buf[at].toString(16).padStart(2, '0')} at line ${line}, column ${column} (offset ${at}) does not belong to a UTF-8 character. ` +
        'Save the file as UTF-8 (in VS Code: "Save with Encoding" > UTF-8; or iconv -f LATIN1 -t UTF-8).',
      file,
      'encoding',
      line,
      column,
    );
  }
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

function countNewlines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0; // no overlong forms
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** The error for a config over MAX_CONFIG_BYTES (on disk, or unsaved text from the editor). */
export function tooLarge(file: string, size: number): ConfigReadError {
  return new ConfigReadError(
    `${file} is ${formatBytes(size)}; HyperBox reads dev container configs of at most ${formatBytes(MAX_CONFIG_BYTES)} and did not parse it. A real devcontainer.json is a few KB: check that this is the right file, and move large data (e.g. embedded scripts or settings) into separate files.`,
    file,
    'too-large',
  );
}

/** Turns a file-system error into a message that names the file, the reason and the fix. */
export function fsError(e: unknown, file: string, action: string): ConfigReadError {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return new ConfigReadError(`${file} does not exist. Check the path, or create the file.`, file, 'not-found');
    case 'EACCES':
    case 'EPERM':
      return new ConfigReadError(
        `Cannot ${action} ${file}: permission denied. Give your user read access (e.g. chmod u+r) or run from an account that has it.`,
        file,
        'permission',
      );
    case 'ENOTDIR':
      return new ConfigReadError(`Cannot ${action} ${file}: a part of the path is a file, not a folder.`, file, 'not-dir');
    case 'ELOOP':
      return new ConfigReadError(`Cannot ${action} ${file}: too many symbolic links (a link loop?).`, file, 'loop');
    case 'EISDIR':
      return new ConfigReadError(`${file} is a directory, not a file.`, file, 'is-directory');
    default:
      return new ConfigReadError(`Cannot ${action} ${file}: ${err?.message ?? String(e)}`, file, err?.code ?? 'io');
  }
}

/** A parsed document: its tree (or undefined when the text has no value) and a position index. */
export interface ParsedDocument {
  file: string;
  text: string;
  root: Node | undefined;
  lines: LineIndex;
  problems: Problem[];
}

const SYNTAX_FIXES: Record<string, string> = {
  InvalidSymbol: 'Remove the character or put the value in double quotes.',
  InvalidNumberFormat: 'Write the number in plain decimal.',
  PropertyNameExpected: 'Property names are strings in double quotes.',
  ValueExpected: 'Give a value: a string, number, true, false, null, an object or an array.',
  ColonExpected: 'Put a colon between the property name and its value.',
  CommaExpected: 'Separate entries with a comma.',
  CloseBraceExpected: 'Close the object with "}".',
  CloseBracketExpected: 'Close the array with "]".',
  EndOfFileExpected: 'Remove what follows the closing brace, or wrap everything in one object.',
  InvalidCommentToken: 'Close the comment with "*/".',
  UnexpectedEndOfComment: 'Close the comment with "*/".',
  UnexpectedEndOfString: 'Close the string with a double quote.',
  UnexpectedEndOfNumber: 'Complete the number.',
  InvalidUnicode: 'Use \\uXXXX with four hex digits.',
  InvalidEscapeCharacter: 'Escape a backslash as "\\\\".',
  InvalidCharacter: 'Remove the control character, or escape it (e.g. \\n, \\t).',
};

/** Parses JSON with comments and trailing commas; every syntax error becomes a problem at its position. */
export function parseDocument(file: string, text: string): ParsedDocument {
  const tooDeep = nestingProblem(file, text);
  if (tooDeep) return { file, text, root: undefined, lines: tooDeep.lines, problems: [tooDeep.problem] };
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const lines = new LineIndex(text);
  const problems: Problem[] = [];
  const notJson = errors.length > 0 ? notJsonProblem(lines, file, text) : undefined;
  if (notJson) return { file, text, root: undefined, lines, problems: [notJson] };
  for (const e of errors.slice(0, MAX_PROBLEMS)) {
    const name = printParseErrorCode(e.error);
    const what = name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    problems.push(
      problemAt(lines, file, 'error', e.offset, Math.max(1, e.length), `Syntax error: ${what}. ${SYNTAX_FIXES[name] ?? ''}`.trim(), 'syntax'),
    );
  }
  if (!root && errors.length === 0) {
    problems.push(problemAt(lines, file, 'error', 0, 0, 'The file is empty. A dev container config is a JSON object, e.g. { "image": "..." }.', 'empty'));
  } else if (root && root.type !== 'object') {
    problems.push(
      problemAt(lines, file, 'error', root.offset, root.length, `The config must be a JSON object ({ ... }), not ${describeNodeType(root)}.`, 'not-object'),
    );
  }
  return { file, text, root, lines, problems };
}

/** Deeper nesting is refused before parsing: the parser and validator recurse once per level. */
export const MAX_NESTING = 200;

/** An error at the first bracket that nests deeper than MAX_NESTING, if any. */
function nestingProblem(file: string, text: string): { lines: LineIndex; problem: Problem } | undefined {
  // Cheap pre-check: no text with fewer brackets than the limit can be too deep.
  let brackets = 0;
  for (let i = 0; i < text.length && brackets <= MAX_NESTING; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) brackets++;
  }
  if (brackets <= MAX_NESTING) return undefined;
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) {
      if (++depth > MAX_NESTING) {
        const lines = new LineIndex(text);
        return {
          lines,
          problem: problemAt(
            lines,
            file,
            'error',
            scanner.getTokenOffset(),
            1,
            `Objects and arrays are nested more than ${MAX_NESTING} levels deep here; HyperBox did not parse further. A devcontainer.json is never this deep: look for stray "{" or "[" (e.g. from a generator).`,
            'too-deep',
          ),
        };
      }
    } else if (kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/**
 * When the text does not even start like JSON (YAML, a shell script, a wrong file), one clear
 * problem at its first token instead of a cascade of syntax errors.
 */
function notJsonProblem(lines: LineIndex, file: string, text: string): Problem | undefined {
  const scanner = createScanner(text, true);
  const first = scanner.scan();
  if (first === SyntaxKind.OpenBraceToken || first === SyntaxKind.OpenBracketToken || first === SyntaxKind.EOF) return undefined;
  const offset = scanner.getTokenOffset();
  const length = Math.max(1, scanner.getTokenLength());
  const start = text.slice(offset, offset + Math.min(length, 30)).split(/[\r\n]/)[0];
  const second = scanner.scan();
  const looksLikeYaml = (first === SyntaxKind.Unknown || first === SyntaxKind.StringLiteral) && second === SyntaxKind.ColonToken;
  return problemAt(
    lines,
    file,
    'error',
    offset,
    length,
    `Not JSON: the file starts with ${JSON.stringify(start)} where a dev container config starts with "{".` +
      (looksLikeYaml
        ? ' It looks like "key: value" lines (YAML?): write them as one JSON object, e.g. { "image": "node:20", "forwardPorts": [3000] }.'
        : ' Write the config as one JSON object, e.g. { "image": "node:20" }, or check that this is the right file.'),
    'not-json',
  );
}

export function problemAt(
  lines: LineIndex,
  file: string,
  severity: Severity,
  offset: number,
  length: number,
  message: string,
  code?: string,
  fix?: Problem['fix'],
): Problem {
  const start = lines.position(offset);
  const end = lines.position(offset + length);
  const p: Problem = { severity, message, file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  if (code) p.code = code;
  if (fix) p.fix = fix;
  return p;
}

export function describeNodeType(node: Node): string {
  switch (node.type) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return 'null';
    default:
      return 'a value';
  }
}
