// "Add Dev Container Configuration" / `hb init`: a commented devcontainer.json for the detected
// stack. renderConfig is pure (detection + profile → text); initProject does the I/O and never
// overwrites an existing config (the file is created with O_EXCL, so even a race cannot clobber one).
// A repository whose compose file runs services from images (a database) gets a Compose-based
// config instead: the dev service in .devcontainer/docker-compose.yml (renderComposeService) plus
// the repository's services in runServices.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import type { DetectionResult, InitFile, LanguageId, LanguageProfile, PackageManagerId, Problem, ProjectInitResult, ProjectStack } from '../../protocol';
import { parseDocument } from '../devcontainer/parse';
import { validateDocument } from '../devcontainer/validate';
import { discoverConfigs } from '../devcontainer/discover';
import { VERSION } from '../version';
import { detectProject } from './detect';
import { FRAMEWORKS, LANGUAGE_NAMES } from './ids';
import { buildProfile } from './profile';

const IMAGE_BASE = 'mcr.microsoft.com/devcontainers';

/** Supported image tags per language, the default first. */
const IMAGES: Record<LanguageId, { image: string; tags: string[]; parts: number }> = {
  javascript: { image: 'javascript-node', tags: ['22', '20', '24'], parts: 1 },
  typescript: { image: 'typescript-node', tags: ['22', '20', '24'], parts: 1 },
  python: { image: 'python', tags: ['3.12', '3.10', '3.11', '3.13'], parts: 2 },
  go: { image: 'go', tags: ['1'], parts: 0 },
  rust: { image: 'rust', tags: ['1'], parts: 0 },
  java: { image: 'java', tags: ['21', '11', '17'], parts: 1 },
  kotlin: { image: 'java', tags: ['21', '11', '17'], parts: 1 },
  ruby: { image: 'ruby', tags: ['3.3', '3.2', '3.4'], parts: 2 },
  php: { image: 'php', tags: ['8.3', '8.2', '8.4'], parts: 2 },
  csharp: { image: 'dotnet', tags: ['8.0', '9.0'], parts: 2 },
  c: { image: 'cpp', tags: ['bookworm'], parts: 0 },
  cpp: { image: 'cpp', tags: ['bookworm'], parts: 0 },
  other: { image: 'base', tags: ['bookworm'], parts: 0 },
};

const FEATURES: Partial<Record<LanguageId, string>> = {
  javascript: 'ghcr.io/devcontainers/features/node:1',
  typescript: 'ghcr.io/devcontainers/features/node:1',
  python: 'ghcr.io/devcontainers/features/python:1',
  go: 'ghcr.io/devcontainers/features/go:1',
  rust: 'ghcr.io/devcontainers/features/rust:1',
  java: 'ghcr.io/devcontainers/features/java:1',
  kotlin: 'ghcr.io/devcontainers/features/java:1',
  ruby: 'ghcr.io/devcontainers/features/ruby:1',
  php: 'ghcr.io/devcontainers/features/php:1',
  csharp: 'ghcr.io/devcontainers/features/dotnet:2',
};

const EXTENSIONS: Partial<Record<LanguageId, string[]>> = {
  javascript: ['dbaeumer.vscode-eslint'],
  typescript: ['dbaeumer.vscode-eslint'],
  python: ['ms-python.python'],
  go: ['golang.go'],
  rust: ['rust-lang.rust-analyzer'],
  java: ['vscjava.vscode-java-pack'],
  kotlin: ['vscjava.vscode-java-pack'],
  ruby: ['Shopify.ruby-lsp'],
  php: ['bmewburn.vscode-intelephense-client'],
  csharp: ['ms-dotnettools.csdevkit'],
  c: ['ms-vscode.cpptools-extension-pack'],
  cpp: ['ms-vscode.cpptools-extension-pack'],
};

