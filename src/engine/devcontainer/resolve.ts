// Reads, validates and substitutes a folder's dev container config: the one entry point the CLI
// (`hb config`) and the engine (ConfigResolve) share.
import * as path from 'node:path';
import type { Node } from 'jsonc-parser';
import type { Problem, ResolvedConfig } from '../../protocol';
import { describeLocations, discoverConfigs } from './discover';
import { asyncFs, type ConfigFs } from './fsops';
import { devcontainerId } from './id';
import { ConfigReadError, MAX_CONFIG_BYTES, MAX_PROBLEMS, parseDocument, problemAt, readConfigText, tooLarge, type ParsedDocument } from './parse';
import { substituteString, substituteTree, type SubstitutionContext } from './substitute';
import { configMember, validateDocument } from './validate';
import { mountField } from '../runtime/create/mounts';

export interface ResolveOptions {
  folder: string;
  configFile?: string;
  /** Unsaved contents to use instead of the file on disk. */
  text?: string;
  env?: NodeJS.ProcessEnv;
  /** How files are read: asynchronously (the default, for the engine) or synchronously (the CLI). */
  fs?: ConfigFs;
}

function emptyResult(folder: string, configFile: string | null, problems: Problem[], others: string[] = []): ResolvedConfig {
  return {
    configFile,
    workspaceFolder: folder,
    config: null,
    devcontainerId: null,
    workspace: null,
    paths: {},
    kind: null,
    problems,
    otherConfigFiles: others,
  };
}

function fileProblem(file: string, message: string, code: string, line = 1, column = 1): Problem {
  return { severity: 'error', message, file, line, column, code };
}

/**
 * Whether `dotGit` (a folder's `.git`) makes that folder a git work tree, by git's own test: a
 * directory with HEAD, objects/ and refs/ (a linked worktree has a `commondir` file instead of
 * its own objects/ and refs/), or a file that points elsewhere with "gitdir: <path>". An empty
 * or broken `.git` does not count, and git goes on looking in the parent folders.
 */
