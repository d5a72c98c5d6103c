// Detection rules over a TreeSnapshot: analyses every folder that holds a project (a "part"),
// weighs the evidence per ecosystem, finds how a monorepo is organised, chooses the primary part
// with a stated reason and assembles the DetectionResult. Pure: no I/O, so it is tested on
// in-memory snapshots.
import type { DetectionEvidence, DetectionResult, LanguageId, ProjectPart, ProjectStack } from '../../protocol';
import {
  emptyCandidate,
  fromRoot,
  ownScripts,
  procfileWeb,
  RuleContext,
  shown,
  sourceBonus,
  type Candidate,
  type DevCommand,
} from './context';
import { analyzeCFamily, analyzeDotnet, isDotnetTestProject } from './families/dotnet-c';
import { analyzeGo, goWorkspace } from './families/go';
import { analyzeJvm } from './families/jvm';
import { analyzeOther } from './families/other';
import { analyzeNode } from './families/node';
import { analyzePython } from './families/python';
import { analyzePhp, analyzeRuby } from './families/ruby-php';
import { analyzeRust } from './families/rust';
import { FRAMEWORKS, LANGUAGE_NAMES, PACKAGE_MANAGER_NAMES, stackLabel, TOOL_NAMES } from './ids';
import { hasPartManifest, MAX_DEPTH, NON_PART_DIRS } from './layout';
import * as m from './manifests';
import { basenameRel, depthOf, dirnameRel, joinRel, type TreeSnapshot } from './snapshot';

export type DetectionAnswer = Omit<DetectionResult, 'folder' | 'stats'>;

const ANALYZERS = [analyzeNode, analyzePython, analyzeGo, analyzeRust, analyzeJvm, analyzeRuby, analyzePhp, analyzeDotnet, analyzeCFamily, analyzeOther];

/** Source kinds → the language they make when no manifest speaks for them. */
const SOURCE_LANGUAGES: { kinds: string[]; language: LanguageId; family: Candidate['family'] }[] = [
  { kinds: ['py'], language: 'python', family: 'python' },
  { kinds: ['ts'], language: 'typescript', family: 'node' },
  { kinds: ['js', 'vue', 'svelte'], language: 'javascript', family: 'node' },
  { kinds: ['go'], language: 'go', family: 'go' },
  { kinds: ['rs'], language: 'rust', family: 'rust' },
  { kinds: ['java'], language: 'java', family: 'jvm' },
  { kinds: ['kt'], language: 'kotlin', family: 'jvm' },
  { kinds: ['rb'], language: 'ruby', family: 'ruby' },
  { kinds: ['php'], language: 'php', family: 'php' },
  { kinds: ['cs'], language: 'csharp', family: 'dotnet' },
  { kinds: ['c'], language: 'c', family: 'cfamily' },
  { kinds: ['cpp'], language: 'cpp', family: 'cfamily' },
];

const SAME_FAMILY: Partial<Record<LanguageId, string>> = { javascript: 'js', typescript: 'js', java: 'jvm', kotlin: 'jvm', c: 'c', cpp: 'c' };
function familyOf(lang: LanguageId): string {
  return SAME_FAMILY[lang] ?? lang;
}

interface Hint {
  language: LanguageId;
  weight: number;
  evidence: DetectionEvidence;
  /** From the dev container's own config (image, Dockerfile, feature) rather than the app's Dockerfile. */
  devcontainer: boolean;
}