/** The image tag for a requested version: the default when it satisfies the request, else the closest supported. */
export function pickTag(language: LanguageId, requested: string | null): string {
  const { tags, parts } = IMAGES[language];
  const def = tags[0];
  if (!requested || parts === 0) return def;
  const hit = /(\d+)(?:\.(\d+))?/.exec(requested);
  if (!hit) return def;
  const want = parts >= 2 && hit[2] !== undefined ? `${hit[1]}.${hit[2]}` : hit[1];
  const num = (t: string) => t.split('.').reduce((acc, x, i) => acc + Number(x) / 1000 ** i, 0);
  const exact = tags.find((t) => t === want);
  const isMinimum = /^\s*(>=|\^|~=?|>)/.test(requested);
  if (isMinimum && num(def) >= num(want)) return def;
  if (exact) return exact;
  const above = tags.filter((t) => num(t) >= num(want)).sort((a, b) => num(a) - num(b));
  return above[0] ?? def;
}

export function imageFor(stack: Pick<ProjectStack, 'language' | 'languageVersion'>): string {
  return `${IMAGE_BASE}/${IMAGES[stack.language].image}:${pickTag(stack.language, stack.languageVersion)}`;
}

/** What renderConfig may ask about the folder's files (relative paths). */
export interface InitFacts {
  has(rel: string): boolean;
  /** The repository's compose file, when it runs services the app needs (images, not builds). */
  compose?: ComposeFacts | null;
  /** `.env.example` / `.env.sample` when the app reads a `.env` the checkout does not have. */
  envExample?: string | null;
}

export interface ComposeFacts {
  /** The compose file, relative to the folder (`docker-compose.yml`, `compose.yaml`, …). */
  file: string;
  /** Its services in file order: `image` when it runs one, `build` when it builds from the repository. */
  services: { name: string; image: string | null; build: boolean; envFiles: string[] }[];
  /** The name of the dev service's file in .devcontainer (docker-compose.yml unless that is taken). */
  devFile: string;
  /** env_file entries of the repository's services that do not exist (Compose refuses to start without them). */
  missingEnvFiles: string[];
}

/** The dev service's name: `app`, unless the repository's compose file already has one. */
export function devServiceName(compose: ComposeFacts): string {
  const taken = new Set(compose.services.map((s) => s.name));
  return ['app', 'dev', 'devcontainer'].find((n) => !taken.has(n)) ?? `dev-${compose.services.length}`;
}

/** The repository's services the dev container starts with it: those that run an image (a database, a cache). */
export function neededServices(compose: ComposeFacts): string[] {
  return compose.services.filter((s) => s.image && !s.build).map((s) => s.name);
}

function workspaceFolderFor(folderName: string): string {
  return `/workspaces/${folderName.replace(/[^A-Za-z0-9._-]+/g, '-') || 'workspace'}`;
}

function inDir(dir: string, command: string): string {
  return dir && dir !== '.' ? `cd ${dir} && ${command}` : command;
}

/** The command that installs a part's dependencies, run in its folder. */
export function installCommand(pm: PackageManagerId | null, dir: string, facts: InitFacts): string | null {
  const has = (f: string) => facts.has(dir && dir !== '.' ? `${dir}/${f}` : f);
  const up = (f: string) => {
    // a wrapper script in the folder or one of its parents, as a relative command
    const segs = dir && dir !== '.' ? dir.split('/') : [];
    for (let i = segs.length; i >= 0; i--) {
      const rel = [...segs.slice(0, i), f].join('/');
      if (facts.has(rel)) return i === segs.length ? `./${f}` : `${'../'.repeat(segs.length - i)}${f}`;
    }
    return null;
  };
  switch (pm) {
    case 'npm':
      return has('package-lock.json') || has('npm-shrinkwrap.json') ? 'npm ci' : 'npm install';
    case 'pnpm':
      return 'npm install -g pnpm && pnpm install';
    case 'yarn':
      return 'yarn install';
    case 'bun':
      return 'npm install -g bun && bun install';
    case 'pip':
      if (has('requirements.txt')) return 'pip install -r requirements.txt';
      if (has('pyproject.toml') || has('setup.py')) return 'pip install -e .';
      return null;
    case 'poetry':
      return 'pipx install poetry && poetry install';
    case 'uv':
      return 'pipx install uv && uv sync';
    case 'pipenv':
      return 'pipx install pipenv && pipenv install --dev';
    case 'pdm':
      return 'pipx install pdm && pdm install';
    case 'go':
      return 'go mod download';
    case 'cargo':
      return 'cargo fetch';
    case 'maven':
      return `${up('mvnw') ?? 'mvn'} -B dependency:go-offline`;
    case 'gradle':
      return `${up('gradlew') ?? 'gradle'} --no-daemon --quiet dependencies`;
    case 'bundler':
      return 'bundle install';
    case 'composer':
      return 'composer install';
    case 'dotnet':
      return 'dotnet restore';
    case 'cmake':
      return 'cmake -S . -B build';
    default:
      return null;
  }
}