async function isGitRepository(dotGit: string, fs: ConfigFs): Promise<boolean> {
  let stat;
  try {
    stat = await fs.stat(dotGit);
  } catch {
    return false;
  }
  const isFile = async (p: string) => (await fs.stat(p).catch(() => undefined))?.isFile() ?? false;
  const isDir = async (p: string) => (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
  if (stat.isFile()) {
    if (stat.size > 64 * 1024) return false;
    const text = (await fs.readFile(dotGit).catch(() => '')).toString();
    const m = /^gitdir: *(.+?)\s*$/m.exec(text);
    return Boolean(m && (await isDir(path.resolve(path.dirname(dotGit), m[1]))));
  }
  if (!stat.isDirectory() || !(await isFile(path.join(dotGit, 'HEAD')))) return false;
  if (await isFile(path.join(dotGit, 'commondir'))) return true;
  return (await isDir(path.join(dotGit, 'objects'))) && (await isDir(path.join(dotGit, 'refs')));
}

/**
 * The root of the git work tree containing `folder`, or undefined: the nearest folder upwards
 * whose `.git` is a repository. Runs no git, so it works where git is not installed.
 */
export async function findGitRoot(folder: string, fs: ConfigFs = asyncFs): Promise<string | undefined> {
  let dir = folder;
  for (;;) {
    if (await isGitRepository(path.join(dir, '.git'), fs)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export async function resolveConfig(options: ResolveOptions): Promise<ResolvedConfig> {
  const folder = path.resolve(options.folder);
  const env = options.env ?? process.env;
  const fs = options.fs ?? asyncFs;
  let configFile: string;
  let others: string[] = [];
  if (options.configFile) {
    configFile = path.resolve(folder, options.configFile);
  } else {
    let found: string[];
    try {
      found = await discoverConfigs(folder, fs);
    } catch (e) {
      if (e instanceof ConfigReadError) return emptyResult(folder, null, [fileProblem(e.file, e.message, e.code)]);
      throw e;
    }
    if (found.length === 0) {
      return emptyResult(folder, null, [
        fileProblem(
          folder,
          `No dev container config in ${folder}. Looked for ${describeLocations(folder)}. Create .devcontainer/devcontainer.json (at least { "image": "<image>" }), or name an existing config file (hb config --config FILE).`,
          'no-config',
        ),
      ]);
    }
    const defaults = found.filter((f) => f === path.join(folder, '.devcontainer', 'devcontainer.json') || f === path.join(folder, '.devcontainer.json'));
    if (defaults.length === 0 && found.length > 1) {
      return emptyResult(
        folder,
        null,
        [
          fileProblem(
            folder,
            `${folder} has ${found.length} dev container configs and no default one: ${found.map((f) => path.relative(folder, f)).join(', ')}. Choose one with --config.`,
            'several-configs',
          ),
        ],
        found,
      );
    }
    configFile = found[0];
    others = found.slice(1);
  }

  let text: string;
  if (options.text !== undefined) {
    // Unsaved editor text gets the same limit as a file: parsing megabytes would stall the engine.
    const size = Buffer.byteLength(options.text, 'utf8');
    if (size > MAX_CONFIG_BYTES) {
      const e = tooLarge(configFile, size);
      return emptyResult(folder, configFile, [fileProblem(configFile, e.message, e.code)], others);
    }
    text = options.text;
  } else {
    try {
      text = await readConfigText(configFile, fs);
    } catch (e) {
      if (e instanceof ConfigReadError) return emptyResult(folder, configFile, [fileProblem(configFile, e.message, e.code, e.line, e.column)], others);
      throw e;
    }
  }

  const doc = parseDocument(configFile, text);
  const problems: Problem[] = [...doc.problems, ...validateDocument(doc)];
  const result = emptyResult(folder, configFile, problems, others);
  if (!doc.root || doc.root.type !== 'object') return finish(result);

  const id = devcontainerId(folder, configFile);
  result.devcontainerId = id;
  const ctx: SubstitutionContext = { localWorkspaceFolder: folder, devcontainerId: id, env };

  // Where the workspace goes in the container; needed before the rest can be substituted.
  const compose = configMember(doc.root, 'dockerComposeFile');
  const workspaceFolderNode = configMember(doc.root, 'workspaceFolder')?.value;
  const workspaceMountNode = configMember(doc.root, 'workspaceMount')?.value;
  const gitRoot = await findGitRoot(folder, fs);
  const mountSource = gitRoot ?? folder;
  const mountTarget = `/workspaces/${path.basename(mountSource)}`;
  let containerWorkspaceFolder: string;
  if (workspaceFolderNode?.type === 'string') {
    containerWorkspaceFolder = substituteString(workspaceFolderNode.value as string, ctx);
  } else if (compose) {
    containerWorkspaceFolder = '/';
  } else {
    const rel = path.relative(mountSource, folder).split(path.sep).filter(Boolean);
    containerWorkspaceFolder = path.posix.join(mountTarget, ...rel);
  }
  ctx.containerWorkspaceFolder = containerWorkspaceFolder;

  const config = migrateDeprecated(substituteTree(doc, doc.root, ctx, problems) as Record<string, unknown>);
  result.config = config;
  let workspaceMount: string | null = null;
  if (!compose) {
    workspaceMount =
      workspaceMountNode?.type === 'string'
        ? (config.workspaceMount as string)
        : // quoted where the folder's name needs it (a comma, a quote), so the mount is exactly that folder
          ['type=bind', mountField('source', mountSource), mountField('target', mountTarget)].join(',');
  }
  result.workspace = { containerWorkspaceFolder, workspaceMount, mountSource };

  await resolvePaths(doc, config, result, problems, fs);
  return finish(result);
}

/**
 * The top-level `extensions`, `settings` and `devPort` of older configs, moved where they belong
 * now, `customizations.vscode`, as the reference implementation reads them (the schema still warns
 * about them): the old extensions after the new ones, settings with the new ones winning, devPort as
 * it was. Without this their recommended extensions would be lost, and the metadata label the Dev
 * Containers extension reads on attach would lack them.
 */
export function migrateDeprecated(config: Record<string, unknown>): Record<string, unknown> {
  const { extensions, settings, devPort, ...rest } = config;
  if (extensions === undefined && settings === undefined && devPort === undefined) return config;
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  const customizations = isObject(rest.customizations) ? rest.customizations : {};
  const vscode = isObject(customizations.vscode) ? { ...customizations.vscode } : {};
  if (Array.isArray(extensions)) vscode.extensions = [...(Array.isArray(vscode.extensions) ? vscode.extensions : []), ...(extensions as unknown[])];
  if (isObject(settings)) vscode.settings = { ...settings, ...(isObject(vscode.settings) ? vscode.settings : {}) };
  if (devPort !== undefined) vscode.devPort = devPort;
  return { ...rest, customizations: { ...customizations, vscode } };
}

function finish(result: ResolvedConfig): ResolvedConfig {
  result.problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (result.problems.length > MAX_PROBLEMS) {
    const first = result.problems[MAX_PROBLEMS];
    result.problems.length = MAX_PROBLEMS;
    result.problems.push({
      severity: first.severity,
      message: `More problems follow from here; HyperBox lists at most ${MAX_PROBLEMS} per file. Fix the ones above (the file may not be a devcontainer.json at all) and check again.`,
      file: first.file,
      line: first.line,
      column: first.column,
      code: 'too-many-problems',
    });
  }
  return result;
}

async function statKind(p: string, fs: ConfigFs): Promise<'file' | 'dir' | 'missing' | 'other'> {
  try {
    const s = await fs.stat(p);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** Resolves the files a config names relative to the config file, and checks that they exist. */
async function resolvePaths(doc: ParsedDocument, config: Record<string, unknown>, result: ResolvedConfig, problems: Problem[], fs: ConfigFs): Promise<void> {
  const root = doc.root!;
  const base = path.dirname(doc.file);
  const at = (node: Node, message: string, code: string) =>
    problems.push(problemAt(doc.lines, doc.file, 'error', node.offset, node.length, message, code));

  const buildNode = configMember(root, 'build')?.value;
  const build = (typeof config.build === 'object' && config.build) as Record<string, unknown> | false;
  const dockerfileValue = build && typeof build.dockerfile === 'string' ? build.dockerfile : typeof config.dockerFile === 'string' ? config.dockerFile : undefined;
  const contextValue = build && typeof build.context === 'string' ? build.context : typeof config.context === 'string' ? config.context : undefined;
  const dockerfileNode =
    (buildNode?.type === 'object' ? configMember(buildNode, 'dockerfile')?.value : undefined) ?? configMember(root, 'dockerFile')?.value;
  const contextNode = (buildNode?.type === 'object' ? configMember(buildNode, 'context')?.value : undefined) ?? configMember(root, 'context')?.value;
  const composeNode = configMember(root, 'dockerComposeFile')?.value;

  if (composeNode) {
    result.kind = 'compose';
    const files = Array.isArray(config.dockerComposeFile) ? config.dockerComposeFile : [config.dockerComposeFile];
    const nodes = composeNode.type === 'array' ? composeNode.children ?? [] : [composeNode];
    result.paths.composeFiles = [];
    for (const [i, f] of files.entries()) {
      if (typeof f !== 'string') continue;
      const abs = path.resolve(base, f);
      result.paths.composeFiles.push(abs);
      const kind = await statKind(abs, fs);
      if (kind !== 'file') {
        at(
          nodes[i] ?? composeNode,
          `Compose file "${f}" ${kind === 'dir' ? 'is a directory' : 'does not exist'} (looked at ${abs}; paths are relative to the folder of devcontainer.json). Fix the path or create the file.`,
          'missing-file',
        );
      }
    }
  } else if (typeof dockerfileValue === 'string') {
    result.kind = 'dockerfile';
    const dockerfile = path.resolve(base, dockerfileValue);
    const context = path.resolve(base, contextValue ?? '.');
    result.paths.dockerfile = dockerfile;
    result.paths.context = context;
    const kind = await statKind(dockerfile, fs);
    if (kind !== 'file' && dockerfileNode) {
      at(
        dockerfileNode,
        `Dockerfile "${dockerfileValue}" ${kind === 'dir' ? 'is a directory' : 'does not exist'} (looked at ${dockerfile}; the path is relative to the folder of devcontainer.json). Fix the path or create the Dockerfile.`,
        'missing-file',
      );
    }
    const ckind = await statKind(context, fs);
    if (ckind !== 'dir' && contextNode) {
      at(
        contextNode,
        `Build context "${contextValue}" ${ckind === 'missing' ? 'does not exist' : 'is not a folder'} (looked at ${context}; the path is relative to the folder of devcontainer.json).`,
        'missing-file',
      );
    }
  } else if (typeof config.image === 'string') {
    result.kind = 'image';
  }
}
