// Python: pyproject.toml (PEP 621, Poetry, PDM, uv), requirements files, Pipfile, setup.py,
// lockfiles, manage.py and the imports of a few entry files. Pure rules over the snapshot.
import type { DetectionEvidence, FrameworkId, PackageManagerId } from '../../../protocol';
import { FRAMEWORKS } from '../ids';
import { PYTHON_ENTRY_FILES } from '../layout';
import * as m from '../manifests';
import { basenameRel, dirnameRel, joinRel } from '../snapshot';
import { emptyCandidate, ownScripts, portsFor, procfileWeb, readmePm, sourceBonus, versionOf, type Candidate, type DevCommand, type RuleContext } from '../context';

const FRAMEWORK_DEPS: [FrameworkId, string[], number][] = [
  ['django', ['django'], 100],
  ['fastapi', ['fastapi', 'fastapi-slim'], 95],
  ['flask', ['flask'], 90],
  ['streamlit', ['streamlit'], 85],
  ['textual', ['textual'], 70],
  ['typer', ['typer', 'typer-slim'], 65],
  ['click', ['click'], 60],
];

type Group = 'main' | 'dev' | 'optional';
interface Dep {
  file: string;
  group: Group;
  spec: string;
}

const RUN_PREFIX: Partial<Record<PackageManagerId, string>> = { uv: 'uv run ', poetry: 'poetry run ', pipenv: 'pipenv run ', pdm: 'pdm run ' };

function isDevRequirements(file: string): boolean {
  return /(^|[-_/.])(dev|test|tests|testing|lint|docs|doc|ci|local)([-_.]|\.txt$|\.in$)/.test(basenameRel(file)) || /requirements\/(dev|test|local|ci|docs)/.test(file);
}

function collectRequirements(ctx: RuleContext, file: string, group: Group, deps: Map<string, Dep>, seen: Set<string>): void {
  if (seen.has(file) || seen.size > 20) return;
  seen.add(file);
  const text = ctx.text(file);
  if (text === null) return;
  const req = m.parseRequirements(text);
  for (const spec of req.specs) {
    const name = m.requirementName(spec);
    if (name && !deps.has(name)) deps.set(name, { file, group, spec });
  }
  for (const inc of req.includes) {
    const target = [dirnameRel(file), ...inc.split('/')].filter((s) => s && s !== '.').join('/');
    collectRequirements(ctx, target, group === 'main' && isDevRequirements(target) ? 'dev' : group, deps, seen);
  }
}

function addSpecs(deps: Map<string, Dep>, file: string, group: Group, specs: string[]): void {
  for (const spec of specs) {
    const name = m.requirementName(spec);
    if (name && name !== 'python' && (!deps.has(name) || (group === 'main' && deps.get(name)!.group !== 'main'))) deps.set(name, { file, group, spec });
  }
}

