// JavaScript and TypeScript: package.json (dependencies, scripts, workspaces, packageManager),
// lockfiles, tsconfig, deno.json. Pure rules over the snapshot.
import type { DetectionEvidence, FrameworkId, PackageManagerId, ToolId } from '../../../protocol';
import { FRAMEWORKS, TOOL_PORTS } from '../ids';
import * as m from '../manifests';
import { joinRel } from '../snapshot';
import {
  emptyCandidate,
  ownScripts,
  portsFor,
  procfileWeb,
  readmePm,
  sourceBonus,
  versionOf,
  type Candidate,
  type DevCommand,
  type RuleContext,
} from '../context';

/** Dependencies that name a framework, and how strongly (a meta-framework beats the UI library it wraps). */
const FRAMEWORK_DEPS: [string, FrameworkId, number][] = [
  ['@nestjs/core', 'nestjs', 100],
  ['next', 'nextjs', 90],
  ['nuxt', 'nuxt', 90],
  ['nuxt3', 'nuxt', 90],
  ['@react-router/dev', 'react-router', 90],
  ['@remix-run/dev', 'react-router', 90],
  ['@remix-run/react', 'react-router', 89],
  ['@remix-run/node', 'react-router', 88],
  ['@sveltejs/kit', 'sveltekit', 90],
  ['astro', 'astro', 90],
  ['@angular/core', 'angular', 70],
  ['hono', 'hono', 62],
  ['fastify', 'fastify', 61],
  ['koa', 'koa', 61],
  ['express', 'express', 60],
  ['vue', 'vue', 52],
  ['svelte', 'svelte', 51],
  ['react', 'react', 50],
  ['react-dom', 'react', 50],
  ['react-native', 'react', 50],
  ['expo', 'react', 50],
  ['preact', 'react', 30],
];

/** Commands in a dev script that say which framework runs. */
const SCRIPT_FRAMEWORKS: [RegExp, FrameworkId][] = [
  [/\bnext\s+(dev|start)\b|\bnext$/, 'nextjs'],
  [/\bnuxi?\s+dev\b/, 'nuxt'],
  [/\bastro\s+dev\b/, 'astro'],
  [/\bng\s+serve\b/, 'angular'],
  [/\bnest\s+start\b/, 'nestjs'],
  [/\b(react-router|remix)\s+(vite:)?dev\b/, 'react-router'],
];
const SCRIPT_RUNNER = /\b(nodemon|ts-node-dev|ts-node|tsx|node|bun|deno|wrangler)\b/;
const SCRIPT_BUNDLER = /\b(vite|webpack|react-scripts|vue-cli-service|parcel|rspack|rsbuild|ng)\b/;

/** Dev scripts in order; `serve` only when it runs a dev server (not a static file server). */
const DEV_SCRIPTS = ['dev', 'start:dev', 'develop', 'serve', 'start', 'dev:server', 'server'];

/** Packages that only lint, format, release or orchestrate: a package.json with only these is tooling. */
const TOOLING =
  /^(prettier|prettier-plugin-.*|eslint|eslint-.*|@eslint\/.*|@typescript-eslint\/.*|typescript|husky|lint-staged|@commitlint\/.*|commitlint|commitizen|cz-.*|semantic-release|@semantic-release\/.*|standard-version|release-it|@changesets\/.*|markdownlint.*|cspell|textlint.*|@biomejs\/.*|dprint|remark.*|concurrently|npm-run-all2?|cross-env|dotenv-cli|turbo|nx|@nx\/.*|lerna|rimraf|@types\/.*|pyright|stylelint.*|syncpack|knip|editorconfig.*|@playwright\/test|playwright|cypress|zx)$/;

const SCRIPT_PMS: [PackageManagerId, RegExp][] = (['pnpm', 'yarn', 'bun'] as const).map((pm) => [pm, new RegExp(`(^|[\\s;&|])${pm}\\s`)]);

