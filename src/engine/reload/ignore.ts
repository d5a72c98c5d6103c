// Which changed paths hot reload never acts on, decided inside the watcher (folders.ts, and
// chokidar's `ignored`) so ignored folders are never even watched: version control,
// dependencies, virtualenvs, build output, what .gitignore and .dockerignore exclude (the same
// matchers the workspace copy and the build context use), the user's reload.ignore globs, and
// editors' temporary files.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isIgnored, parseGitignore, type IgnoreStack } from '../runtime/create/workspaceCopy';

/** Folders never watched, wherever they are. */
export const IGNORED_DIRS = new Set([
  '.git', '.hg', '.svn', 'node_modules', 'bower_components', '.venv', 'venv', '.virtualenv', '.virtualenvs', '.tox', '.nox', '__pycache__',
  '.pytest_cache', '.mypy_cache', '.ruff_cache', 'dist', 'build', 'target', '.next', '.nuxt', '.svelte-kit', '.turbo', '.parcel-cache', '.angular',
  'coverage', '.gradle', '.idea', '.vscode-test',
]);

/** Editors' temporary files: vim's 4913 probe and swap files, backups (~), Emacs locks (.#), JetBrains' safe-write files. */
const EDITOR_TEMP = /^(4913|\.#.*|.*~|.*\.sw[a-px]|.*___jb_(tmp|old|bak)___)$/;

/** Files whose change needs more than a reload. */
export function isEditorTemp(name: string): boolean {
  return EDITOR_TEMP.test(name);
}

export interface IgnoreSources {
  gitignore?: string;
  dockerignore?: string;
  /** customizations.hyperbox.reload.ignore: globs relative to the workspace. */
  extra?: string[];
}

/** (path relative to the root, `/`-separated; whether it is a folder when known) → ignored. */
export type IgnoreMatcher = (rel: string, isDir?: boolean) => boolean;

export function makeIgnore(sources: IgnoreSources): IgnoreMatcher {
  const stack: IgnoreStack = [{ base: '', rules: parseGitignore([sources.gitignore ?? '', ...(sources.extra ?? [])].join('\n')) }];
  let docker: ((rel: string) => boolean) | undefined;
  const patterns = (sources.dockerignore ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (patterns.length) {
    const { dockerignore } = require('../runtime/lazy.js') as typeof import('../runtime/lazy.js');
    const ig = dockerignore({ ignorecase: false }).add(patterns);
    docker = (rel) => ig.ignores(rel);
  }
  return (rel, isDir) => {
    if (!rel || rel === '.') return false;
    const parts = rel.split('/');
    const name = parts[parts.length - 1];
    if (parts.some((p, i) => IGNORED_DIRS.has(p) && (i < parts.length - 1 || isDir !== false))) return true;
    if (isDir !== true && isEditorTemp(name)) return true;
    if (docker?.(rel)) return true;
    // a path under an ignored folder (the editor's saves arrive without the walk that skips it)
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (isIgnored(stack, dir, true) || docker?.(dir)) return true;
    }
    // a dir-only rule ("build/") applies to what may be a folder when chokidar does not say
    return isIgnored(stack, rel, false) || (isDir !== false && isIgnored(stack, rel, true));
  };
}

/** Reads the workspace root's .gitignore and .dockerignore. */
export async function loadIgnore(root: string, extra: string[] = []): Promise<IgnoreMatcher> {
  const read = (f: string) => fs.readFile(path.join(root, f), 'utf8').catch(() => '');
  const [gitignore, dockerignore] = await Promise.all([read('.gitignore'), read('.dockerignore')]);
  return makeIgnore({ gitignore, dockerignore, extra });
}
