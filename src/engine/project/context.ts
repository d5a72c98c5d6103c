// Shared pieces of the detection rules: a read-only view of the snapshot (RuleContext), the shape
// each ecosystem's rules return (Candidate), and helpers every ecosystem uses: the project's own
// scripts (bin/dev, Procfile, Makefile targets), ports named in commands, README hints.
// Pure: no I/O.
import type { DetectionEvidence, FrameworkId, LanguageId, PackageManagerId, ToolId } from '../../protocol';
import * as m from './manifests';
import { ancestorsOf, basenameRel, dirnameRel, joinRel, type DirListing, type TreeSnapshot } from './snapshot';

export type Family = 'node' | 'deno' | 'python' | 'go' | 'rust' | 'jvm' | 'ruby' | 'php' | 'dotnet' | 'cfamily' | 'other' | 'sources' | 'image';

export interface DevCommand {
  command: string;
  source: string;
  /** The text the command stands for (a script body), for finding ports. */
  body?: string;
}

/** What one ecosystem's rules say about one folder. */
export interface Candidate {
  family: Family;
  language: LanguageId;
  /** How strongly the folder is this ecosystem (manifests, lockfiles, framework, sources). */
  score: number;
  framework: FrameworkId | null;
  tool: ToolId | null;
  pm: PackageManagerId | null;
  /** Whether the package manager was stated (lockfile, packageManager field) rather than assumed. */
  pmExplicit: boolean;
  dev: DevCommand | null;
  ports: number[];
  version: string | null;
  evidence: DetectionEvidence[];
  role: 'app' | 'library' | 'tooling';
  /** Set for a workspace root that is not itself an app: how the workspace is declared. */
  aggregator: { kind: string; reason: string } | null;
  name: string | null;
}

export function emptyCandidate(family: Family, language: LanguageId): Candidate {
  return {
    family,
    language,
    score: 0,
    framework: null,
    tool: null,
    pm: null,
    pmExplicit: false,
    dev: null,
    ports: [],
    version: null,
    evidence: [],
    role: 'app',
    aggregator: null,
    name: null,
  };
}

const SOURCE_EXTENSIONS: Record<string, string> = {
  py: 'py',
  ipynb: 'py',
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  jsx: 'js',
  ts: 'ts',
  tsx: 'ts',
  mts: 'ts',
  cts: 'ts',
  vue: 'vue',
  svelte: 'svelte',
  go: 'go',
  rs: 'rs',
  java: 'java',
  kt: 'kt',
  rb: 'rb',
  php: 'php',
  cs: 'cs',
  c: 'c',
  h: 'h',
  cpp: 'cpp',
  cc: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  hh: 'cpp',
  hxx: 'cpp',
};

/** Config files with source extensions that say nothing about the app's language. */
function isConfigFile(name: string): boolean {
  return /\.config\.[cm]?[jt]s$/.test(name) || /^\.?[\w-]*rc\.[cm]?js$/.test(name) || name.endsWith('.d.ts') || /^(gulpfile|Gruntfile|webpack\.\w+)\.[cm]?js$/.test(name);
}

export class RuleContext {
  private readonly jsonCache = new Map<string, Record<string, unknown> | null>();
  private readonly tomlCache = new Map<string, m.TomlDoc | null>();
  private readonly fileSets = new Map<string, Set<string>>();
  private readonly countCache = new Map<string, Record<string, number>>();
  /** Part folders (set by the assembly) whose files belong to them, not to their ancestors. */
  private parts: string[] = [];
  private partSet = new Set<string>();
  get partDirs(): string[] {
    return this.parts;
  }
  set partDirs(dirs: string[]) {
    this.parts = dirs;
    this.partSet = new Set(dirs);
    this.countCache.clear();
  }
  /** Hints from the top-level README, used only when nothing stronger says which package manager. */
  readonly readme: ReadmeHints;

  constructor(readonly snap: TreeSnapshot) {
    this.readme = readmeHints(this);
  }

