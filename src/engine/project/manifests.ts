// Tolerant readers for the manifest formats detection looks at: JSON (with comments), a TOML
// subset, requirements files, go.mod, Gemfiles, Makefiles, Procfiles, XML and Gradle scripts,
// Dockerfiles. Pure functions of text; a truncated or broken file gives what can be read from it.
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import type { LanguageId } from '../../protocol';

// ---------------------------------------------------------------------------------------------
// JSON

/** The object a JSON (with comments) text holds, as far as it parses; null when it is not an object. */
export function parseJsonLoose(text: string): Record<string, unknown> | null {
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function asString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function asStringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

// ---------------------------------------------------------------------------------------------
// TOML (the subset manifests use): tables, array tables, dotted keys, strings, arrays, inline tables

export interface TomlDoc {
  /** Table name (`''` for the top level, `tool.poetry.dependencies`, ...) → key → raw value text. */
  tables: Map<string, Map<string, string>>;
}

function normalizeTomlKey(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const c of raw.trim()) {
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '.') {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur.trim());
  return out.filter((s) => s.length > 0);
}

/** Reads TOML tables and key/value pairs; values stay raw text (see tomlStrings, tomlString). */
export function parseTomlLoose(text: string): TomlDoc {
  const tables = new Map<string, Map<string, string>>([['', new Map()]]);
  const table = (name: string) => {
    let t = tables.get(name);
    if (!t) {
      t = new Map();
      tables.set(name, t);
    }
    return t;
  };
  let current = '';
  const n = text.length;
  let i = 0;
  const skipToEol = () => {
    while (i < n && text[i] !== '\n') i++;
  };
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '#') {
      skipToEol();
      continue;
    }
    if (c === '[') {
      const double = text[i + 1] === '[';
      const start = i + (double ? 2 : 1);
      const end = text.indexOf(']', start);
      const eol = text.indexOf('\n', start);
      if (end < 0 || (eol >= 0 && end > eol)) {
        skipToEol();
        continue;
      }
      current = normalizeTomlKey(text.slice(start, end)).join('.');
      table(current);
      i = end + 1;
      skipToEol();
      continue;
    }
    // key = value
    const eol = text.indexOf('\n', i);
    const lineEnd = eol < 0 ? n : eol;
    let eq = -1;
    {
      let q: string | null = null;
      for (let j = i; j < lineEnd; j++) {
        const ch = text[j];
        if (q) {
          if (ch === q) q = null;
        } else if (ch === '"' || ch === "'") q = ch;
        else if (ch === '=') {
          eq = j;
          break;
        }
      }
    }
    if (eq < 0) {
      i = lineEnd;
      continue;
    }
    const keyPath = normalizeTomlKey(text.slice(i, eq));
    // value: until the end of the line at bracket depth 0, outside strings
    let j = eq + 1;
    let depth = 0;
    while (j < n) {
      const ch = text[j];
      if (ch === '"' || ch === "'") {
        const triple = text.startsWith(ch.repeat(3), j);
        const close = triple ? ch.repeat(3) : ch;
        let k = j + close.length;
        for (;;) {
          if (k >= n) break;
          if (!triple && text[k] === '\n') break;
          if (ch === '"' && text[k] === '\\') {
            k += 2;
            continue;
          }
          if (text.startsWith(close, k)) {
            k += close.length;
            break;
          }
          k++;
        }
        j = k;
        continue;
      }
      if (ch === '#') {
        while (j < n && text[j] !== '\n') j++;
        continue;
      }
      if (ch === '[' || ch === '{') depth++;
      else if (ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
      else if (ch === '\n' && depth === 0) break;
      j++;
    }
    const raw = text.slice(eq + 1, j).trim();
    if (keyPath.length > 0) {
      const key = keyPath[keyPath.length - 1];
      const prefix = keyPath.slice(0, -1).join('.');
      table(current && prefix ? `${current}.${prefix}` : current || prefix).set(key, raw);
    }
    i = j;
  }
  return { tables };
}

/** Every string literal in a raw TOML value (an array of strings gives each one). */
export function tomlStrings(raw: string | undefined): string[] {
  if (!raw) return [];
  const out: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i];
    if (ch === '#') {
      while (i < raw.length && raw[i] !== '\n') i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const triple = raw.startsWith(ch.repeat(3), i);
      const close = triple ? ch.repeat(3) : ch;
      let k = i + close.length;
      let s = '';
      while (k < raw.length && !raw.startsWith(close, k)) {
        if (ch === '"' && raw[k] === '\\' && k + 1 < raw.length) {
          s += raw[k + 1];
          k += 2;
          continue;
        }
        s += raw[k];
        k++;
      }
      out.push(s);
      i = k + close.length;
      continue;
    }
    i++;
  }
  return out;
}

