// Which folders detection looks in, in what order, and which files it reads. Pure rules shared by
// the walker (walk.ts) and the detection rules (rules.ts).
import { basenameRel, depthOf, type DirListing } from './snapshot';

/** Directory levels below the folder that are listed: the folder is level 0, so files up to a/b/c/x. */
export const MAX_DEPTH = 3;

/** Folders never looked into: dependencies, build output, caches, version control, IDE state. */
const SKIP_DIRS = new Set([
  'node_modules',
  'bower_components',
  'jspm_packages',
  'vendor',
  'target',
  'build',
  'dist',
  'out',
  'output',
  'obj',
  'coverage',
  'htmlcov',
  'tmp',
  'temp',
  'log',
  'logs',
  '__pycache__',
  'site-packages',
  'venv',
  'env',
  'virtualenv',
  '_build',
  'deps',
  'Pods',
  'DerivedData',
  'storage',
  'public_html',
  'bazel-bin',
  'bazel-out',
  'bazel-testlogs',
]);

/** Hidden folders that are looked into (every other name starting with "." is skipped). */
const HIDDEN_ALLOWED = new Set(['.devcontainer']);

/**
 * Folders whose manifests are not parts of the project: examples, docs sites, tests and fixtures.
 * They are still listed when the budget allows (their source files do not count either).
 */
export const NON_PART_DIRS = new Set([
  'examples',
  'example',
  'samples',
  'sample',
  'demo',
  'demos',
  'docs',
  'doc',
  'documentation',
  'website',
  'test',
  'tests',
  '__tests__',
  'spec',
  'specs',
  'e2e',
  'fixtures',
  '__fixtures__',
  'testdata',
  'test-data',
  'benchmarks',
  'benchmark',
  'bench',
  'third_party',
  'third-party',
  'thirdparty',
  'external',
  'scripts',
  'templates',
  'template',
  'playground',
  'sandbox',
]);

/** Folders that usually hold sub-projects or entry points, listed one level further. */
const CONTAINER_DIRS = new Set([
  'packages',
  'apps',
  'app',
  'services',
  'service',
  'libs',
  'lib',
  'modules',
  'crates',
  'projects',
  'plugins',
  'cmd',
  'src',
  'backend',
  'frontend',
  'server',
  'client',
  'web',
  'api',
  'ui',
  'main',
  '.devcontainer',
  'requirements',
  'config',
  'bin',
  'Properties',
]);

export function isSkippedDir(name: string): boolean {
  if (name.startsWith('.')) return !HIDDEN_ALLOWED.has(name);
  if (SKIP_DIRS.has(name)) return true;
  if (name.endsWith('.egg-info') || name.startsWith('cmake-build-')) return true;
  return false;
}

/** A listing that is a Python virtualenv or a conda environment, whatever its name. */
export function isEnvironmentDir(listing: DirListing): boolean {
  return listing.files.includes('pyvenv.cfg') || listing.dirs.includes('conda-meta');
}

/** Names that make a folder a project (a "part") when they appear in it. */
export const PART_MANIFESTS = new Set([
  'package.json',
  'deno.json',
  'deno.jsonc',
  'pyproject.toml',
  'setup.py',
  'Pipfile',
  'requirements.txt',
  'manage.py',
  'go.mod',
  'Cargo.toml',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'Gemfile',
  'composer.json',
  'CMakeLists.txt',
  'pubspec.yaml',
  'mix.exs',
  'Package.swift',
  'build.sbt',
]);

export function hasPartManifest(listing: DirListing): boolean {
  return listing.files.some((f) => PART_MANIFESTS.has(f) || f.endsWith('.csproj') || f.endsWith('.fsproj'));
}

/**
 * The order in which a directory is listed (lower first), or null when it is not listed at all.
 * Level 1 folders come first, then sub-folders of folders that hold projects or entry points, then
 * the remaining level-2 folders while the budget lasts; level 3 only under project/container folders.
 */
export function listPriority(dir: string, parentHasManifest: boolean, parentIsContainer: boolean, grandparentIsContainer: boolean): number | null {
  const depth = depthOf(dir);
  if (depth === 0) return 0;
  if (depth > MAX_DEPTH) return null;
  const name = basenameRel(dir);
  if (isSkippedDir(name)) return null;
  // examples, docs, tests: their manifests are not parts and their sources do not count
  if (NON_PART_DIRS.has(name)) return null;
  if (depth === 1) return 1;
  const interesting = CONTAINER_DIRS.has(name);
  if (depth === 2) return parentHasManifest || parentIsContainer || interesting ? 2 : 5;
  // depth 3: nested groups (packages/@scope/x, libs/shared/ui) and entry folders of a part
  if (parentIsContainer && grandparentIsContainer) return 3;
  if (parentHasManifest && interesting) return 3;
  if (grandparentIsContainer && interesting) return 4;
  return null;
}