  listing(dir: string): DirListing | undefined {
    return this.snap.dirs.get(dir);
  }
  files(dir: string): string[] {
    return this.listing(dir)?.files ?? [];
  }
  subdirs(dir: string): string[] {
    return this.listing(dir)?.dirs ?? [];
  }
  has(file: string): boolean {
    const dir = dirnameRel(file);
    let set = this.fileSets.get(dir);
    if (!set) {
      set = new Set(this.files(dir));
      this.fileSets.set(dir, set);
    }
    if (!set.has(basenameRel(file))) return false;
    // a binary file with a manifest's name is not that manifest
    const c = this.snap.contents.get(file);
    return !(c && !c.ok && c.reason === 'binary');
  }
  hasDir(dir: string): boolean {
    if (this.snap.dirs.has(dir)) return true;
    return this.subdirs(dirnameRel(dir)).includes(basenameRel(dir));
  }
  /** The text of a file that was read, or null. */
  text(file: string): string | null {
    const c = this.snap.contents.get(file);
    return c && c.ok ? c.text : null;
  }
  /** Why a present file could not be used, or null when it was read. */
  problem(file: string): string | null {
    const c = this.snap.contents.get(file);
    if (!c) return this.has(file) ? 'it was not read' : null;
    return c.ok ? null : c.message;
  }
  json(file: string): Record<string, unknown> | null {
    if (!this.jsonCache.has(file)) {
      const t = this.text(file);
      this.jsonCache.set(file, t === null ? null : m.parseJsonLoose(t));
    }
    return this.jsonCache.get(file)!;
  }
  toml(file: string): m.TomlDoc | null {
    if (!this.tomlCache.has(file)) {
      const t = this.text(file);
      this.tomlCache.set(file, t === null ? null : m.parseTomlLoose(t));
    }
    return this.tomlCache.get(file)!;
  }
  /** `dir` and its ancestors up to the folder, nearest first. */
  upwards(dir: string): string[] {
    return [dir, ...ancestorsOf(dir)];
  }
  /** The nearest file called `name` in `dir` or an ancestor, as a relative path. */
  findUp(dir: string, name: string): string | null {
    for (const d of this.upwards(dir)) {
      const f = joinRel(d, name);
      if (this.has(f)) return f;
    }
    return null;
  }
  /**
   * Source files by kind in the folders listed under `dir` (its own parts' folders excluded),
   * config files (vite.config.ts, .eslintrc.js) left out.
   */
  sourceCounts(dir: string): Record<string, number> {
    const cached = this.countCache.get(dir);
    if (cached) return cached;
    const out: Record<string, number> = {};
    this.countCache.set(dir, out);
    const parts = this.partSet;
    // the listed sub-tree of `dir`, without the folders of other parts and the dev container's
    const stack = [dir];
    while (stack.length) {
      const d = stack.pop()!;
      const listing = this.snap.dirs.get(d);
      if (!listing) continue;
      for (const f of listing.files) {
        const dot = f.lastIndexOf('.');
        if (dot <= 0) continue;
        const kind = SOURCE_EXTENSIONS[f.slice(dot + 1)];
        if (!kind || isConfigFile(f)) continue;
        out[kind] = (out[kind] ?? 0) + 1;
      }
      for (const child of listing.dirs) {
        const c = joinRel(d, child);
        if (!parts.has(c) && c !== '.devcontainer') stack.push(c);
      }
    }
    return out;
  }

}

/** Score for having `count` source files: grows slowly, at most `cap`. */
export function sourceBonus(count: number, cap = 3): number {
  return count > 0 ? Math.min(cap, Math.log2(1 + count) / 1.5) : 0;
}

/** A path relative to the folder, as shown in evidence (`.` for the folder itself). */
export function shown(rel: string): string {
  return rel || '.';
}

// ---------------------------------------------------------------------------------------------
// README hints

export interface ReadmeHints {
  file: string | null;
  /** Package managers the README's commands use, in order of first mention, with the command seen. */
  mentions: { pm: PackageManagerId; snippet: string; index: number }[];
}

const README_PATTERNS: [PackageManagerId, RegExp][] = [
  ['pnpm', /\bpnpm (?:install|i|add|dev|run|build|start)\b/],
  ['yarn', /\byarn(?: install| add| dev| start| build| run|\s*$)/m],
  ['bun', /\bbun (?:install|run|dev|add|i)\b/],
  ['npm', /\bnpm (?:install|ci|i|run|start)\b/],
  ['uv', /\buv (?:sync|run|add|pip|venv|lock)\b/],
  ['poetry', /\bpoetry (?:install|add|run|shell|lock)\b/],
  ['pipenv', /\bpipenv (?:install|run|shell|sync)\b/],
  ['pdm', /\bpdm (?:install|run|add|sync)\b/],
  ['pip', /\bpip3? install\b/],
];

function readmeHints(ctx: RuleContext): ReadmeHints {
  const file = ['README.md', 'readme.md', 'Readme.md', 'README.rst', 'README.txt', 'README'].find((f) => ctx.has(f)) ?? null;
  const text = file ? ctx.text(file) : null;
  const mentions: ReadmeHints['mentions'] = [];
  if (text) {
    for (const [pm, re] of README_PATTERNS) {
      const hit = re.exec(text);
      if (hit) mentions.push({ pm, snippet: hit[0].trim(), index: hit.index });
    }
    mentions.sort((a, b) => a.index - b.index);
  }
  return { file, mentions };
}

/** The first package manager out of `allowed` the README uses. */
export function readmePm(ctx: RuleContext, allowed: PackageManagerId[]): { pm: PackageManagerId; evidence: DetectionEvidence } | null {
  const hit = ctx.readme.mentions.find((h) => allowed.includes(h.pm));
  if (!hit || !ctx.readme.file) return null;
  return { pm: hit.pm, evidence: { file: ctx.readme.file, reason: `README uses "${hit.snippet}" (no lockfile says otherwise)` } };
}