/** A line comment (never spanning lines). */
function comment(indent: string, text: string): string {
  return `${indent}// ${text.replace(/[\r\n]+/g, ' ')}`;
}

function json(value: unknown, indent: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
}

interface Member {
  key: string;
  value?: unknown;
  comments?: string[];
  /** Nested members instead of a value (so they can carry comments too). */
  members?: Member[];
}

function renderMembers(members: Member[], indent: string): string[] {
  const lines: string[] = [];
  members.forEach((mem, i) => {
    const last = i === members.length - 1;
    for (const c of mem.comments ?? []) lines.push(comment(indent, c));
    if (mem.members) {
      lines.push(`${indent}${JSON.stringify(mem.key)}: {`);
      lines.push(...renderMembers(mem.members, indent + '  '));
      lines.push(`${indent}}${last ? '' : ','}`);
    } else {
      lines.push(`${indent}${JSON.stringify(mem.key)}: ${json(mem.value, indent)}${last ? '' : ','}`);
    }
  });
  return lines;
}

function imageComment(det: DetectionResult): string {
  const version = det.languageVersion ? ` (the project asks for ${LANGUAGE_NAMES[det.language]} ${det.languageVersion})` : '';
  return det.language === 'other'
    ? 'A general-purpose Debian image from the Dev Containers project: HyperBox did not recognise the stack. Pick an image for your language.'
    : `The ${LANGUAGE_NAMES[det.language]} image from the Dev Containers project${version}; change the tag for another version.`;
}

function envComment(example: string): string {
  return `The app reads a .env file, which this checkout does not have: the container gets the variables of ${example} (the sample values, read where they are, never copied here). Copy it to .env with your own values and name .env here instead.`;
}

/** The dev service's compose file (YAML) for a Compose-based config: the image, the repository mounted, the sample env file. */
export function renderComposeService(det: DetectionResult, compose: ComposeFacts, facts: InitFacts, folderName: string): string {
  const dev = devServiceName(compose);
  const needed = neededServices(compose);
  const y = (v: string) => JSON.stringify(v); // a JSON string is a YAML double-quoted scalar
  const lines = [
    `# The dev service for ${folderName}, written by \`hb init\` (HyperBox ${VERSION}) beside ../${compose.file}; edit it freely.`,
    `# devcontainer.json names both files: Compose merges them and resolves relative paths from the`,
    `# repository root (the folder of ../${compose.file}), so "." below is the repository.`,
  ];
  for (const f of compose.missingEnvFiles) {
    lines.push(`# Note: ${compose.file} reads ${f}, which does not exist; Compose will not start until it does${facts.envExample ? ` (copy ${facts.envExample} to ${f} and set your values)` : ''}.`);
  }
  lines.push('services:', `  ${dev}:`, ...imageComment(det).match(/.{1,96}(\s|$)/g)!.map((l) => `    # ${l.trim()}`), `    image: ${y(imageFor(det))}`);
  lines.push('    volumes:', '      # The repository, where the editor opens it (workspaceFolder in devcontainer.json).', `      - ${y(`.:${workspaceFolderFor(folderName)}:cached`)}`);
  if (facts.envExample) {
    lines.push(...envComment(facts.envExample).match(/.{1,96}(\s|$)/g)!.map((l) => `    # ${l.trim()}`), `    env_file: ${y(facts.envExample)}`);
  }
  if (needed.length) lines.push('    depends_on:', ...needed.map((n) => `      - ${y(n)}`));
  return [...lines, ''].join('\n');
}