export function isContainerDir(name: string): boolean {
  return CONTAINER_DIRS.has(name) || name.startsWith('@');
}

// ---------------------------------------------------------------------------------------------
// Files read

const MANIFEST_READS = new Set([
  'package.json',
  'deno.json',
  'deno.jsonc',
  'pnpm-workspace.yaml',
  'lerna.json',
  'pyproject.toml',
  'setup.py',
  'setup.cfg',
  'Pipfile',
  'go.mod',
  'go.work',
  'Cargo.toml',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'settings.gradle',
  'settings.gradle.kts',
  'Gemfile',
  'composer.json',
  'CMakeLists.txt',
  'global.json',
]);
const SCRIPT_READS = new Set(['Makefile', 'makefile', 'GNUmakefile', 'Procfile', 'Procfile.dev', '.flaskenv', '.air.toml']);
const VERSION_READS = new Set(['.nvmrc', '.node-version', '.python-version', '.ruby-version', '.tool-versions', 'rust-toolchain', 'rust-toolchain.toml']);
/** Python files whose imports name the framework when no manifest lists it. */
export const PYTHON_ENTRY_FILES = new Set([
  'app.py',
  'main.py',
  'server.py',
  'run.py',
  'wsgi.py',
  'asgi.py',
  'api.py',
  'streamlit_app.py',
  'Home.py',
  'cli.py',
  '__main__.py',
]);
const README_NAMES = new Set(['README.md', 'README.rst', 'README.txt', 'README', 'readme.md', 'Readme.md']);

/** Names the walker probes directly when a directory is too big to list whole. */
export const PROBE_NAMES = [
  ...MANIFEST_READS,
  ...SCRIPT_READS,
  ...VERSION_READS,
  'requirements.txt',
  'manage.py',
  'artisan',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'bun.lockb',
  'bun.lock',
  'uv.lock',
  'poetry.lock',
  'pdm.lock',
  'Pipfile.lock',
  'Cargo.lock',
  'go.sum',
  'Gemfile.lock',
  'composer.lock',
  'tsconfig.json',
  'mvnw',
  'gradlew',
  'config.ru',
  'next.config.js',
  'next.config.mjs',
  'next.config.ts',
  'vite.config.ts',
  'vite.config.js',
  'angular.json',
  'nuxt.config.ts',
  'svelte.config.js',
  'astro.config.mjs',
  'Dockerfile',
  '.devcontainer.json',
  ...PYTHON_ENTRY_FILES,
  ...README_NAMES,
];

/**
 * Whether a file is read, and how early (lower first), or null. Only small, well-known text files
 * are read: manifests, scripts, version pins, the dev container's own config, a few Python entry
 * files and the top-level README. Lockfiles only count by their presence.
 */
export function readPriority(file: string): number | null {
  const slash = file.lastIndexOf('/');
  const dir = slash < 0 ? '' : file.slice(0, slash);
  const name = slash < 0 ? file : file.slice(slash + 1);
  const depth = depthOf(dir);
  const segments = dir ? dir.split('/') : [];
  const parent = segments[segments.length - 1] ?? '';
  // the dev container's own config and Dockerfile
  if (segments[0] === '.devcontainer') {
    if (depth <= 2 && (name === 'devcontainer.json' || /^Dockerfile/i.test(name) || name.endsWith('.Dockerfile'))) return 0;
    return null;
  }
  if (depth === 0 && name === '.devcontainer.json') return 0;
  if (segments.some((s) => NON_PART_DIRS.has(s))) return null;
  const base = depth * 10;
  if (MANIFEST_READS.has(name) || name.endsWith('.csproj') || name.endsWith('.fsproj')) return base;
  if (/^requirements.*\.(txt|in)$/.test(name) || (parent === 'requirements' && /\.(txt|in)$/.test(name))) return base + 1;
  if (SCRIPT_READS.has(name)) return base + 2;
  if (name === 'dev' && parent === 'bin') return base - 8;
  if (VERSION_READS.has(name)) return base + 3;
  if (name === 'libs.versions.toml' && parent === 'gradle') return base - 7;
  if (name === 'launchSettings.json' && parent === 'Properties') return base - 5;
  if (depth === 0 && (name === 'Dockerfile' || name === 'Containerfile')) return 4;
  if (PYTHON_ENTRY_FILES.has(name) && depth <= 3) return base + 6;
  if (depth === 0 && README_NAMES.has(name)) return 8;
  return null;
}

/** Bytes read from one file: enough for any real manifest; the rest of a huge file is ignored. */
export function readCap(file: string): number {
  const name = basenameRel(file);
  if (README_NAMES.has(name) || name.endsWith('.py')) return 64 * 1024;
  return 256 * 1024;
}