const LOCKFILES: [string, PackageManagerId, string][] = [
  ['pnpm-lock.yaml', 'pnpm', 'pnpm lockfile'],
  ['bun.lock', 'bun', 'Bun lockfile'],
  ['bun.lockb', 'bun', 'Bun lockfile'],
  ['yarn.lock', 'yarn', 'Yarn lockfile'],
  ['package-lock.json', 'npm', 'npm lockfile'],
  ['npm-shrinkwrap.json', 'npm', 'npm lockfile'],
];

export function runScript(pm: PackageManagerId | null, script: string): string {
  switch (pm) {
    case 'pnpm':
      return `pnpm ${script}`;
    case 'yarn':
      return `yarn ${script}`;
    case 'bun':
      return `bun run ${script}`;
    default:
      return script === 'start' ? 'npm start' : `npm run ${script}`;
  }
}

function execBin(pm: PackageManagerId | null): string {
  switch (pm) {
    case 'pnpm':
      return 'pnpm exec';
    case 'yarn':
      return 'yarn';
    case 'bun':
      return 'bunx';
    default:
      return 'npx';
  }
}

function depsOf(pkg: Record<string, unknown>) {
  const prod = m.asRecord(pkg.dependencies);
  const dev = m.asRecord(pkg.devDependencies);
  const peer = m.asRecord(pkg.peerDependencies);
  const opt = m.asRecord(pkg.optionalDependencies);
  const all = new Set([...Object.keys(prod), ...Object.keys(dev), ...Object.keys(opt)]);
  return { prod, dev, peer, all, peerOnly: new Set(Object.keys(peer).filter((k) => !all.has(k))) };
}