/** The devcontainer.json text (JSON with comments) for a detection and its profile. */
export function renderConfig(det: DetectionResult, profile: LanguageProfile, facts: InitFacts, folderName: string): string {
  const apps = det.parts.length ? det.parts.filter((p) => p.role !== 'tooling') : [];
  const primaryPart = det.parts.find((p) => p.path === det.primary);
  const members: Member[] = [];
  members.push({ key: 'name', value: det.language === 'other' ? folderName : `${folderName} (${det.label})` });

  // image, or the Compose services
  const compose = facts.compose ?? null;
  if (compose) {
    const dev = devServiceName(compose);
    const needed = neededServices(compose);
    const built = compose.services.filter((s) => s.build).map((s) => s.name);
    members.push({
      key: 'dockerComposeFile',
      value: [`../${compose.file}`, compose.devFile],
      comments: [
        `The repository's ${compose.file} (its services) and the dev service HyperBox added in .devcontainer/${compose.devFile}. Compose merges them and resolves relative paths from the repository root (the first file's folder).`,
      ],
    });
    members.push({ key: 'service', value: dev, comments: [`The service this editor works in: the dev container, with the ${LANGUAGE_NAMES[det.language] ?? 'general-purpose'} image (see .devcontainer/${compose.devFile}).`] });
    members.push({
      key: 'runServices',
      value: [dev, ...needed],
      comments: [
        `Started with the dev container: ${needed.join(', ')} from ${compose.file} (they run an image the app talks to).`,
        ...(built.length
          ? [`Not started: ${built.join(', ')} (built from the repository, probably this app for production; the dev service runs it instead). Add a name here to start it too.`]
          : []),
      ],
    });
    members.push({ key: 'workspaceFolder', value: workspaceFolderFor(folderName), comments: ['Where the repository is mounted in the dev service (its volumes in the file above).'] });
    members.push({ key: 'overrideCommand', value: true, comments: ["Keeps the dev service running whatever its image's own command is."] });
  } else {
    members.push({ key: 'image', value: imageFor(det), comments: [imageComment(det)] });
    if (facts.envExample) {
      members.push({
        key: 'runArgs',
        value: ['--env-file', facts.envExample],
        comments: [envComment(facts.envExample)],
      });
    }
  }

  // features: the other languages of the parts, build tools without a wrapper
  const features: Record<string, Record<string, string>> = {};
  const featureWhy: string[] = [];
  const family = (l: LanguageId) => (l === 'typescript' ? 'javascript' : l === 'kotlin' ? 'java' : l === 'cpp' ? 'c' : l);
  const RUNTIME: Partial<Record<LanguageId, string>> = { javascript: 'Node.js', typescript: 'Node.js', java: 'Java', kotlin: 'Java', csharp: '.NET' };
  for (const p of apps) {
    const id = FEATURES[p.language];
    if (id && family(p.language) !== family(det.language) && !features[id]) {
      features[id] = {};
      featureWhy.push(`${RUNTIME[p.language] ?? LANGUAGE_NAMES[p.language]} for ${p.path}`);
    }
  }
  const jsLike = det.language === 'javascript' || det.language === 'typescript';
  if (!jsLike && facts.has('package.json') && !features[FEATURES.javascript!]) {
    features[FEATURES.javascript!] = {};
    featureWhy.push('Node.js for the package.json at the top (front-end assets)');
  }
  for (const s of [det, ...apps]) {
    if ((s.language === 'java' || s.language === 'kotlin') && (s.packageManager === 'maven' || s.packageManager === 'gradle')) {
      const wrapper = s.packageManager === 'maven' ? 'mvnw' : 'gradlew';
      if (!facts.has(wrapper)) {
        const id = FEATURES.java!;
        features[id] = { ...features[id], version: 'none', [s.packageManager === 'maven' ? 'installMaven' : 'installGradle']: 'true' };
        featureWhy.push(`${s.packageManager === 'maven' ? 'Maven' : 'Gradle'} (the project has no ${wrapper} wrapper)`);
      }
    }
  }
  if (Object.keys(features).length) members.push({ key: 'features', value: features, comments: [`Also installs: ${[...new Set(featureWhy)].join('; ')}.`] });

  // ports
  const portLabels = new Map<number, string>();
  const labelFor = (s: ProjectStack, where: string) => `${s.frameworkName ?? s.languageName} ${s.framework && FRAMEWORKS[s.framework].kind === 'ui' ? 'dev server' : 'app'}${where}`;
  for (const port of det.ports) portLabels.set(port, labelFor(primaryPart ?? det, primaryPart && primaryPart.path !== '.' ? ` (${primaryPart.path})` : ''));
  for (const p of apps) {
    if (p.role !== 'app') continue;
    for (const port of p.ports) if (!portLabels.has(port)) portLabels.set(port, labelFor(p, p.path !== '.' ? ` (${p.path})` : ''));
  }
  if (portLabels.size) {
    members.push({
      key: 'forwardPorts',
      value: [...portLabels.keys()],
      comments: ['Ports the app usually listens on in development (from its scripts, else the framework\'s default).'],
    });
    members.push({
      key: 'portsAttributes',
      value: Object.fromEntries([...portLabels].map(([port, label]) => [String(port), { label, onAutoForward: 'notify' }])),
    });
  }

  // dependencies
  const installs: [string, string][] = [];
  const jsWorkspace = !!det.monorepo && /workspaces|Lerna/.test(det.monorepo.kind);
  const jsPm = (pm: PackageManagerId | null) => pm === 'npm' || pm === 'pnpm' || pm === 'yarn' || pm === 'bun';
  const sources: { pm: PackageManagerId | null; dir: string; name: string }[] = apps.length
    ? apps.map((p) => ({ pm: p.packageManager, dir: jsWorkspace && jsPm(p.packageManager) ? '.' : p.path, name: p.path === '.' ? 'root' : p.path }))
    : [{ pm: det.packageManager, dir: '.', name: 'root' }];
  if (jsWorkspace && jsPm(det.packageManager)) sources.unshift({ pm: det.packageManager, dir: '.', name: 'root' });
  if (!jsLike && facts.has('package.json') && !apps.some((p) => p.path === '.' && jsPm(p.packageManager))) {
    sources.push({ pm: facts.has('pnpm-lock.yaml') ? 'pnpm' : facts.has('yarn.lock') ? 'yarn' : 'npm', dir: '.', name: 'assets' });
  }
  for (const s of sources) {
    const cmd = installCommand(s.pm, s.dir, facts);
    if (!cmd) continue;
    const full = inDir(s.dir, cmd);
    if (!installs.some(([, c]) => c === full)) installs.push([s.dir === '.' ? s.name : s.dir.replace(/[^A-Za-z0-9_-]+/g, '-'), full]);
  }
  if (installs.length === 1) {
    members.push({ key: 'postCreateCommand', value: installs[0][1], comments: ['Installs the dependencies once, after the container is created.'] });
  } else if (installs.length > 1) {
    members.push({
      key: 'postCreateCommand',
      value: Object.fromEntries(installs),
      comments: ['Installs each part\'s dependencies once, after the container is created (the commands run in parallel).'],
    });
  }

  // HyperBox's own settings
  const hyperbox: Member[] = [];
  hyperbox.push({
    key: 'profile',
    value: 'auto',
    comments: [
      profile.entries.some((e) => e.apply === 'auto')
        ? `Applies the ${det.label} profile's safe entries: package-cache volumes and environment presets (see \`hb profile\`). "off" applies none.`
        : 'Applies the language profile of the detected stack (none yet for this folder; see `hb profile`). "off" applies none.',
      ...(det.devCommand
        ? [
            `The app starts in development with ${JSON.stringify(det.devCommand)} (from ${det.devCommandSource ?? 'detection'}).`,
            `To start it whenever VS Code attaches, add at the top level: "postAttachCommand": ${JSON.stringify(det.devCommand)}`,
          ]
        : []),
    ],
  });
  if (det.devCommand) {
    hyperbox.push({
      key: 'devCommand',
      value: det.devCommand,
      comments: ['What hot reload runs under HyperBox\'s supervision: `hb watch` (or "reload": { "enabled": true } here) restarts it, or lets it reload by itself, on every saved change.'],
    });
    hyperbox.push({ key: 'reload', members: [{ key: 'strategy', value: profile.reload.strategy === 'rebuild' ? 'restart' : profile.reload.strategy, comments: [profile.reload.why] }] });
  }
  const custom: Member[] = [{ key: 'hyperbox', members: hyperbox }];
  const exts = [...new Set([det, ...apps].flatMap((s) => EXTENSIONS[s.language] ?? []))];
  if (exts.length) custom.push({ key: 'vscode', members: [{ key: 'extensions', value: exts }], comments: ['Extensions for this stack: HyperBox lists them in its view and offers to install them in this editor window (the editor stays on your machine).'] });
  members.push({ key: 'customizations', members: custom });

  const evidence = det.evidence
    .slice(0, 3)
    .map((e) => `${e.file} (${e.reason})`)
    .join('; ');
  const header = [
    `// Dev container for ${folderName}: ${det.label}. Written by \`hb init\` (HyperBox ${VERSION}); edit it freely.`,
    evidence ? `// Detected from: ${evidence.replace(/[\r\n]+/g, ' ')}.` : '// HyperBox found no manifest to detect the stack from.',
    '// Check it with `hb config`. Reference: https://containers.dev/implementors/json_reference/',
  ];
  return [...header, '{', ...renderMembers(members, '  '), '}', ''].join('\n');
}

