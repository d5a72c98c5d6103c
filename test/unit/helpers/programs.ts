// Finds the programs that HyperBox's engine, tests, benches and scripts start, so a unit test can
// check each comes from a Debian package the project installs (scripts/debian-packages.txt) or that
// a fresh machine has (test/fixtures/fresh-machine-packages.txt).
//  - TypeScript / JavaScript: spawn, spawnSync, execFile, execFileSync, execa, execaSync with a
//    literal command, or a constant whose value names one (followed into the module it is imported
//    from); `sh -c '<script>'` read as shell; files read or copied from /bin, /usr/bin, /sbin,
//    /usr/sbin into test images (readFileSync, copyFileSync, cpSync, `cp` arguments).
//  - Shell scripts: the command word of every simple command, inside $( ), <( ) and "...$( )..."
//    too, and the program after exec, command, nohup, timeout, env, sudo, xargs.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export interface Use {
  /** A bare name ("tar") or an absolute path ("/bin/busybox"). */
  program: string;
  /** file:line where it is started. */
  where: string;
}

const SPAWNERS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'execa', 'execaSync']);
/** Calls whose first argument is a file copied into an image (a program from a bin folder). */
const COPIERS = new Set(['readFileSync', 'copyFileSync', 'cpSync']);
const PROGRAM = /^(?:\/[\w.+-]+)+$|^[A-Za-z_][\w.+-]*$/;
const BIN_FILE = /^\/(?:usr\/)?s?bin\/[\w.+-]+$/;

// ---------------------------------------------------------------------------------------------
// shell

const BUILTINS = new Set(
  (': . [ [[ ]] alias bg bind break builtin caller cd command compgen complete continue declare dirs disown echo enable eval exec exit export false fc fg ' +
    'getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt source suspend test ' +
    'times trap true type typeset ulimit umask unalias unset wait').split(' '),
);
const KEYWORDS_BEFORE_COMMAND = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', '}', 'time']);
const KEYWORDS_END = new Set(['fi', 'done', 'esac']);
/** Programs that run the program after them: how many words to skip first (options always are). */
const PREFIXES: Record<string, number> = { exec: 0, command: 0, nohup: 0, timeout: 1, env: 0, sudo: 0, xargs: 0, nice: 0, setsid: 0, stdbuf: 0 };

interface Word {
  text: string;
  /** Contains an expansion ($x, $(...)) outside single quotes: not a fixed name. */
  expanded: boolean;
  line: number;
}
type Token = { kind: 'word'; word: Word } | { kind: 'sep'; line: number } | { kind: 'redirect'; line: number } | { kind: 'open'; line: number } | { kind: 'close'; line: number };

