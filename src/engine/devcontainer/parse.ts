// Reading devcontainer.json safely and parsing it as JSON with comments, keeping positions so
// every problem points at the right line and column.
import { promises as fs } from 'node:fs';
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { Problem, Severity } from '../../protocol';
import { LineIndex, formatBytes } from '../util/text';

/** Larger configs are refused: a real devcontainer.json is a few KB. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

export class ConfigReadError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Reads a config file as text, refusing directories, huge files and binary content with a clear reason. */
export async function readConfigText(file: string): Promise<string> {
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
    throw new ConfigReadError(
      `${file} is ${formatBytes(stat.size)}; HyperBox reads dev container configs of at most ${formatBytes(MAX_CONFIG_BYTES)}. This is unlikely to be a real devcontainer.json: check that the right file is named.`,
      file,
      'too-large',
    );
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
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/** Turns a file-system error into a message that names the file, the reason and the fix. */
export function fsError(e: unknown, file: string, action: string): ConfigReadError {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return new ConfigReadError(`${file} does not exist.`, file, 'not-found');
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
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const lines = new LineIndex(text);
  const problems: Problem[] = [];
  for (const e of errors) {
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