export function analyzePython(ctx: RuleContext, dir: string): Candidate | null {
  const f = (name: string) => joinRel(dir, name);
  const files = ctx.files(dir);
  const reqFiles = files.filter((n) => /^requirements.*\.(txt|in)$/.test(n)).map(f);
  const reqDir = f('requirements');
  if (ctx.hasDir(reqDir)) reqFiles.push(...ctx.files(reqDir).filter((n) => /\.(txt|in)$/.test(n)).map((n) => joinRel(reqDir, n)));
  const pyproject = ctx.has(f('pyproject.toml')) ? f('pyproject.toml') : null;
  const setupPy = ctx.has(f('setup.py')) ? f('setup.py') : null;
  const setupCfg = ctx.has(f('setup.cfg')) ? f('setup.cfg') : null;
  const pipfile = ctx.has(f('Pipfile')) ? f('Pipfile') : null;
  const managePy = ctx.has(f('manage.py')) ? f('manage.py') : null;
  const condaEnv = ['environment.yml', 'environment.yaml'].map(f).find((p) => ctx.has(p)) ?? null;
  const counts = ctx.sourceCounts(dir);
  const pyCount = counts.py ?? 0;
  if (!pyproject && !setupPy && !pipfile && !managePy && reqFiles.length === 0 && !condaEnv) return null;

  const c = emptyCandidate('python', 'python');
  const deps = new Map<string, Dep>();
  const evidence: DetectionEvidence[] = [];
  let score = 0;
  let projectScripts: string[] = [];
  const tasks: { runner: string; name: string; file: string; body: string }[] = [];
  let requiresPython: string | null = null;
  let isPackage = false;

  const doc = pyproject ? ctx.toml(pyproject) : null;
  if (pyproject) {
    if (!doc) {
      evidence.push({ file: pyproject, reason: `present but not usable: ${ctx.problem(pyproject)}` });
      score = Math.max(score, 2);
    } else {
      const t = (name: string) => doc.tables.get(name);
      const project = t('project');
      const poetry = t('tool.poetry');
      const hasRealTables = !!project || !!poetry || !!t('build-system') || !!t('tool.pdm') || !!t('tool.uv') || !!t('dependency-groups');
      score = Math.max(score, hasRealTables ? 10 : 4);
      evidence.push({ file: pyproject, reason: hasRealTables ? 'Python project metadata' : 'Python tool settings' });
      if (project) {
        c.name = m.tomlString(project.get('name'));
        addSpecs(deps, pyproject, 'main', m.tomlStrings(project.get('dependencies')));
        requiresPython = m.tomlString(project.get('requires-python'));
      }
      for (const [, table] of m.tomlTablesUnder(doc, 'project').filter(([n]) => n === 'project.optional-dependencies')) {
        for (const raw of table.values()) addSpecs(deps, pyproject, 'optional', m.tomlStrings(raw));
      }
      const scriptsTable = t('project.scripts') ?? t('tool.poetry.scripts');
      if (scriptsTable) projectScripts = [...scriptsTable.keys()];
      for (const raw of t('dependency-groups')?.values() ?? []) addSpecs(deps, pyproject, 'dev', m.tomlStrings(raw));
      const poetryDeps = t('tool.poetry.dependencies');
      if (poetryDeps) {
        for (const key of poetryDeps.keys()) if (key.toLowerCase() !== 'python') addSpecs(deps, pyproject, 'main', [key]);
        requiresPython ??= m.tomlString(poetryDeps.get('python'));
        c.name ??= m.tomlString(poetry?.get('name'));
      }
      for (const [name, table] of doc.tables) {
        if (/^tool\.poetry\.(group\.[^.]+\.)?dev-dependencies$|^tool\.poetry\.group\.[^.]+\.dependencies$/.test(name)) {
          for (const key of table.keys()) addSpecs(deps, pyproject, 'dev', [key]);
        }
      }
      for (const raw of t('tool.pdm.dev-dependencies')?.values() ?? []) addSpecs(deps, pyproject, 'dev', m.tomlStrings(raw));
      addSpecs(deps, pyproject, 'dev', m.tomlStrings(t('tool.uv')?.get('dev-dependencies')));
      for (const [runner, table] of [
        ['pdm run', t('tool.pdm.scripts')],
        ['poe', t('tool.poe.tasks')],
        ['task', t('tool.taskipy.tasks')],
      ] as const) {
        for (const [name, raw] of table ?? []) tasks.push({ runner, name, file: pyproject, body: m.tomlStrings(raw).join(' ') });
      }
      isPackage = !!t('build-system') || !!poetry;
    }
  }
  for (const file of reqFiles) {
    collectRequirements(ctx, file, isDevRequirements(file) ? 'dev' : 'main', deps, new Set());
  }
  if (reqFiles.length) {
    score = Math.max(score, 8);
    const main = reqFiles.find((r) => !isDevRequirements(r)) ?? reqFiles[0];
    evidence.push({ file: main, reason: 'Python requirements' });
  }
  if (pipfile) {
    const pdoc = ctx.toml(pipfile);
    score = Math.max(score, 9);
    evidence.push({ file: pipfile, reason: 'Pipfile' });
    for (const key of pdoc?.tables.get('packages')?.keys() ?? []) addSpecs(deps, pipfile, 'main', [key]);
    for (const key of pdoc?.tables.get('dev-packages')?.keys() ?? []) addSpecs(deps, pipfile, 'dev', [key]);
    requiresPython ??= m.tomlString(pdoc?.tables.get('requires')?.get('python_version'));
  }
  if (setupPy) {
    score = Math.max(score, 9);
    evidence.push({ file: setupPy, reason: 'setup.py (read as text, never run)' });
    addSpecs(deps, setupPy, 'main', m.setupPyRequires(ctx.text(setupPy) ?? ''));
    isPackage = true;
  }
  if (setupCfg) {
    const text = ctx.text(setupCfg) ?? '';
    const block = /install_requires\s*=\s*\n((?:[ \t]+\S.*\n?)+)/.exec(text);
    if (block) addSpecs(deps, setupCfg, 'main', block[1].split('\n').map((s) => s.trim()).filter(Boolean));
    if (/^\[metadata\]/m.test(text)) score = Math.max(score, 8);
  }
  if (managePy) {
    score = Math.max(score, 9) + 3;
    evidence.push({ file: managePy, reason: 'Django manage.py' });
  }
  if (condaEnv) {
    score = Math.max(score, 6);
    evidence.push({ file: condaEnv, reason: 'conda environment' });
  }

  // imports of the usual entry files, for projects whose manifests do not list the framework
  const entryDirs = [dir, f('app'), f('src'), f('api'), f('backend'), ...ctx.subdirs(f('src')).map((d) => joinRel(f('src'), d))];
  const imports = new Map<string, string>();
  const entryFiles: string[] = [];
  for (const d of entryDirs) {
    for (const name of ctx.files(d)) {
      if (!PYTHON_ENTRY_FILES.has(name)) continue;
      const file = joinRel(d, name);
      const text = ctx.text(file);
      if (!text) continue;
      entryFiles.push(file);
      for (const imp of m.pythonImports(text)) if (!imports.has(imp)) imports.set(imp, file);
    }
  }

  // framework
  let best: { id: FrameworkId; score: number; reason: DetectionEvidence } | null = null;
  for (const [id, names, base] of FRAMEWORK_DEPS) {
    let s = -1;
    let reason: DetectionEvidence | null = null;
    for (const name of names) {
      const dep = deps.get(name);
      if (dep) {
        const ds = base - (dep.group === 'main' ? 0 : 40);
        if (ds > s) {
          s = ds;
          reason = { file: dep.file, reason: `${dep.group === 'main' ? 'depends on' : `lists (${dep.group})`} "${dep.spec.trim()}" → ${FRAMEWORKS[id].name}` };
        }
      }
    }
    const imp = imports.get(id);
    if (imp) {
      s = Math.max(s, base - 20) + 20;
      reason ??= { file: imp, reason: `imports ${id} → ${FRAMEWORKS[id].name}` };
    }
    if (id === 'django' && managePy) {
      s = Math.max(s, base) + 10;
      reason ??= { file: managePy, reason: 'Django manage.py → Django' };
    }
    if (s >= 0 && reason && (!best || s > best.score)) best = { id, score: s, reason };
  }
  if (best) {
    c.framework = best.id;
    evidence.unshift(best.reason);
  }

  // package manager: lockfiles (here, then up to the workspace root), tool tables, README, pip
  const pmAnswer = pythonPackageManager(ctx, dir, doc, pipfile, pyproject ?? reqFiles[0] ?? setupPy);
  c.pm = pmAnswer?.pm ?? null;
  c.pmExplicit = pmAnswer?.explicit ?? false;
  if (pmAnswer) evidence.push(pmAnswer.evidence);

  c.evidence = evidence;
  c.score = score + (c.pmExplicit ? 2 : 0) + (c.framework ? (FRAMEWORKS[c.framework].kind === 'cli' ? 1 : 3) : 0) + sourceBonus(pyCount);
  const kind = c.framework ? FRAMEWORKS[c.framework].kind : null;
  const hasEntry = [...ctx.files(dir)].some((n) => ['main.py', 'app.py', 'run.py', 'server.py', 'manage.py', 'streamlit_app.py', 'wsgi.py', 'asgi.py'].includes(n));
  c.role = kind || hasEntry || projectScripts.length ? 'app' : isPackage ? 'library' : pyCount > 0 ? 'app' : 'library';

  // dev command
  const prefix = c.pm ? RUN_PREFIX[c.pm] ?? '' : '';
  let dev: DevCommand | null = ownScripts(ctx, dir);
  if (!dev) {
    const task = tasks.find((t) => ['dev', 'start', 'serve', 'server', 'run', 'runserver'].includes(t.name));
    if (task) dev = { command: task.runner === 'pdm run' ? `pdm run ${task.name}` : `${prefix}${task.runner} ${task.name}`, source: `${task.file} ${task.runner} task "${task.name}"`, body: task.body };
  }
  // manage.py here, or one level down (src/manage.py, <project>/manage.py)
  const manage = managePy ?? (c.framework === 'django' ? ctx.subdirs(dir).map((d) => joinRel(dir, `${d}/manage.py`)).find((p) => ctx.has(p)) ?? null : null);
  if (!dev && manage && (c.framework === 'django' || !c.framework)) {
    const rel = dir ? manage.slice(dir.length + 1) : manage;
    dev = { command: `${prefix}python ${rel} runserver`, source: manage };
  }
  dev ??= procfileWeb(ctx, dir);
  dev ??= pythonFrameworkDefault(ctx, dir, c.framework, prefix, deps, projectScripts, imports, entryFiles);
  c.dev = dev;
  c.ports = kind && kind !== 'cli' ? portsFor(dev, c.framework ? FRAMEWORKS[c.framework].port : null) : [];

  // version: .python-version, requires-python, Pipfile, Poetry
  for (const d of ctx.upwards(dir)) {
    const pin = versionOf(ctx.text(joinRel(d, '.python-version'))?.trim(), 2);
    if (pin) {
      c.version = pin;
      break;
    }
  }
  c.version ??= requiresPython;
  return c;
}