/** Splits shell text into words and separators; the commands inside $( ), <( ) and `` go to `inner`. */
function lexShell(text: string, start: number, untilParen: boolean, lineAt: (i: number) => number, inner: (sub: string, offset: number) => void): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let i = start;
  let cur: Word | undefined;
  let heredoc: string | undefined;
  const flush = () => {
    if (cur) tokens.push({ kind: 'word', word: cur });
    cur = undefined;
  };
  const word = () => (cur ??= { text: '', expanded: false, line: lineAt(i) });
  /** From an opening bracket: the index after the one that closes it. */
  const balanced = (from: number, open: string, close: string): number => {
    let depth = 0;
    let j = from;
    do {
      if (text[j] === open) depth++;
      else if (text[j] === close) depth--;
      j++;
    } while (j < text.length && depth > 0);
    return j;
  };
  /** From just after an opening "(" of $( or <(: the index after its matching ")". */
  const sub = (from: number): number => {
    const r = lexShell(text, from, true, lineAt, inner);
    inner(text.slice(from, r.end - 1), from);
    return r.end;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      if (text[i + 1] === '\n') i += 2;
      else {
        word().text += text[i + 1] ?? '';
        i += 2;
      }
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      word().text += text.slice(i + 1, close < 0 ? text.length : close);
      i = close < 0 ? text.length : close + 1;
    } else if (c === '"') {
      const w = word();
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          w.text += text[i + 1] ?? '';
          i += 2;
        } else if (text[i] === '$' && text[i + 1] === '(' && text[i + 2] !== '(') {
          w.expanded = true;
          i = sub(i + 2);
        } else if (text[i] === '`') {
          const close = text.indexOf('`', i + 1);
          inner(text.slice(i + 1, close), i + 1);
          w.expanded = true;
          i = close + 1;
        } else {
          if (text[i] === '$') w.expanded = true;
          w.text += text[i++];
        }
      }
      i++;
    } else if (c === '$' && text[i + 1] === '(' && text[i + 2] === '(') {
      // arithmetic: no commands, but skip its parentheses
      word().expanded = true;
      i = balanced(i + 1, '(', ')');
    } else if (c === '(' && text[i + 1] === '(' && !cur) {
      // (( arithmetic )): no commands
      i = balanced(i, '(', ')');
      tokens.push({ kind: 'sep', line: lineAt(i) });
    } else if (c === '$' && text[i + 1] === '(') {
      word().expanded = true;
      i = sub(i + 2);
    } else if (c === '$' && text[i + 1] === '{') {
      word().expanded = true;
      i = balanced(i + 1, '{', '}');
    } else if (c === '$') {
      word().expanded = true;
      word().text += c;
      i++;
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      inner(text.slice(i + 1, close), i + 1);
      word().expanded = true;
      i = close + 1;
    } else if ((c === '<' || c === '>') && text[i + 1] === '(') {
      flush();
      i = sub(i + 2);
    } else if (c === '<' || c === '>' || (c === '&' && text[i + 1] === '>')) {
      if (cur && /^\d+$/.test(cur.text)) cur = undefined; // 2>&1: the digits belong to the redirection
      flush();
      const line = lineAt(i);
      if (text.startsWith('<<<', i)) i += 3;
      else if (text.startsWith('<<', i)) {
        // a here-document: its body, from the next line to the delimiter line, is data
        const m = /^<<-?\s*['"]?(\w+)['"]?/.exec(text.slice(i));
        heredoc = m?.[1];
        i += m ? m[0].length : 2;
        continue;
      } else {
        i++;
        while (i < text.length && '>&|'.includes(text[i])) i++;
        if (/[\d-]/.test(text[i] ?? '') && text[i - 1] === '&') i++;
      }
      tokens.push({ kind: 'redirect', line });
    } else if (c === '#' && !cur) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === ')' && untilParen) {
      flush();
      return { tokens, end: i + 1 };
    } else if (c === '(' || c === ')') {
      flush();
      tokens.push(c === '(' ? { kind: 'open', line: lineAt(i) } : { kind: 'close', line: lineAt(i) });
      i++;
    } else if (c === '\n' && heredoc) {
      flush();
      tokens.push({ kind: 'sep', line: lineAt(i) });
      const end = new RegExp(`^\\s*${heredoc}\\s*$`, 'm').exec(text.slice(i + 1));
      i = end ? i + 1 + end.index + end[0].length : text.length;
      heredoc = undefined;
    } else if (c === '\n' || c === ';' || c === '&' || c === '|') {
      flush();
      tokens.push({ kind: 'sep', line: lineAt(i) });
      i++;
      while (i < text.length && (text[i] === ';' || text[i] === '&' || text[i] === '|')) i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      flush();
      i++;
    } else {
      word().text += c;
      i++;
    }
  }
  flush();
  return { tokens, end: i };
}