/** The workspace globs a package.json / pnpm-workspace.yaml / lerna.json declares in `dir`. */
export function nodeWorkspaces(ctx: RuleContext, dir: string): { globs: string[]; kind: string; file: string } | null {
  const pkgFile = joinRel(dir, 'package.json');
  const pkg = ctx.json(pkgFile);
  const pnpmFile = joinRel(dir, 'pnpm-workspace.yaml');
  if (ctx.has(pnpmFile)) {
    const text = ctx.text(pnpmFile) ?? '';
    const globs: string[] = [];
    let inPackages = false;
    for (const line of text.split(/\r?\n/)) {
      if (/^packages\s*:/.test(line)) {
        inPackages = true;
        const inline = /\[(.*)\]/.exec(line);
        if (inline) globs.push(...inline[1].split(',').map((s) => s.trim().replace(/^['"]|['"]$/g, '')));
        continue;
      }
      if (inPackages) {
        const item = /^\s*-\s*['"]?([^'"#]+?)['"]?\s*(#.*)?$/.exec(line);
        if (item) globs.push(item[1]);
        else if (/^\S/.test(line)) inPackages = false;
      }
    }
    return { globs: globs.filter(Boolean), kind: 'pnpm workspaces', file: pnpmFile };
  }
  if (pkg) {
    const ws = Array.isArray(pkg.workspaces) ? m.asStringArray(pkg.workspaces) : m.asStringArray(m.asRecord(pkg.workspaces).packages);
    if (ws.length) return { globs: ws, kind: 'npm/yarn workspaces', file: pkgFile };
  }
  const lerna = ctx.json(joinRel(dir, 'lerna.json'));
  if (lerna) return { globs: m.asStringArray(lerna.packages).length ? m.asStringArray(lerna.packages) : ['packages/*'], kind: 'Lerna', file: joinRel(dir, 'lerna.json') };
  return null;
}

interface PmAnswer {
  pm: PackageManagerId;
  explicit: boolean;
  evidence: DetectionEvidence;
}

/** packageManager field, then lockfiles (nearest folder first), then workspace files, scripts, README, npm. */
export function nodePackageManager(ctx: RuleContext, dir: string): PmAnswer {
  for (const d of ctx.upwards(dir)) {
    const file = joinRel(d, 'package.json');
    const field = m.asString(ctx.json(file)?.packageManager);
    const hit = field ? /^(npm|pnpm|yarn|bun)@/.exec(field) : null;
    if (hit) return { pm: hit[1] as PackageManagerId, explicit: true, evidence: { file, reason: `"packageManager": "${field}"` } };
  }
  for (const d of ctx.upwards(dir)) {
    const found = LOCKFILES.filter(([name]) => ctx.has(joinRel(d, name)));
    if (found.length === 0) continue;
    let pick = found[0];
    if (found.length > 1) {
      // two lockfiles: the one the README uses, else the first in LOCKFILES order
      const hint = readmePm(ctx, found.map((f) => f[1]));
      if (hint) pick = found.find((f) => f[1] === hint.pm) ?? pick;
    }
    const others = found.filter((f) => f[1] !== pick[1]).map((f) => f[0]);
    return {
      pm: pick[1],
      explicit: true,
      evidence: { file: joinRel(d, pick[0]), reason: pick[2] + (others.length ? ` (also found ${others.join(', ')})` : '') },
    };
  }
  for (const d of ctx.upwards(dir)) {
    if (ctx.has(joinRel(d, 'pnpm-workspace.yaml'))) return { pm: 'pnpm', explicit: true, evidence: { file: joinRel(d, 'pnpm-workspace.yaml'), reason: 'pnpm workspace file' } };
    if (ctx.has(joinRel(d, '.yarnrc.yml'))) return { pm: 'yarn', explicit: true, evidence: { file: joinRel(d, '.yarnrc.yml'), reason: 'Yarn configuration' } };
    if (ctx.has(joinRel(d, 'bunfig.toml'))) return { pm: 'bun', explicit: true, evidence: { file: joinRel(d, 'bunfig.toml'), reason: 'Bun configuration' } };
  }
  const pkgFile = joinRel(dir, 'package.json');
  const pkg = ctx.json(pkgFile);
  if (pkg) {
    const engines = m.asRecord(pkg.engines);
    for (const pm of ['pnpm', 'yarn', 'bun'] as const) {
      if (typeof engines[pm] === 'string') return { pm, explicit: false, evidence: { file: pkgFile, reason: `"engines" asks for ${pm}` } };
    }
    const scripts = Object.values(m.asRecord(pkg.scripts)).filter((v): v is string => typeof v === 'string').join('\n');
    for (const [pm, re] of SCRIPT_PMS) {
      if (re.test(scripts)) return { pm, explicit: false, evidence: { file: pkgFile, reason: `its scripts run ${pm}` } };
    }
  }
  const readme = readmePm(ctx, ['pnpm', 'yarn', 'bun', 'npm']);
  if (readme) return { pm: readme.pm, explicit: false, evidence: readme.evidence };
  return { pm: 'npm', explicit: false, evidence: { file: pkgFile, reason: 'no lockfile or "packageManager" field: npm, Node\'s default' } };
}

function pickDevScript(scripts: Record<string, unknown>): { name: string; body: string } | null {
  for (const name of DEV_SCRIPTS) {
    const body = scripts[name];
    if (typeof body !== 'string' || !body.trim()) continue;
    if (name === 'serve' && !/\b(vue-cli-service|ng|webpack|vite|nodemon|tsx|node|astro|nuxi?|next)\b/.test(body)) continue;
    if (name === 'start' && /^\s*(serve|http-server)\b/.test(body)) continue;
    return { name, body };
  }
  return null;
}

function nodeVersion(ctx: RuleContext, dir: string, pkg: Record<string, unknown> | null): { version: string; file: string } | null {
  for (const d of ctx.upwards(dir)) {
    for (const name of ['.nvmrc', '.node-version']) {
      const f = joinRel(d, name);
      const v = versionOf(ctx.text(f)?.trim());
      if (v) return { version: v, file: f };
    }
    const tv = ctx.text(joinRel(d, '.tool-versions'));
    const hit = tv ? /^\s*(?:nodejs|node)\s+(\S+)/m.exec(tv) : null;
    if (hit && versionOf(hit[1])) return { version: versionOf(hit[1])!, file: joinRel(d, '.tool-versions') };
  }
  const engines = m.asString(m.asRecord(pkg?.engines).node);
  const v = versionOf(engines);
  return v ? { version: v, file: joinRel(dir, 'package.json') } : null;
}

export function analyzeNode(ctx: RuleContext, dir: string): Candidate | null {
  const pkgFile = joinRel(dir, 'package.json');
  const denoFile = ['deno.json', 'deno.jsonc'].map((n) => joinRel(dir, n)).find((f) => ctx.has(f));
  if (!ctx.has(pkgFile)) return denoFile ? analyzeDeno(ctx, dir, denoFile) : null;

  const c = emptyCandidate('node', 'javascript');
  const pkg = ctx.json(pkgFile);
  const counts = ctx.sourceCounts(dir);
  const jsCount = (counts.js ?? 0) + (counts.vue ?? 0) + (counts.svelte ?? 0);
  const tsCount = counts.ts ?? 0;
  const pmAnswer = nodePackageManager(ctx, dir);
  c.pm = pmAnswer.pm;
  c.pmExplicit = pmAnswer.explicit;

  if (!pkg) {
    // present but unusable (binary, broken, unreadable): a weak hint only
    c.score = 1 + sourceBonus(jsCount + tsCount);
    c.language = tsCount > jsCount ? 'typescript' : 'javascript';
    c.evidence.push({ file: pkgFile, reason: `present but not usable: ${ctx.problem(pkgFile) ?? 'it is not a JSON object'}` });
    c.role = 'tooling';
    return c;
  }
  const deps = depsOf(pkg);
  const scripts = m.asRecord(pkg.scripts);
  c.name = m.asString(pkg.name);
  const devScript = pickDevScript(scripts);
  const scriptBody = devScript?.body ?? '';

  // framework
  let best: { id: FrameworkId; score: number; dep: string } | null = null;
  for (const [dep, id, base] of FRAMEWORK_DEPS) {
    if (!deps.all.has(dep) && !deps.peerOnly.has(dep)) continue;
    let score = base + (dep in deps.prod ? 2 : 0) - (deps.peerOnly.has(dep) ? 5 : 0);
    const kind = FRAMEWORKS[id].kind;
    if (SCRIPT_FRAMEWORKS.some(([re, fw]) => fw === id && re.test(scriptBody))) score += 30;
    else if (scriptBody && SCRIPT_RUNNER.test(scriptBody) && !SCRIPT_BUNDLER.test(scriptBody) && kind === 'server') score += 15;
    else if (scriptBody && SCRIPT_BUNDLER.test(scriptBody) && kind === 'ui') score += 15;
    if (!best || score > best.score) best = { id, score, dep };
  }
  if (best) {
    c.framework = best.id;
    const where = best.dep in deps.prod ? 'dependencies' : best.dep in deps.dev ? 'devDependencies' : 'peerDependencies';
    c.evidence.push({ file: pkgFile, reason: `lists "${best.dep}" in ${where} → ${FRAMEWORKS[best.id].name}` });
  }

  // tool (bundler / dev server)
  const hasConfig = (base: string) => ['js', 'mjs', 'cjs', 'ts', 'mts'].some((ext) => ctx.has(joinRel(dir, `${base}.config.${ext}`)));
  const toolChecks: [ToolId, boolean][] = [
    ['turbopack', c.framework === 'nextjs' && /--turbo(pack)?\b/.test(scriptBody)],
    ['vite', deps.all.has('vite') || hasConfig('vite')],
    ['rspack', deps.all.has('@rspack/core') || deps.all.has('@rspack/cli') || deps.all.has('@rsbuild/core')],
    ['webpack', deps.all.has('webpack') || deps.all.has('webpack-cli') || deps.all.has('react-scripts') || deps.all.has('@vue/cli-service') || hasConfig('webpack')],
    ['parcel', deps.all.has('parcel')],
    ['esbuild', deps.all.has('esbuild') && /\besbuild\b/.test(Object.values(scripts).join('\n'))],
    ['rollup', deps.all.has('rollup') && !c.framework],
  ];
  if (c.framework !== 'nextjs' || /--turbo/.test(scriptBody)) {
    const tool = toolChecks.find(([, ok]) => ok);
    if (tool && !(c.framework === 'nextjs' && tool[0] !== 'turbopack')) {
      c.tool = tool[0];
      c.evidence.push({ file: pkgFile, reason: `uses ${tool[0]}${tool[0] === 'turbopack' ? ' (next dev --turbo)' : ''}` });
    }
  }

  // language
  const tsconfig = ['tsconfig.json', 'tsconfig.app.json'].map((n) => joinRel(dir, n)).find((f) => ctx.has(f));
  const ancestorTsconfig = ctx.upwards(dir).slice(1).map((d) => ['tsconfig.base.json', 'tsconfig.json'].map((n) => joinRel(d, n)).find((f) => ctx.has(f))).find(Boolean);
  if (c.framework === 'nestjs' || c.framework === 'angular') {
    c.language = 'typescript';
  } else if (tsconfig) {
    c.language = 'typescript';
    c.evidence.push({ file: tsconfig, reason: 'TypeScript configuration' });
  } else if (deps.all.has('typescript') && !(tsCount === 0 && jsCount > 3)) {
    c.language = 'typescript';
    c.evidence.push({ file: pkgFile, reason: 'lists "typescript"' });
  } else if (tsCount > jsCount || (ancestorTsconfig && tsCount > 0 && tsCount >= jsCount)) {
    c.language = 'typescript';
    c.evidence.push({ file: ancestorTsconfig ?? pkgFile, reason: `${tsCount} TypeScript source files` });
  }
  c.evidence.push(pmAnswer.evidence);

  // role and strength
  const ws = nodeWorkspaces(ctx, dir);
  const realDeps = [...deps.all, ...deps.peerOnly].filter((d) => !TOOLING.test(d));
  const hasEntry = pkg.main !== undefined || pkg.bin !== undefined || pkg.exports !== undefined || pkg.module !== undefined;
  const frameworkInProd = c.framework !== null && FRAMEWORK_DEPS.some(([dep, id]) => id === c.framework && dep in deps.prod);
  if (ws && !frameworkInProd) {
    c.aggregator = { kind: ws.kind, reason: `${ws.file} declares workspaces: ${ws.globs.join(', ')}` };
    c.role = 'tooling';
    c.evidence.push({ file: ws.file, reason: `workspaces ${ws.globs.join(', ')}` });
  } else if (realDeps.length === 0 && !hasEntry && jsCount + tsCount < 3) {
    c.role = 'tooling';
  } else if (c.framework && FRAMEWORK_DEPS.some(([dep, id]) => id === c.framework && dep in deps.peer && !(dep in deps.prod)) && !devScript) {
    c.role = 'library';
  } else if (c.framework || devScript || pkg.bin !== undefined) {
    c.role = 'app';
  } else if (hasEntry) {
    c.role = 'library'; // main/exports: something other packages import
  } else {
    c.role = jsCount + tsCount > 0 && pkg.private === true ? 'app' : jsCount + tsCount > 0 ? 'library' : 'tooling';
  }
  const lockHere = LOCKFILES.some(([n]) => ctx.has(joinRel(dir, n)));
  // a workspace root that is not an app says "JavaScript" less strongly than a real project beside it
  c.score =
    (c.aggregator ? 6 : c.role === 'tooling' ? 3 : 10) +
    (lockHere ? 2 : 0) +
    (c.framework ? (FRAMEWORKS[c.framework].kind === 'ui' ? 1 : 2) : 0) +
    sourceBonus(jsCount + tsCount);

  // dev command: the package's own scripts, then bin/dev, Procfile, Makefile, then the framework's
  let dev: DevCommand | null = devScript ? { command: runScript(c.pm, devScript.name), source: `${pkgFile} scripts.${devScript.name}`, body: devScript.body } : null;
  dev ??= ownScripts(ctx, dir) ?? procfileWeb(ctx, dir) ?? nodeFrameworkDefault(ctx, dir, c, pkg, deps.all);
  c.dev = dev;
  c.ports = portsFor(dev, c.framework ? defaultNodePort(c, deps.all) : c.tool ? TOOL_PORTS[c.tool] ?? null : null);
  if (c.role !== 'app' && !devScript) c.ports = [];
  const v = nodeVersion(ctx, dir, pkg);
  if (v) c.version = v.version;
  return c;
}

function defaultNodePort(c: Candidate, deps: Set<string>): number | null {
  if (deps.has('react-scripts')) return 3000;
  if (deps.has('@vue/cli-service')) return 8080;
  if (c.framework === 'react-router' && deps.has('@remix-run/dev') && !deps.has('vite')) return 3000;
  if (c.framework && FRAMEWORKS[c.framework].kind === 'ui' && c.framework !== 'angular') {
    return c.tool ? TOOL_PORTS[c.tool] ?? FRAMEWORKS[c.framework].port : FRAMEWORKS[c.framework].port;
  }
  return c.framework ? FRAMEWORKS[c.framework].port : null;
}

function nodeFrameworkDefault(ctx: RuleContext, dir: string, c: Candidate, pkg: Record<string, unknown>, deps: Set<string>): DevCommand | null {
  const x = execBin(c.pm);
  const fw = c.framework;
  const label = fw ? `${FRAMEWORKS[fw].name} default` : 'package.json main';
  const simple: Partial<Record<FrameworkId, string>> = {
    nextjs: `${x} next dev`,
    nuxt: `${x} nuxi dev`,
    astro: `${x} astro dev`,
    sveltekit: `${x} vite dev`,
    angular: `${x} ng serve`,
    nestjs: `${x} nest start --watch`,
    'react-router': deps.has('@react-router/dev') ? `${x} react-router dev` : `${x} remix vite:dev`,
  };
  if (fw && simple[fw]) return { command: simple[fw], source: label };
  if (fw && FRAMEWORKS[fw].kind === 'ui') {
    if (deps.has('react-scripts')) return { command: `${x} react-scripts start`, source: label };
    if (c.tool === 'vite') return { command: `${x} vite`, source: label };
    if (c.tool === 'webpack') return { command: `${x} webpack serve`, source: label };
    return null;
  }
  // a server or a plain program: run its entry file, restarting on change
  const main = m.asString(pkg.main);
  const candidates = [main, 'server.js', 'index.js', 'app.js', 'main.js', 'src/index.ts', 'src/main.ts', 'src/server.ts', 'src/index.js', 'src/server.js', 'src/app.ts', 'src/app.js', 'index.ts', 'server.ts']
    .filter((f): f is string => !!f)
    .map((f) => f.replace(/^\.\//, ''));
  const entry = candidates.find((f) => ctx.has(joinRel(dir, f)));
  if (!entry || (!fw && c.role !== 'app')) return null;
  const source = fw ? label : `${joinRel(dir, 'package.json')} main`;
  if (c.pm === 'bun') return { command: `bun --watch ${entry}`, source };
  if (/\.[cm]?tsx?$/.test(entry)) return { command: `${x} tsx watch ${entry}`, source };
  return { command: `node --watch ${entry}`, source };
}

function analyzeDeno(ctx: RuleContext, dir: string, file: string): Candidate {
  const c = emptyCandidate('deno', 'typescript');
  const cfg = ctx.json(file) ?? {};
  c.score = 10 + sourceBonus((ctx.sourceCounts(dir).ts ?? 0) + (ctx.sourceCounts(dir).js ?? 0));
  c.evidence.push({ file, reason: 'Deno configuration' });
  const imports = JSON.stringify(cfg.imports ?? {});
  if (/\bhono\b/.test(imports)) {
    c.framework = 'hono';
    c.evidence.push({ file, reason: 'imports hono → Hono' });
  }
  const tasks = m.asRecord(cfg.tasks);
  const task = ['dev', 'start', 'serve'].find((t) => typeof tasks[t] === 'string');
  c.dev = task ? { command: `deno task ${task}`, source: `${file} tasks.${task}`, body: String(tasks[task]) } : ownScripts(ctx, dir);
  c.ports = portsFor(c.dev, c.framework ? 8000 : null);
  return c;
}