// ---------------------------------------------------------------------------------------------
// The project's own scripts

const DEV_TARGETS = ['dev', 'run', 'serve', 'start', 'server', 'develop', 'watch', 'up'];
/** Recipes that do not start the app inside the dev container: containers, clusters, docs sites. */
const NOT_IN_CONTAINER = /\b(docker|docker-compose|podman|kubectl|helm|vagrant|terraform|skaffold|tilt|mkdocs|sphinx|hugo|jekyll)\b/;

/** `bin/dev`, `Procfile.dev` or a Makefile target that starts the app, in that order. */
export function ownScripts(ctx: RuleContext, dir: string): DevCommand | null {
  if (ctx.has(joinRel(dir, 'bin/dev'))) {
    return { command: 'bin/dev', source: `${joinRel(dir, 'bin/dev')}`, body: ctx.text(joinRel(dir, 'bin/dev')) ?? undefined };
  }
  const procDev = joinRel(dir, 'Procfile.dev');
  const procDevText = ctx.text(procDev);
  if (procDevText) {
    const entries = m.procfileEntries(procDevText);
    if (entries.size === 1) {
      const [[name, cmd]] = [...entries];
      return { command: cmd, source: `${procDev} (${name})`, body: cmd };
    }
    if (entries.size > 1) return { command: 'foreman start -f Procfile.dev', source: procDev, body: [...entries.values()].join('\n') };
  }
  for (const name of ['Makefile', 'makefile', 'GNUmakefile']) {
    const file = joinRel(dir, name);
    const text = ctx.text(file);
    if (!text) continue;
    const targets = m.makefileTargets(text);
    for (const t of DEV_TARGETS) {
      const recipe = targets.get(t);
      if (recipe === undefined || NOT_IN_CONTAINER.test(recipe)) continue;
      if (!recipe.trim()) continue;
      return { command: `make ${t}`, source: `${file} target "${t}"`, body: recipe };
    }
  }
  return null;
}

/** The `web` process of a Procfile (usually production, so it comes after the framework's own runner). */
export function procfileWeb(ctx: RuleContext, dir: string): DevCommand | null {
  const file = joinRel(dir, 'Procfile');
  const text = ctx.text(file);
  if (!text) return null;
  const web = m.procfileEntries(text).get('web');
  return web ? { command: web, source: `${file} (web)`, body: web } : null;
}

/** A port a command or script names (`--port 4000`, `-p 4000`, `PORT=4000`, `0.0.0.0:8000`). */
export function portInText(text: string | undefined | null): number | null {
  if (!text) return null;
  const patterns = [
    /--port[= ](\d{2,5})\b/,
    /(?:^|\s)-p[= ]?(\d{2,5})\b/,
    /\bPORT=(\d{2,5})\b/,
    /\brunserver\s+(?:[\w.[\]:]+:)?(\d{2,5})\b/,
    /(?:--bind|-b)[= ](?:[\w.[\]]*):(\d{2,5})\b/,
    /\b(?:localhost|0\.0\.0\.0|127\.0\.0\.1|\[::\]):(\d{2,5})\b/,
    /(?:^|\s)-S\s+[\w.]+:(\d{2,5})\b/,
  ];
  for (const re of patterns) {
    const hit = re.exec(text);
    if (hit) {
      const port = Number(hit[1]);
      if (port > 0 && port < 65536) return port;
    }
  }
  return null;
}

/** The ports of a dev command: named in it, else the given default. */
export function portsFor(dev: DevCommand | null, fallback: number | null | undefined): number[] {
  const named = portInText(dev?.command) ?? portInText(dev?.body);
  if (named) return [named];
  return fallback ? [fallback] : [];
}

/** A command that runs in `dir`, rewritten to run from the folder: `cd dir && cmd`. */
export function fromRoot(dir: string, command: string): string {
  return dir ? `cd ${dir} && ${command}` : command;
}

/** Relative path from `dir` to a file `file` in it or an ancestor, as a command (`./mvnw`, `../mvnw`). */
export function relativeCommand(dir: string, file: string): string {
  const up = dir ? dir.split('/').length : 0;
  const fileDir = dirnameRel(file);
  const fileUp = fileDir ? fileDir.split('/').length : 0;
  const levels = up - fileUp;
  return levels <= 0 ? `./${basenameRel(file)}` : `${'../'.repeat(levels)}${basenameRel(file)}`;
}

/** A major(.minor) version out of a pin or constraint: "v20.11.0" → "20", ">=3.10" → "3.10". */
export function versionOf(spec: string | null | undefined, parts = 1): string | null {
  if (!spec) return null;
  const hit = /(\d+)(?:\.(\d+))?/.exec(spec);
  if (!hit) return null;
  return parts >= 2 && hit[2] !== undefined ? `${hit[1]}.${hit[2]}` : hit[1];
}