/** The command words of a token stream (see the top of this file). */
function commandWords(tokens: Token[], functions: Set<string>): Word[] {
  const out: Word[] = [];
  let atCommand = true;
  let inFor = false;
  let afterRedirect = false;
  let prefixSkip = -1; // >= 0: the words still to skip before the prefixed program
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    if (tok.kind === 'sep' || tok.kind === 'open' || tok.kind === 'close') {
      atCommand = true;
      inFor = false;
      afterRedirect = false;
      prefixSkip = -1;
      continue;
    }
    if (tok.kind === 'redirect') {
      afterRedirect = true;
      continue;
    }
    const w = tok.word;
    if (afterRedirect) {
      afterRedirect = false;
      continue;
    }
    if (inFor) {
      if (w.text === 'do' && !w.expanded) {
        inFor = false;
        atCommand = true;
      }
      continue;
    }
    if (prefixSkip >= 0) {
      if (w.text.startsWith('-') || /^[A-Za-z_]\w*=/.test(w.text)) continue;
      if (prefixSkip > 0) {
        prefixSkip--;
        continue;
      }
      prefixSkip = -1;
      if (!w.expanded) out.push(w);
      continue;
    }
    if (!atCommand) continue;
    if (w.expanded) {
      atCommand = false;
      continue;
    }
    if (/^[A-Za-z_]\w*(\[[^\]]*\])?\+?=/.test(w.text)) {
      // an assignment before the command; an array's values, name=( ... ), are data
      if (w.text.endsWith('=') && tokens[t + 1]?.kind === 'open') {
        while (t < tokens.length && tokens[t].kind !== 'close') t++;
      }
      continue;
    }
    if (KEYWORDS_BEFORE_COMMAND.has(w.text)) continue;
    if (KEYWORDS_END.has(w.text)) {
      atCommand = false;
      continue;
    }
    if (w.text === 'for' || w.text === 'case' || w.text === 'select') {
      inFor = true;
      continue;
    }
    if (w.text === 'function') continue;
    atCommand = false;
    if (w.text in PREFIXES) {
      // the prefix itself counts too, unless it is a builtin (command, exec): dropped below
      prefixSkip = PREFIXES[w.text];
      out.push(w);
      continue;
    }
    if (tokens[t + 1]?.kind === 'open' && tokens[t + 2]?.kind === 'close') continue; // name() { ... }: a definition
    if (!functions.has(w.text)) out.push(w);
  }
  return out.filter((w) => !BUILTINS.has(w.text) && !functions.has(w.text) && PROGRAM.test(w.text));
}

/** The names of the functions a shell script defines. */
export function shellFunctions(text: string): string[] {
  return [...text.matchAll(/^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?/gm)].map((m) => m[1]);
}

/**
 * The programs a shell script starts, each with its line (1-based). `otherFunctions`: functions
 * it calls from a file it sources.
 */
export function programsInShell(text: string, file = '<shell>', otherFunctions: Iterable<string> = []): Use[] {
  const functions = new Set([...shellFunctions(text), ...otherFunctions]);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const uses: Use[] = [];
  const visit = (src: string, offset: number) => {
    const { tokens } = lexShell(src, 0, false, (i) => lineOf(offset + i), (sub, at) => visit(sub, offset + at));
    for (const w of commandWords(tokens, functions)) uses.push({ program: w.text, where: `${file}:${w.line}` });
  };
  // commands inside $( ) are reported by the nested visit, so the outer lexer only reports its own
  const { tokens } = lexShell(text, 0, false, lineOf, (sub, at) => visit(sub, at));
  for (const w of commandWords(tokens, functions)) uses.push({ program: w.text, where: `${file}:${w.line}` });
  // a nested $( ) is seen once per level above it
  const seen = new Set<string>();
  return uses.filter((u) => !seen.has(`${u.program}\0${u.where}`) && !!seen.add(`${u.program}\0${u.where}`));
}

// ---------------------------------------------------------------------------------------------
// TypeScript / JavaScript

function stringOf(node: ts.Node): string | undefined {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : undefined;
}

/** The string literals in an expression that look like programs (a constant's possible values). */
function programLiterals(node: ts.Node): string[] {
  const out: string[] = [];
  const walk = (n: ts.Node) => {
    // path.join(..., 'node_modules', '.bin', 'x'): a program from npm; other joined paths are files (run by node)
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ['join', 'resolve'].includes(n.expression.name.text)) {
      const parts = n.arguments.map((a) => stringOf(a));
      const bin = parts.indexOf('.bin');
      if (bin > 0 && parts[bin - 1] === 'node_modules' && parts[bin + 1]) out.push(`node_modules/.bin/${parts[bin + 1]}`);
      return;
    }
    const s = stringOf(n);
    if (s !== undefined && PROGRAM.test(s) && (s.startsWith('/') || !/^[A-Z_]+$/.test(s))) out.push(s);
    // process.env.X / env.X names are not values
    if (ts.isPropertyAccessExpression(n)) return;
    ts.forEachChild(n, walk);
  };
  walk(node);
  return out;
}

/** Reads a module's top-level `const NAME = ...` initialisers. */
function constants(sf: ts.SourceFile): Map<string, ts.Expression> {
  const out = new Map<string, ts.Expression>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) out.set(d.name.text, d.initializer);
  }
  return out;
}

