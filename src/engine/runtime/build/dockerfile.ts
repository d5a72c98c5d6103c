// Just enough Dockerfile reading for HyperBox: the instructions with their line numbers, the
// files COPY/ADD take from the build context (for drift), and whether the file needs BuildKit.

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

/** Splits a Dockerfile into instructions (comments and blank lines dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let escape = '\\';
  // parser directives: only at the very top, before any instruction or other comment
  for (const l of lines) {
    const m = /^\s*#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(l);
    if (!m) break;
    if (m[1].toLowerCase() === 'escape') escape = m[2];
  }
  const out: Instruction[] = [];
  let current: Instruction | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (!current) {
      if (!trimmed || trimmed.startsWith('#')) continue;
      const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
      current = { keyword: m[1].toUpperCase(), args: '', line: i + 1 };
      const rest = m[2];
      if (rest.endsWith(escape)) {
        current.args = rest.slice(0, -escape.length).trimEnd();
        continue;
      }
      current.args = rest;
    } else {
      if (trimmed.startsWith('#')) continue; // comments inside continuations are skipped
      if (trimmed.endsWith(escape)) {
        current.args += ' ' + trimmed.slice(0, -escape.length).trimEnd();
        continue;
      }
      current.args += ' ' + trimmed;
    }
    current.args = current.args.trim();
    out.push(current);
    current = undefined;
  }
  if (current) {
    current.args = current.args.trim();
    out.push(current);
  }
  return out;
}

/** Why the Dockerfile needs BuildKit (the classic builder would reject it), or undefined. */
export function buildKitReason(text: string): string | undefined {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (const l of lines) {
    const m = /^\s*#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(l);
    if (!m) break;
    if (m[1].toLowerCase() === 'syntax') return `it selects a frontend with "# syntax=${m[2]}" (line ${lines.indexOf(l) + 1})`;
  }
  for (const ins of parseDockerfile(text)) {
    const flags = leadingFlags(ins.args).flags;
    if (ins.keyword === 'RUN') {
      const bk = flags.find((f) => /^--(mount|network|security)(=|$)/.test(f));
      if (bk) return `RUN ${bk.split('=')[0]} (line ${ins.line}) is a BuildKit feature`;
    }
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const bk = flags.find((f) => /^--(link|chmod|checksum|parents|exclude|keep-git-dir)(=|$)/.test(f));
      if (bk) return `${ins.keyword} ${bk.split('=')[0]} (line ${ins.line}) is a BuildKit feature`;
    }
    if (/<<-?\s*["']?[A-Za-z_]/.test(ins.args) && ['RUN', 'COPY', 'ADD'].includes(ins.keyword)) {
      return `the heredoc in ${ins.keyword} (line ${ins.line}) is a BuildKit feature`;
    }
  }
  return undefined;
}

function leadingFlags(args: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let rest = args;
  for (;;) {
    const m = /^(--[a-z-]+(?:=(?:"[^"]*"|\S*))?)\s*/.exec(rest);
    if (!m) break;
    flags.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

export interface ContextSource {
  /** The source as written (relative to the build context; may contain wildcards). */
  source: string;
  keyword: 'COPY' | 'ADD';
  line: number;
}

/** The build-context paths COPY and ADD read (not `--from` stages, not URLs). */
export function contextSources(text: string): ContextSource[] {
  const out: ContextSource[] = [];
  for (const ins of parseDockerfile(text)) {
    if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') continue;
    const { flags, rest } = leadingFlags(ins.args);
    if (flags.some((f) => f.startsWith('--from'))) continue;
    let parts: string[];
    if (rest.startsWith('[')) {
      try {
        parts = JSON.parse(rest);
      } catch {
        continue;
      }
    } else {
      parts = rest.split(/\s+/).filter(Boolean);
    }
    if (parts.length < 2) continue;
    for (const source of parts.slice(0, -1)) {
      if (/^[a-z]+:\/\//i.test(source) || source.startsWith('git@')) continue;
      out.push({ source, keyword: ins.keyword, line: ins.line });
    }
  }
  return out;
}

/**
 * Go's filepath.Match for one path (with `*`, `?` and `[...]`, `*` not crossing `/`): how COPY
 * and ADD expand their wildcards. Hand-written on purpose: the glob libraries follow shell or
 * .gitignore rules instead — picomatch reads `(b)` and `{1,2}` as pattern syntax where Go takes
 * them literally, and the .dockerignore matcher throws on a lone `[` (`a[b`), which Go treats
 * as a literal — so none of them expands a COPY source as docker does.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('^')) body = '!' + body.slice(1);
        re += body.startsWith('!') ? `[^${body.slice(1).replace(/\\/g, '\\\\')}]` : `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += '\\' + pattern[++i];
    } else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