export function tomlString(raw: string | undefined): string | null {
  if (!raw) return null;
  const t = raw.trim();
  if (!(t.startsWith('"') || t.startsWith("'"))) return null;
  return tomlStrings(t)[0] ?? null;
}

/** Tables whose name starts with `prefix.` (e.g. every `tool.poetry.group.*.dependencies`). */
export function tomlTablesUnder(doc: TomlDoc, prefix: string): [string, Map<string, string>][] {
  return [...doc.tables].filter(([name]) => name.startsWith(prefix + '.'));
}

// ---------------------------------------------------------------------------------------------
// Python

/** A distribution name as PyPI compares them: lowercase, runs of `-_.` as one `-`. */
export function normalizePyName(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, '-');
}

/** The package name of a requirement specifier (`Django>=4.2`, `fastapi[standard]`, `uvicorn ; python_version>"3"`). */
export function requirementName(spec: string): string | null {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec);
  return m ? normalizePyName(m[1]) : null;
}

export function requirementExtras(spec: string): string[] {
  const m = /^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*\[([^\]]*)\]/.exec(spec);
  return m ? m[1].split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : [];
}

export interface Requirements {
  /** Specifiers as written (one per requirement). */
  specs: string[];
  /** Files named by `-r` / `-c` lines, as written. */
  includes: string[];
}

export function parseRequirements(text: string): Requirements {
  const specs: string[] = [];
  const includes: string[] = [];
  for (let line of text.split(/\r?\n/)) {
    line = line.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const inc = /^(?:-r|--requirement|-c|--constraint)\s*=?\s*(\S+)/.exec(line);
    if (inc) {
      includes.push(inc[1]);
      continue;
    }
    if (line.startsWith('-')) continue; // -e ., --index-url, ...
    if (/^(git\+|https?:|file:|\.{0,2}\/)/.test(line)) {
      const egg = /#egg=([A-Za-z0-9._-]+)/.exec(line);
      if (egg) specs.push(egg[1]);
      continue;
    }
    specs.push(line);
  }
  return { specs, includes };
}

/** `install_requires=[...]` strings of a setup.py (read as text, never run). */
export function setupPyRequires(text: string): string[] {
  const m = /install_requires\s*=\s*\[([\s\S]*?)\]/.exec(text);
  if (!m) return [];
  return [...m[1].matchAll(/["']([^"']+)["']/g)].map((x) => x[1]);
}

/** Names a Python file imports at the top level (`import x`, `from x import y`). */
export function pythonImports(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:from\s+([A-Za-z_][\w]*)[\w.]*\s+import\b|import\s+([A-Za-z_][\w]*))/gm)) {
    out.add((m[1] ?? m[2]).toLowerCase());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Go

export interface GoMod {
  module: string | null;
  go: string | null;
  /** Direct requirements (not `// indirect`), module paths. */
  requires: string[];
}

export function parseGoMod(text: string): GoMod {
  const mod: GoMod = { module: null, go: null, requires: [] };
  let inBlock = false;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (inBlock) {
      if (line.startsWith(')')) {
        inBlock = false;
        continue;
      }
      if (!line || line.startsWith('//') || /\/\/\s*indirect/.test(line)) continue;
      const p = line.split(/\s+/)[0];
      if (p) mod.requires.push(p);
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^module\s+("?)([^\s"]+)\1/.exec(line))) mod.module = m[2];
    else if ((m = /^go\s+(\d+\.\d+(?:\.\d+)?)/.exec(line))) mod.go = m[1];
    else if (/^require\s*\($/.test(line)) inBlock = true;
    else if ((m = /^require\s+(\S+)\s+\S+/.exec(line)) && !/\/\/\s*indirect/.test(line)) mod.requires.push(m[1]);
  }
  return mod;
}