/** Import name -> the file it comes from (relative imports only). */
function imports(sf: ts.SourceFile, file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.moduleSpecifier.text.startsWith('.')) continue;
    const named = st.importClause?.namedBindings;
    if (!named || !ts.isNamedImports(named)) continue;
    for (const el of named.elements) out.set(el.name.text, path.resolve(path.dirname(file), st.moduleSpecifier.text));
  }
  return out;
}

function parse(file: string, text?: string): ts.SourceFile {
  return ts.createSourceFile(file, text ?? readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, file.endsWith('x') ? ts.ScriptKind.TSX : undefined);
}

/**
 * The programs a TypeScript or JavaScript file starts (see the top of this file). `load` reads a
 * module a constant is imported from (tried with .ts, .mjs, .js), for constants defined elsewhere.
 * Calls whose command is not a literal or such a constant are counted in `unresolved`.
 */
export function programsInCode(text: string, file: string, o: { load?: (file: string) => string | undefined; shellFunctions?: Iterable<string> } = {}): { uses: Use[]; unresolved: string[] } {
  const load = o.load ?? tryRead;
  // most files start nothing: skip parsing them
  if (!/\b(spawn|spawnSync|execFile|execFileSync|execa|execaSync|readFileSync|copyFileSync|cpSync|executablePath|which)\b/.test(text)) return { uses: [], unresolved: [] };
  const sf = parse(file, text);
  const consts = constants(sf);
  const imported = imports(sf, file);
  const uses: Use[] = [];
  const unresolved: string[] = [];
  const where = (n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;

  const valuesOf = (e: ts.Expression): string[] | undefined => {
    const s = stringOf(e);
    if (s !== undefined) return [s];
    if (ts.isIdentifier(e)) {
      const local = consts.get(e.text);
      if (local) return programLiterals(local);
      const from = imported.get(e.text);
      if (from) {
        for (const ext of ['.ts', '.mjs', '.js', '']) {
          const src = load(from + ext);
          if (src === undefined) continue;
          const init = constants(parse(from + ext, src)).get(e.text);
          return init ? programLiterals(init) : undefined;
        }
      }
    }
    return undefined;
  };
  const isExecPath = (e: ts.Expression) => ts.isPropertyAccessExpression(e) && e.name.text === 'execPath' && ts.isIdentifier(e.expression) && e.expression.text === 'process';

  const visit = (n: ts.Node) => {
    // playwright's launch({ executablePath }): the browser
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'executablePath') {
      for (const v of valuesOf(n.initializer) ?? []) if (v.startsWith('/')) uses.push({ program: v, where: where(n) });
    }
    // which('x'): looked up on PATH to be started
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'which' && n.arguments[0]) {
      const v = stringOf(n.arguments[0]);
      if (v && PROGRAM.test(v)) uses.push({ program: v, where: where(n) });
    }
    if (ts.isCallExpression(n)) {
      const callee = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : undefined;
      const [first, second] = n.arguments;
      if (callee && SPAWNERS.has(callee) && first) {
        if (isExecPath(first)) uses.push({ program: 'node', where: where(n) });
        else if (ts.isNonNullExpression(first) && ts.isCallExpression(first.expression) && ts.isIdentifier(first.expression.expression) && first.expression.expression.text === 'which') {
          // spawn(which('x')!, ...): counted by the which() above
        }
        else {
          const values = valuesOf(first);
          if (!values?.length) unresolved.push(`${where(n)}: ${first.getText(sf).slice(0, 60)}`);
          for (const v of values ?? []) uses.push({ program: v, where: where(n) });
          // sh -c '<script>': the script's commands; cp <bin file> ...: the file copied
          if (values && second && ts.isArrayLiteralExpression(second)) {
            const args = second.elements.map((el) => stringOf(el));
            if (values.some((v) => /(^|\/)(ba)?sh$/.test(v))) {
              const c = args.indexOf('-c');
              if (c >= 0 && args[c + 1] !== undefined) for (const u of programsInShell(args[c + 1]!, file, o.shellFunctions)) uses.push({ program: u.program, where: where(n) });
            }
            if (values.includes('cp')) for (const a of args) if (a && BIN_FILE.test(a)) uses.push({ program: a, where: where(n) });
          }
        }
      } else if (callee && COPIERS.has(callee) && first) {
        for (const v of valuesOf(first) ?? []) if (BIN_FILE.test(v)) uses.push({ program: v, where: where(n) });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { uses, unresolved };
}

function tryRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