/** Problems our own validation finds in a config text (parse errors included). */
export function validateText(file: string, text: string): Problem[] {
  const doc = parseDocument(file, text);
  return [...doc.problems, ...validateDocument(doc)];
}

export interface InitOptions {
  /** false: render only (a preview); default true. */
  write?: boolean;
  /** The text to write instead of the rendered one: the preview as the user edited it. Must be a config without errors. */
  text?: string;
  /** The other files' texts as the user edited them, by absolute path. Must parse. */
  texts?: Record<string, string>;
}

/** Problems in a YAML file's text: it must parse and be a mapping. */
function validateYaml(file: string, text: string): Problem[] {
  try {
    const doc = loadYaml(text);
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) return [];
    return [{ file, line: 1, column: 1, severity: 'error', message: 'A compose file must be a mapping (services: ...).' }];
  } catch (e) {
    const mark = (e as { mark?: { line?: number; column?: number } }).mark;
    const reason = (e as { reason?: string }).reason ?? (e as Error).message;
    return [{ file, line: (mark?.line ?? 0) + 1, column: (mark?.column ?? 0) + 1, severity: 'error', message: `Not valid YAML: ${reason}.` }];
  }
}

/** Writes `.devcontainer/devcontainer.json` (and, Compose-based, the dev service's compose file) unless the folder already has a config. */
export async function initProject(folder: string, options: InitOptions = {}): Promise<ProjectInitResult> {
  const detection = await detectProject(folder);
  const root = detection.folder;
  const file = path.join(root, '.devcontainer', 'devcontainer.json');
  const existingConfigs = await discoverConfigs(root);
  const yarnBerry = detection.packageManager === 'yarn' ? await exists(path.join(root, '.yarnrc.yml')) : null;
  const profile = buildProfile(detection, { yarnBerry });
  const known = await knownFiles(root, detection);
  const compose = await composeFacts(root);
  const envExample = await envExampleFor(root, detection, compose);
  const facts: InitFacts = { has: (rel: string) => known.has(rel), compose, envExample };
  const edited = (f: string) => (f === file ? options.text : options.texts?.[f]);
  const rendered: InitFile[] = [{ file, text: renderConfig(detection, profile, facts, path.basename(root)), language: 'jsonc', purpose: 'the dev container config' }];
  if (compose) {
    rendered.push({
      file: path.join(root, '.devcontainer', compose.devFile),
      text: renderComposeService(detection, compose, facts, path.basename(root)),
      language: 'yaml',
      purpose: `the dev service (Compose), beside ${compose.file}`,
    });
  }
  const files = rendered.map((f) => ({ ...f, text: edited(f.file) ?? f.text }));
  const text = files[0].text;
  const problems = files.flatMap((f) => (f.language === 'yaml' ? validateYaml(f.file, f.text) : validateText(f.file, f.text)));
  const base = { folder: root, file, text, problems, detection, files };
  if (existingConfigs.length) {
    const existing = existingConfigs[0];
    return {
      ...base,
      written: false,
      existing,
      message: `${existing} already exists; hb init never overwrites a dev container config. Edit it (hb config checks it), or move it away and run hb init again.`,
    };
  }
  const userEdited = options.text !== undefined || options.texts !== undefined;
  // the user's own edits may leave warnings (they are shown in the editor); only errors stop the write
  const blocking = userEdited ? problems.filter((p) => p.severity === 'error') : problems;
  if (blocking.length) {
    return {
      ...base,
      written: false,
      existing: null,
      message: userEdited
        ? files.length > 1
          ? `The edited files have ${blocking.length} error(s), so nothing was written: ${path.relative(root, blocking[0].file)} line ${blocking[0].line}: ${blocking[0].message} Fix it in the preview and add them again.`
          : `The edited config has ${blocking.length} error(s), so it was not written: line ${blocking[0].line}: ${blocking[0].message}. Fix it in the preview and add it again.`
        : `The generated ${files.length > 1 ? 'files have' : 'config has'} ${problems.length} problem(s) in HyperBox's own validation, so nothing was written (this is a HyperBox bug; please report it): ${problems[0].message}`,
    };
  }
  const names = files.map((f) => path.relative(root, f.file)).join(' and ');
  if (options.write === false) {
    return { ...base, written: false, existing: null, message: `Would write ${names} in ${root} (${detection.label}${compose ? `, with the services of ${compose.file}` : ''}).` };
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  // the other files first, devcontainer.json last: a config appears only when everything it names exists
  const written: string[] = [];
  for (const f of [...files.slice(1), files[0]]) {
    try {
      // 'wx': fail if the file appeared in the meantime, never replace it
      await fs.writeFile(f.file, f.text, { flag: 'wx' });
      written.push(f.file);
    } catch (e) {
      await Promise.all(written.map((w) => fs.rm(w, { force: true })));
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        return { ...base, written: false, existing: f.file, message: `${f.file} appeared while hb init ran; it was left as it is and nothing was written.` };
      }
      throw new Error(`Cannot write ${f.file}: ${(e as Error).message}. Check that the folder is writable.`);
    }
  }
  return { ...base, written: true, existing: null, message: `Wrote ${files.map((f) => f.file).join(' and ')} for ${detection.label}${compose ? `, with the services of ${compose.file}` : ''}.` };
}