export function parseGoWork(text: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (inBlock) {
      if (line.startsWith(')')) inBlock = false;
      else if (line) out.push(line);
      continue;
    }
    if (/^use\s*\($/.test(line)) inBlock = true;
    else {
      const m = /^use\s+(\S+)/.exec(line);
      if (m) out.push(m[1]);
    }
  }
  return out.map((p) => p.replace(/^\.\//, '').replace(/\/$/, '') || '.');
}

// ---------------------------------------------------------------------------------------------
// Ruby, scripts

export function gemfileGems(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^\s*gem\s+["']([A-Za-z0-9_.-]+)["']/gm)) out.add(m[1].toLowerCase());
  return out;
}

/** Makefile targets and their recipes (variables and pattern rules left out). */
export function makefileTargets(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('\t')) {
      for (const t of current) out.set(t, (out.get(t) ?? '') + line.trim() + '\n');
      continue;
    }
    const m = /^([A-Za-z0-9_][A-Za-z0-9_.\-/ ]*?)\s*::?(?!=)(.*)$/.exec(line);
    if (m && !m[1].includes('%') && !/^\s*[A-Za-z0-9_]+\s*[:?+]?=/.test(line)) {
      current = m[1].split(/\s+/).filter((t) => t && !t.startsWith('.'));
      for (const t of current) if (!out.has(t)) out.set(t, '');
      const inline = m[2].includes(';') ? m[2].slice(m[2].indexOf(';') + 1).trim() : '';
      if (inline) for (const t of current) out.set(t, out.get(t)! + inline + '\n');
    } else if (line.trim() && !line.startsWith('#')) {
      current = [];
    }
  }
  return out;
}

export function procfileEntries(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.+)$/.exec(line.trim());
    if (m && !line.trim().startsWith('#')) out.set(m[1], m[2].trim());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// XML (Maven, MSBuild) and Gradle

export function stripXmlComments(text: string): string {
  return text.replace(/<!--[\s\S]*?(-->|$)/g, '');
}

export function xmlValues(text: string, tag: string): string[] {
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>\\s*([^<]*?)\\s*</${tag}>`, 'g');
  return [...text.matchAll(re)].map((m) => m[1]);
}

export function stripCComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(\*\/|$)/g, '').replace(/(^|[^:"'])\/\/.*$/gm, '$1');
}

// ---------------------------------------------------------------------------------------------
// Container images

/** Images a Dockerfile starts from (`FROM image [AS name]`), build-stage references left out. */
export function dockerfileImages(text: string): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(m[1].toLowerCase())) out.push(m[1]);
    if (m[2]) stages.add(m[2].toLowerCase());
  }
  return out;
}

/** The language an image name says, e.g. `mcr.microsoft.com/devcontainers/python:3.12` → python. */
export function imageLanguage(image: string): LanguageId | null {
  const noTag = image.toLowerCase().replace(/@sha256:.*$/, '').replace(/:[^/]*$/, '');
  const segments = noTag.split('/');
  const last = segments[segments.length - 1];
  const table: [RegExp, LanguageId][] = [
    [/^typescript-node$/, 'typescript'],
    [/^(javascript-node|node|nodejs|bun|deno)$/, 'javascript'],
    [/^(python|pypy|anaconda|miniconda|miniconda3|jupyter|uv)$/, 'python'],
    [/^(go|golang)$/, 'go'],
    [/^rust$/, 'rust'],
    [/^(java|java-8|openjdk|eclipse-temurin|amazoncorretto|maven|gradle|sapmachine|ibm-semeru-runtimes)$/, 'java'],
    [/^(kotlin)$/, 'kotlin'],
    [/^(ruby|jekyll|rails)$/, 'ruby'],
    [/^(php|composer|laravel)$/, 'php'],
    [/^(dotnet|sdk|aspnet)$/, 'csharp'],
    [/^(cpp|gcc)$/, 'cpp'],
  ];
  // mcr.microsoft.com/dotnet/sdk, .../dotnet/aspnet
  if (segments.includes('dotnet')) return 'csharp';
  for (const [re, lang] of table) if (re.test(last)) return lang;
  return null;
}

/** The language a dev container Feature id says (`ghcr.io/devcontainers/features/python:1`). */
export function featureLanguage(id: string): LanguageId | null {
  const m = /\/features\/([a-z0-9-]+)(?::|$)/i.exec(id);
  if (!m) return null;
  const map: Record<string, LanguageId> = {
    node: 'javascript',
    python: 'python',
    go: 'go',
    rust: 'rust',
    java: 'java',
    ruby: 'ruby',
    php: 'php',
    dotnet: 'csharp',
  };
  return map[m[1].toLowerCase()] ?? null;
}