/** Normalises `base/rel` (with `..`) to a path inside the folder, or null when it leaves it. */
function insideRel(base: string, rel: string): string | null {
  const out: string[] = base ? base.split('/') : [];
  for (const seg of rel.split(/[\\/]/)) {
    if (!seg || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

/** What the dev container's own image, Dockerfile and Features say, and the app's own Dockerfile. */
function containerHints(ctx: RuleContext): Hint[] {
  const hints: Hint[] = [];
  const configs = [
    '.devcontainer/devcontainer.json',
    '.devcontainer.json',
    ...ctx.subdirs('.devcontainer').map((d) => `.devcontainer/${d}/devcontainer.json`),
  ].filter((f) => ctx.has(f));
  const file = configs[0];
  const cfg = file ? ctx.json(file) : null;
  if (file && cfg) {
    const image = m.asString(cfg.image);
    const imageLang = image ? m.imageLanguage(image) : null;
    if (image && imageLang) hints.push({ language: imageLang, weight: 6, devcontainer: true, evidence: { file, reason: `dev container image ${image} → ${LANGUAGE_NAMES[imageLang]}` } });
    const build = m.asRecord(cfg.build);
    const dockerfile = m.asString(build.dockerfile) ?? m.asString(cfg.dockerFile);
    if (dockerfile) {
      const p = insideRel(dirnameRel(file), dockerfile);
      const text = p !== null ? ctx.text(p) : null;
      for (const img of text ? m.dockerfileImages(text) : []) {
        const lang = m.imageLanguage(img);
        if (lang && p) {
          hints.push({ language: lang, weight: 6, devcontainer: true, evidence: { file: p, reason: `dev container Dockerfile starts FROM ${img} → ${LANGUAGE_NAMES[lang]}` } });
          break;
        }
      }
    }
    for (const id of Object.keys(m.asRecord(cfg.features))) {
      const lang = m.featureLanguage(id);
      if (lang) hints.push({ language: lang, weight: 2, devcontainer: true, evidence: { file, reason: `dev container Feature ${id} → ${LANGUAGE_NAMES[lang]}` } });
    }
  }
  for (const name of ['Dockerfile', 'Containerfile']) {
    const text = ctx.text(name);
    const img = text ? m.dockerfileImages(text).find((i) => m.imageLanguage(i)) : undefined;
    if (img) {
      const lang = m.imageLanguage(img)!;
      hints.push({ language: lang, weight: 2, devcontainer: false, evidence: { file: name, reason: `the app's Dockerfile starts FROM ${img} → ${LANGUAGE_NAMES[lang]}` } });
      break;
    }
  }
  return hints;
}

interface Analysis {
  dir: string;
  best: Candidate;
  runnerUp: number;
  test: boolean;
}

function analyzeDir(ctx: RuleContext, dir: string, hints: Hint[]): Analysis | null {
  const cands = ANALYZERS.map((fn) => fn(ctx, dir)).filter((c): c is Candidate => c !== null);
  // languages seen only in source files
  const counts = ctx.sourceCounts(dir);
  const covered = new Set<string>(cands.map((c) => (c.family === 'deno' ? 'node' : c.family)));
  const jsFamily = { ts: counts.ts ?? 0, js: (counts.js ?? 0) + (counts.vue ?? 0) + (counts.svelte ?? 0) };
  for (const s of SOURCE_LANGUAGES) {
    if (covered.has(s.family)) continue;
    let n = s.kinds.reduce((a, k) => a + (counts[k] ?? 0), 0);
    if (s.family === 'node') {
      // one candidate for JavaScript and TypeScript together, named after the bigger one
      if ((s.language === 'typescript') !== jsFamily.ts >= jsFamily.js) continue;
      n = jsFamily.ts + jsFamily.js;
    }
    if (s.family === 'cfamily') n += counts.h ?? 0;
    if (n === 0) continue;
    if (s.language === 'c' && (counts.cpp ?? 0) > 0) continue;
    if (s.language === 'cpp' && (counts.cpp ?? 0) === 0) continue;
    const c = emptyCandidate('sources', s.language);
    c.score = sourceBonus(n, 5);
    c.evidence.push({ file: shown(dir), reason: `${n} ${LANGUAGE_NAMES[s.language]} source file${n === 1 ? '' : 's'} (no manifest)` });
    const entry = s.language === 'python' ? ['main.py', 'app.py'].find((f) => ctx.has(joinRel(dir, f))) : s.language === 'go' && ctx.has(joinRel(dir, 'main.go')) ? '.' : undefined;
    if (entry) c.dev = { command: s.language === 'python' ? `python ${entry}` : 'go run .', source: joinRel(dir, entry === '.' ? 'main.go' : entry) };
    cands.push(c);
  }
  // the dev container's image and the app's Dockerfile
  for (const h of hints) {
    const same = cands.filter((c) => familyOf(c.language) === familyOf(h.language));
    if (same.length) {
      for (const c of same) {
        c.score += h.weight;
        c.evidence.push(h.evidence);
      }
    } else if (h.devcontainer) {
      // the dev container's image can name the language alone; the app's own Dockerfile only supports other evidence
      const c = emptyCandidate('image', h.language);
      c.score = h.weight;
      c.evidence.push(h.evidence);
      cands.push(c);
    }
  }
  if (cands.length === 0) return null;
  cands.sort((a, b) => b.score - a.score);
  const best = cands[0];
  const runnerUp = cands.find((c) => familyOf(c.language) !== familyOf(best.language))?.score ?? 0;
  const projectFile = ctx.files(dir).find((n) => n.endsWith('.csproj'));
  const test = best.family === 'dotnet' && !!projectFile && isDotnetTestProject(projectFile, ctx.text(joinRel(dir, projectFile)) ?? '');
  return { dir, best, runnerUp, test };
}

/** Commands and frameworks that pick up a saved change by themselves. */
const WATCHING_COMMAND =
  /\b(nodemon|ts-node-dev|node-dev|watchexec|entr|air|cargo[- ]watch|bacon|dotnet watch|fastapi dev|runserver|quarkus:dev|quarkusDev|streamlit run|artisan serve|rails s(erver)?|bin\/dev|react-scripts start|vue-cli-service serve|ng serve|webpack serve|webpack-dev-server|vite|astro dev|nuxi? dev|next dev|remix( vite:)?dev|react-router dev|svelte-kit dev)\b|--watch\b|\btsx watch\b|--hot\b|--reload\b|--debug\b|(^|\s)php -S\b|\bnext(\s|$)/;
/** Frameworks whose development server reloads code by itself. */
const SELF_RELOADING = new Set(['nextjs', 'nuxt', 'astro', 'sveltekit', 'react-router', 'angular', 'django', 'rails', 'laravel', 'symfony', 'streamlit']);

function watches(c: Pick<Candidate, 'dev' | 'framework'>): boolean | null {
  if (!c.dev) return null;
  const text = `${c.dev.command}\n${c.dev.body ?? ''}`;
  if (WATCHING_COMMAND.test(text)) return true;
  // the framework's own default runner (not a production Procfile process)
  if (c.framework && SELF_RELOADING.has(c.framework) && !/Procfile \(web\)/.test(c.dev.source) && !/\b(gunicorn|puma|uwsgi|node dist|start:prod)\b/.test(text)) return true;
  return false;
}

function confidenceOf(a: Analysis): number {
  const c = a.best;
  const s = c.score;
  let conf = s >= 14 ? 0.92 : s >= 12 ? 0.88 : s >= 10 ? 0.82 : s >= 8 ? 0.72 : s >= 6 ? 0.6 : s >= 3 ? 0.45 : 0.25;
  if (c.pmExplicit) conf += 0.04;
  if (c.framework) conf += 0.03;
  if (a.runnerUp > 0) conf -= 0.3 * Math.min(1, a.runnerUp / s) ** 2;
  return Math.round(Math.max(0.05, Math.min(0.99, conf)) * 100) / 100;
}

function dedupe(evidence: DetectionEvidence[]): DetectionEvidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const key = `${e.file}\u0000${e.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function stackOf(a: Analysis): ProjectStack {
  const c = a.best;
  return {
    language: c.language,
    languageName: LANGUAGE_NAMES[c.language],
    framework: c.framework,
    frameworkName: c.framework ? FRAMEWORKS[c.framework].name : null,
    tool: c.tool,
    toolName: c.tool ? TOOL_NAMES[c.tool] : null,
    packageManager: c.pm,
    packageManagerName: c.pm ? PACKAGE_MANAGER_NAMES[c.pm] : null,
    devCommand: c.dev?.command ?? null,
    devCommandSource: c.dev?.source ?? null,
    devCommandWatches: watches(c),
    ports: c.ports,
    languageVersion: c.version,
    confidence: confidenceOf(a),
    evidence: dedupe(c.evidence),
  };
}

function partOf(a: Analysis): ProjectPart {
  const stack = stackOf(a);
  return {
    ...stack,
    path: shown(a.dir),
    name: a.best.name ?? (a.dir ? basenameRel(a.dir) : '.'),
    role: a.best.role,
    label: stackLabel(stack.language, stack.framework, stack.packageManager),
  };
}

/** Whether the folder itself is a project (not only a workspace root or tooling). */
function isProject(a: Analysis | null): boolean {
  return !!a && !a.best.aggregator && a.best.role !== 'tooling' && a.best.score >= 6 && a.best.family !== 'image';
}

interface Ranked {
  a: Analysis;
  score: number;
  reasons: string[];
}

/** Scores the parts for "primary": the dev container's language, what the root's dev script starts, apps over libraries, servers over UIs. */
function rankParts(parts: Analysis[], hints: Hint[], rootDev: DevCommand | null): Ranked[] {
  const dcLang = hints.find((h) => h.devcontainer && h.weight >= 6)?.language;
  const appCount = parts.filter((p) => p.best.role === 'app').length;
  const ranked = parts.map((a): Ranked => {
    const c = a.best;
    let score = 0;
    const reasons: string[] = [];
    if (dcLang && familyOf(c.language) === familyOf(dcLang)) {
      score += 5;
      reasons.push(`it matches the dev container (${LANGUAGE_NAMES[dcLang]})`);
    }
    const rootText = `${rootDev?.command ?? ''}\n${rootDev?.body ?? ''}`;
    const name = c.name ?? basenameRel(a.dir);
    if (rootDev && (rootText.includes(a.dir) || new RegExp(`(^|[\\s'"=/@])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([\\s'"/]|$)`).test(rootText))) {
      score += 3;
      reasons.push('the top-level dev script starts it');
    }
    if (c.role === 'app') {
      score += 3;
      if (appCount === 1) reasons.push('it is the only application');
    } else if (c.role === 'library') score -= 2;
    else score -= 5;
    const kind = c.framework ? FRAMEWORKS[c.framework].kind : null;
    if (kind === 'server' || kind === 'fullstack') {
      score += 2;
      reasons.push(`it serves the app (${FRAMEWORKS[c.framework!].name})`);
    } else if (kind === 'ui' || kind === 'data-app') {
      score += 1;
      if (!reasons.length) reasons.push(`it is the ${FRAMEWORKS[c.framework!].name} front end`);
    }
    if (c.dev) score += 1;
    const segs = a.dir.split('/');
    if (['backend', 'server', 'api', 'app', 'service', 'web'].includes(segs[segs.length - 1])) score += 1;
    if (segs[0] === 'apps' || segs[0] === 'services') score += 1;
    if (segs[0] === 'packages' || segs[0] === 'libs') score -= 1;
    score += a.best.score / 20 - depthOf(a.dir) * 0.2;
    if (!reasons.length) reasons.push(c.role === 'app' ? 'it is an application' : 'it has the strongest evidence');
    return { a, score, reasons };
  });
  ranked.sort((x, y) => y.score - x.score || depthOf(x.a.dir) - depthOf(y.a.dir) || x.a.dir.localeCompare(y.a.dir));
  return ranked;
}

export function detectFromSnapshot(snap: TreeSnapshot): DetectionAnswer {
  const ctx = new RuleContext(snap);
  const partDirs = [...snap.dirs.keys()]
    .filter((d) => d && !d.startsWith('.devcontainer') && !d.split('/').some((s) => NON_PART_DIRS.has(s)) && hasPartManifest(snap.dirs.get(d)!))
    .sort((a, b) => depthOf(a) - depthOf(b) || a.localeCompare(b));
  ctx.partDirs = partDirs;
  const hints = containerHints(ctx);
  const notes = [...snap.notes];
  for (const c of snap.contents.values()) if (!c.ok && c.reason !== 'budget') notes.push(c.message);

  const root = analyzeDir(ctx, '', hints);
  const subs = partDirs.map((d) => analyzeDir(ctx, d, [])).filter((a): a is Analysis => a !== null && !a.test && a.best.family !== 'sources');
  const rootIsProject = isProject(root);
  const rootDev: DevCommand | null = root?.best.dev && (root.best.family === 'node' || root.best.family === 'deno') ? root.best.dev : ownScripts(ctx, '') ?? procfileWeb(ctx, '');

  // how the monorepo is organised
  let monorepo: DetectionResult['monorepo'] = null;
  const gowork = goWorkspace(ctx);
  if (root?.best.aggregator) {
    const extra = ctx.has('turbo.json') ? ' with Turborepo' : ctx.has('nx.json') ? ' with Nx' : '';
    monorepo = { kind: root.best.aggregator.kind + extra, reason: root.best.aggregator.reason };
  } else if (gowork) {
    monorepo = { kind: 'Go workspace', reason: `go.work uses ${gowork.members.join(', ')}` };
  } else if (subs.length > 1 || (subs.length >= 1 && rootIsProject)) {
    const names = subs.slice(0, 4).map((s) => `${s.dir}/`);
    monorepo = { kind: 'folders', reason: `separate projects in ${names.join(', ')}${subs.length > 4 ? ', ...' : ''}` };
  }

  // the primary part
  let primary: Analysis | null = null;
  let primaryReason: string;
  let parts: Analysis[] = subs;
  let ranked: Ranked[] = [];
  if (rootIsProject && root) {
    primary = root;
    parts = subs.length ? [root, ...subs] : [];
    const manifest = root.best.evidence.find((e) => !e.file.includes('/'))?.file ?? 'its manifest';
    primaryReason = `the folder itself is a ${stackLabel(root.best.language, root.best.framework, root.best.pm)} project (${manifest})`;
  } else if (subs.length) {
    ranked = rankParts(subs, hints, rootDev);
    primary = ranked[0].a;
    const others = ranked.slice(1, 5).map((r) => `${r.a.dir} (${stackLabel(r.a.best.language, r.a.best.framework, r.a.best.pm)})`);
    primaryReason =
      subs.length === 1
        ? `the project lives in ${primary.dir}/ (the folder itself has no project manifest)`
        : `${primary.dir} is the primary part: ${ranked[0].reasons.join('; ')}. Other parts: ${others.join(', ')}${ranked.length > 5 ? ', ...' : ''}`;
  } else if (root) {
    primary = root;
    parts = [];
    primaryReason =
      root.best.family === 'sources' || root.best.family === 'image'
        ? `no project manifest was found; the answer rests on ${root.best.family === 'image' ? 'the dev container image' : 'the source files'} alone`
        : `the folder itself is a ${stackLabel(root.best.language, root.best.framework, root.best.pm)} project`;
  } else {
    primaryReason = `nothing recognisable was found: no project manifest (package.json, pyproject.toml, go.mod, Cargo.toml, pom.xml, build.gradle, Gemfile, composer.json, *.csproj, CMakeLists.txt), dev container image or source files within ${MAX_DEPTH} folder levels`;
  }

  if (!primary) {
    const empty: ProjectStack = {
      language: 'other',
      languageName: LANGUAGE_NAMES.other,
      framework: null,
      frameworkName: null,
      tool: null,
      toolName: null,
      packageManager: null,
      packageManagerName: null,
      devCommand: null,
      devCommandSource: null,
      devCommandWatches: null,
      ports: [],
      languageVersion: null,
      confidence: 0,
      evidence: [],
    };
    const label = LANGUAGE_NAMES.other;
    return { ...empty, label, summary: `${label}: ${primaryReason}.`, primary: null, primaryReason, parts: [], monorepo: null, notes };
  }

  const stack = stackOf(primary);
  // a close call between two parts lowers the confidence
  if (ranked.length > 1 && ranked[0].score - ranked[1].score < 1) stack.confidence = Math.round(stack.confidence * 90) / 100;
  // the dev command runs from the folder: the top level's own script first (it usually starts
  // every part), else the primary part's command run in its folder
  if (primary !== root) {
    const ownRoot = rootDev && !(root && isProject(root));
    if (ownRoot) {
      stack.devCommand = rootDev.command;
      stack.devCommandSource = rootDev.source;
      stack.devCommandWatches = watches({ dev: rootDev, framework: null }) || stack.devCommandWatches;
      const ports = [...stack.ports];
      for (const p of parts) if (p.best.role === 'app') for (const port of p.best.ports) if (!ports.includes(port)) ports.push(port);
      stack.ports = ports;
    } else if (stack.devCommand) {
      stack.devCommand = fromRoot(primary.dir, stack.devCommand);
    }
    const rootEvidence = [...hints.map((h) => h.evidence), ...(root?.best.aggregator ? root.best.evidence.filter((e) => !e.file.includes('/')) : [])];
    stack.evidence = dedupe([...stack.evidence, ...rootEvidence]);
  }
  stack.evidence = stack.evidence.slice(0, 16);
  // manifests that were read but could not be used (a read failure already has its note)
  for (const p of [primary, ...parts]) {
    for (const e of p.best.evidence) if (e.reason.startsWith('present but not usable') && snap.contents.get(e.file)?.ok !== false) notes.push(`${e.file} is ${e.reason}`);
  }

  const label = stackLabel(stack.language, stack.framework, stack.packageManager);
  const partList = parts.map(partOf);
  const result: DetectionAnswer = {
    ...stack,
    label,
    summary: '',
    primary: shown(primary.dir),
    primaryReason,
    parts: partList,
    monorepo,
    notes: [...new Set(notes)],
  };
  result.summary = summarize(result);
  return result;
}

/** Plain text for a tooltip: the stack, the dev command, the evidence, the other parts. */
export function summarize(r: DetectionAnswer): string {
  const lines = [`${r.label} (confidence ${r.confidence.toFixed(2)})`];
  if (r.toolName) lines.push(`Tool: ${r.toolName}`);
  if (r.devCommand) lines.push(`Dev command: ${r.devCommand}${r.devCommandSource ? ` (from ${r.devCommandSource})` : ''}`);
  if (r.evidence.length) {
    lines.push('Evidence:');
    for (const e of r.evidence.slice(0, 8)) lines.push(`  ${e.file}: ${e.reason}`);
  }
  if (r.parts.length) {
    lines.push(`Parts${r.monorepo ? ` (${r.monorepo.kind})` : ''}:`);
    for (const p of r.parts) lines.push(`  ${p.path === r.primary ? '*' : '-'} ${p.path}: ${p.label}${p.role !== 'app' ? ` [${p.role}]` : ''}`);
    lines.push(`Primary: ${r.primaryReason}`);
  }
  return lines.join('\n');
}