function pythonPackageManager(
  ctx: RuleContext,
  dir: string,
  doc: m.TomlDoc | null,
  pipfile: string | null,
  anchor: string | null,
): { pm: PackageManagerId; explicit: boolean; evidence: DetectionEvidence } | null {
  const pyproject = anchor && anchor.endsWith('pyproject.toml') ? anchor : null;
  const locks: [string, PackageManagerId, string][] = [
    ['uv.lock', 'uv', 'uv lockfile'],
    ['poetry.lock', 'poetry', 'Poetry lockfile'],
    ['pdm.lock', 'pdm', 'PDM lockfile'],
    ['Pipfile.lock', 'pipenv', 'Pipenv lockfile'],
  ];
  for (const d of ctx.upwards(dir)) {
    for (const [name, pm, reason] of locks) {
      if (ctx.has(joinRel(d, name))) return { pm, explicit: true, evidence: { file: joinRel(d, name), reason } };
    }
  }
  if (pipfile) return { pm: 'pipenv', explicit: true, evidence: { file: pipfile, reason: 'Pipfile → Pipenv' } };
  if (doc && pyproject) {
    const backend = m.tomlString(doc.tables.get('build-system')?.get('build-backend')) ?? '';
    if (doc.tables.has('tool.poetry.dependencies') || (doc.tables.has('tool.poetry') && backend.startsWith('poetry'))) {
      return { pm: 'poetry', explicit: true, evidence: { file: pyproject, reason: '[tool.poetry] → Poetry' } };
    }
    if ([...doc.tables.keys()].some((k) => k === 'tool.uv' || k.startsWith('tool.uv.'))) return { pm: 'uv', explicit: true, evidence: { file: pyproject, reason: '[tool.uv] → uv' } };
    if ([...doc.tables.keys()].some((k) => k === 'tool.pdm' || k.startsWith('tool.pdm.'))) return { pm: 'pdm', explicit: true, evidence: { file: pyproject, reason: '[tool.pdm] → PDM' } };
    if (backend.startsWith('poetry')) return { pm: 'poetry', explicit: false, evidence: { file: pyproject, reason: `build backend ${backend} → Poetry` } };
  }
  const readme = readmePm(ctx, ['uv', 'poetry', 'pipenv', 'pdm', 'pip']);
  if (readme) return { pm: readme.pm, explicit: false, evidence: readme.evidence };
  return anchor ? { pm: 'pip', explicit: false, evidence: { file: anchor, reason: 'no lockfile of another tool: pip' } } : null;
}