const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** The repository's compose file at the top, when it runs at least one service from an image (what the app needs). */
async function composeFacts(root: string): Promise<ComposeFacts | null> {
  for (const name of COMPOSE_FILES) {
    let raw: string;
    try {
      raw = await fs.readFile(path.join(root, name), 'utf8');
    } catch {
      continue;
    }
    let doc: unknown;
    try {
      doc = loadYaml(raw);
    } catch {
      return null; // a compose file that does not parse: an image-based config, the user's file left alone
    }
    const svcs = (doc as { services?: unknown } | null)?.services;
    if (!svcs || typeof svcs !== 'object') return null;
    const services = Object.entries(svcs as Record<string, Record<string, unknown> | null>).map(([svc, def]) => {
      const envFile = def?.env_file;
      const envFiles = (Array.isArray(envFile) ? envFile : envFile ? [envFile] : [])
        .map((e) => (typeof e === 'string' ? e : typeof e === 'object' && e && typeof (e as { path?: unknown }).path === 'string' && (e as { required?: unknown }).required !== false ? (e as { path: string }).path : null))
        .filter((e): e is string => !!e);
      return { name: svc, image: typeof def?.image === 'string' ? def.image : null, build: def?.build !== undefined, envFiles };
    });
    if (!services.some((s) => s.image && !s.build)) return null;
    const missing = new Set<string>();
    for (const f of services.flatMap((s) => s.envFiles)) if (!(await exists(path.join(root, f)))) missing.add(f);
    // a .devcontainer/docker-compose.yml of the user's (without a devcontainer.json) is never replaced
    const taken = await Promise.all(COMPOSE_DEV_FILES.map((f) => exists(path.join(root, '.devcontainer', f))));
    const devFile = COMPOSE_DEV_FILES[taken.indexOf(false)];
    if (!devFile) return null;
    return { file: name, services, devFile, missingEnvFiles: [...missing] };
  }
  return null;
}
const COMPOSE_DEV_FILES = ['docker-compose.yml', 'docker-compose.devcontainer.yml', 'compose.devcontainer.yml'];