function pythonFrameworkDefault(
  ctx: RuleContext,
  dir: string,
  fw: FrameworkId | null,
  prefix: string,
  deps: Map<string, Dep>,
  projectScripts: string[],
  imports: Map<string, string>,
  entryFiles: string[],
): DevCommand | null {
  const has = (rel: string) => ctx.has(joinRel(dir, rel));
  const rel = (file: string) => (dir && file.startsWith(dir + '/') ? file.slice(dir.length + 1) : file);
  const label = fw ? `${FRAMEWORKS[fw].name} default` : 'entry file';
  const importing = (mod: string) => {
    const file = imports.get(mod);
    return file ? rel(file) : null;
  };
  const srcPkgs = ctx.subdirs(joinRel(dir, 'src')).filter((d) => !d.includes('.') && !d.startsWith('_'));
  switch (fw) {
    case 'fastapi': {
      const creating = entryFiles.find((f) => /\bFastAPI\s*\(/.test(ctx.text(f) ?? ''));
      const file = (creating ? rel(creating) : null) ?? ['main.py', 'app/main.py', 'app.py', 'api/main.py', 'server.py', 'asgi.py'].find(has) ?? (srcPkgs[0] && has(`src/${srcPkgs[0]}/main.py`) ? `src/${srcPkgs[0]}/main.py` : null) ?? importing('fastapi');
      if (!file) return { command: `${prefix}fastapi dev`, source: label };
      const text = ctx.text(joinRel(dir, file)) ?? '';
      const varName = /^(\w+)\s*(?::\s*\w+\s*)?=\s*FastAPI\(/m.exec(text)?.[1] ?? 'app';
      const inSrc = file.startsWith('src/');
      const module = (inSrc ? file.slice(4) : file).replace(/\.py$/, '').replace(/\//g, '.');
      const fastapiDep = deps.get('fastapi');
      if (!deps.has('uvicorn') && fastapiDep && m.requirementExtras(fastapiDep.spec).includes('standard')) return { command: `${prefix}fastapi dev ${file}`, source: label };
      return { command: `${prefix}uvicorn ${module}:${varName} --reload${inSrc ? ' --app-dir src' : ''}`, source: label };
    }
    case 'flask': {
      const flaskenv = ctx.text(joinRel(dir, '.flaskenv'));
      const fromEnv = flaskenv ? /^FLASK_APP\s*=\s*["']?([^"'\s]+)/m.exec(flaskenv)?.[1] : undefined;
      const file = fromEnv ?? (['app.py', 'wsgi.py'].find(has) ?? importing('flask'))?.replace(/\.py$/, '').replace(/\//g, '.');
      return { command: `${prefix}flask${file ? ` --app ${file}` : ''} run --debug`, source: fromEnv ? `${joinRel(dir, '.flaskenv')} FLASK_APP` : label };
    }
    case 'streamlit': {
      const file = ['streamlit_app.py', 'Home.py', 'app.py', 'main.py'].find(has) ?? importing('streamlit');
      return file ? { command: `${prefix}streamlit run ${file}`, source: label } : null;
    }
    case 'django':
      return null; // manage.py handled by the caller
    default:
      break;
  }
  if (projectScripts.length) return { command: `${prefix}${projectScripts[0]}`, source: 'pyproject.toml project scripts' };
  const mainPkg = srcPkgs.find((p) => has(`src/${p}/__main__.py`)) ?? ctx.subdirs(dir).find((d) => has(`${d}/__main__.py`));
  if (mainPkg) return { command: `${prefix}python -m ${mainPkg}`, source: `${mainPkg}/__main__.py` };
  const file = ['main.py', 'app.py', 'run.py', 'cli.py', 'server.py'].find(has);
  return file ? { command: `${prefix}python ${file}`, source: fw ? label : `${joinRel(dir, file)}` } : null;
}