/** `.env.example` / `.env.sample`, when the checkout has no `.env` and the app (or a compose service) reads one. */
async function envExampleFor(root: string, det: DetectionResult, compose: ComposeFacts | null): Promise<string | null> {
  if (await exists(path.join(root, '.env'))) return null;
  let example: string | null = null;
  for (const name of ['.env.example', '.env.sample', '.env.template', '.env.dist']) {
    if (await exists(path.join(root, name))) {
      example = name;
      break;
    }
  }
  if (!example) return null;
  const READS_ENV = /\bdotenv\b|godotenv|--env-file|env_file|\.env\b/i;
  if (det.devCommand && READS_ENV.test(det.devCommand)) return example;
  if (compose?.services.some((s) => s.envFiles.some((f) => path.posix.normalize(f) === '.env'))) return example;
  for (const manifest of ['package.json', 'requirements.txt', 'pyproject.toml', 'Pipfile', 'Gemfile', 'go.mod', 'composer.json', 'Cargo.toml']) {
    const text = await fs.readFile(path.join(root, manifest), 'utf8').catch(() => '');
    if (/dotenv/i.test(text)) return example;
  }
  return null;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The files renderConfig may ask about (manifests, lockfiles, wrappers), probed in the folder, its parts and their parents. */
const ASKED = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'requirements.txt', 'pyproject.toml', 'setup.py', 'mvnw', 'gradlew'];

async function knownFiles(root: string, det: DetectionResult): Promise<Set<string>> {
  const dirs = new Set<string>(['']);
  for (const p of det.parts) {
    let d = p.path === '.' ? '' : p.path;
    while (d) {
      dirs.add(d);
      d = path.posix.dirname(d) === '.' ? '' : path.posix.dirname(d);
    }
  }
  const out = new Set<string>();
  await Promise.all(
    [...dirs].flatMap((dir) =>
      ASKED.map(async (name) => {
        const rel = dir ? `${dir}/${name}` : name;
        if (await exists(path.join(root, rel))) out.add(rel);
      }),
    ),
  );
  return out;
}
