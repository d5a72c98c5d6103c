#!/usr/bin/env node
// Records what the reference implementation (@devcontainers/cli, a devDependency) makes of a set
// of dev container configs at fixed paths, so a unit test can prove that HyperBox resolves the
// same folders to exactly the same values: ${devcontainerId}, the substituted containerEnv, the
// workspace folder and the workspace mount.
//
//   node scripts/record-reference.mjs        (needs a Docker engine; run again after changing CASES)
//
// For every case it writes the files under /tmp/hyperbox-ref/, runs
//   devcontainer read-configuration   -> workspaceFolder, workspaceMount, the substituted config
//   devcontainer up                   -> a real container on a locally built busybox image; the
//                                        container's environment carries the reference's value of
//                                        ${devcontainerId} (read-configuration leaves it as written)
// (A Compose config gets read-configuration only, so no ${devcontainerId}: Debian's docker.io
// has no Compose v2 for the reference to run.)
// It stores the results, with the files themselves, in test/fixtures/reference/reference-values.json.
// test/unit/devcontainer/reference.test.ts recreates the files from that JSON.
// Every container and image this script makes is removed before it exits.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(repo, 'test', 'fixtures', 'reference', 'reference-values.json');
const ROOT = '/tmp/hyperbox-ref';
const IMAGE = 'hyperbox-ref-busybox:record';
// Debian's client first: fresh machines have only that one.
const DOCKER = process.env.HB_DOCKER ?? '/usr/bin/docker';
const REFERENCE = path.join(repo, 'node_modules', '.bin', 'devcontainer');

/** The local environment the reference runs with; the test gives resolveConfig the same. */
const ENV = { HB_REF_SET: 'set value', HB_REF_EMPTY: '' };
/** Never set while recording: the unset-variable cases depend on it. */
const UNSET = 'HB_REF_UNSET';

// Every config carries these, so the container's environment shows each substituted value.
const probeEnv = {
  HB_ID: '${devcontainerId}',
  HB_LOCAL: '${localWorkspaceFolder}',
  HB_LOCAL_BASE: '${localWorkspaceFolderBasename}',
  HB_CONTAINER: '${containerWorkspaceFolder}',
  HB_CONTAINER_BASE: '${containerWorkspaceFolderBasename}',
  HB_MIXED: 'id-${devcontainerId}-in-${localWorkspaceFolderBasename}',
};

const config = (extra = {}, env = {}) =>
  JSON.stringify(
    {
      name: 'ref ${localWorkspaceFolderBasename}',
      image: IMAGE,
      ...extra,
      containerEnv: { ...probeEnv, ...env },
      remoteEnv: { HB_REMOTE_PATH: '${containerEnv:PATH}:/extra', HB_REMOTE_ID: '${devcontainerId}' },
    },
    null,
    2,
  ) + '\n';

/** A minimal git repository that git itself recognises (HEAD, objects/, refs/). */
const gitRepo = (dir) => ({ files: { [`${dir}/.git/HEAD`]: 'ref: refs/heads/main\n' }, dirs: [`${dir}/.git/objects`, `${dir}/.git/refs`] });

const CASES = [
  {
    name: 'plain',
    description: 'a plain folder with .devcontainer/devcontainer.json',
    folder: `${ROOT}/plain`,
    files: { [`${ROOT}/plain/.devcontainer/devcontainer.json`]: config() },
  },
  {
    name: 'trailing-slash',
    description: 'the same folder given with a trailing slash',
    folder: `${ROOT}/plain/`,
    files: { [`${ROOT}/plain/.devcontainer/devcontainer.json`]: config() },
  },
  {
    name: 'git-subfolder',
    description: 'a folder inside a git repository: the repository root is mounted',
    folder: `${ROOT}/gitrepo/packages/app`,
    ...merge(gitRepo(`${ROOT}/gitrepo`), {
      files: { [`${ROOT}/gitrepo/packages/app/.devcontainer/devcontainer.json`]: config() },
    }),
  },
  {
    name: 'git-root',
    description: 'the root folder of a git repository',
    folder: `${ROOT}/gitroot`,
    ...merge(gitRepo(`${ROOT}/gitroot`), { files: { [`${ROOT}/gitroot/.devcontainer.json`]: config() } }),
  },
  {
    name: 'not-a-repo',
    description: 'an empty .git folder above the workspace is not a repository: the folder itself is mounted',
    folder: `${ROOT}/fakegit/app`,
    files: { [`${ROOT}/fakegit/app/.devcontainer/devcontainer.json`]: config() },
    dirs: [`${ROOT}/fakegit/.git`],
  },
  {
    name: 'named',
    description: 'a named config .devcontainer/<name>/devcontainer.json chosen with --config',
    folder: `${ROOT}/named`,
    configFile: `${ROOT}/named/.devcontainer/python/devcontainer.json`,
    files: {
      [`${ROOT}/named/.devcontainer/python/devcontainer.json`]: config(),
      [`${ROOT}/named/.devcontainer/node/devcontainer.json`]: config({ name: 'node' }),
    },
  },
  {
    name: 'dotfile',
    description: 'a .devcontainer.json in the folder',
    folder: `${ROOT}/dotfile`,
    files: { [`${ROOT}/dotfile/.devcontainer.json`]: config() },
  },
  {
    name: 'two-defaults',
    description: 'both .devcontainer/devcontainer.json and .devcontainer.json: which one is the default',
    folder: `${ROOT}/twodefaults`,
    files: {
      [`${ROOT}/twodefaults/.devcontainer/devcontainer.json`]: config({}, { HB_WHICH: 'in .devcontainer/' }),
      [`${ROOT}/twodefaults/.devcontainer.json`]: config({}, { HB_WHICH: 'dotfile' }),
    },
  },
  {
    name: 'custom-workspace',
    description: 'a custom workspaceFolder and workspaceMount',
    folder: `${ROOT}/custom`,
    files: {
      [`${ROOT}/custom/.devcontainer/devcontainer.json`]: config({
        workspaceMount: 'source=${localWorkspaceFolder},target=/src/${localWorkspaceFolderBasename},type=bind',
        workspaceFolder: '/src/${localWorkspaceFolderBasename}',
      }),
    },
  },
  {
    name: 'local-env',
    description: '${localEnv:X}, ${localEnv:X:default} and ${env:X}, set, empty and unset',
    folder: `${ROOT}/localenv`,
    files: {
      [`${ROOT}/localenv/.devcontainer/devcontainer.json`]: config(
        {},
        {
          SET: '${localEnv:HB_REF_SET}',
          SET_ALIAS: '${env:HB_REF_SET}',
          SET_WITH_DEFAULT: '${localEnv:HB_REF_SET:unused}',
          UNSET: '${localEnv:HB_REF_UNSET}',
          UNSET_DEFAULT: '${localEnv:HB_REF_UNSET:fallback}',
          UNSET_DEFAULT_COLONS: '${localEnv:HB_REF_UNSET:a:b:c}',
          UNSET_ALIAS_DEFAULT: '${env:HB_REF_UNSET:alias fallback}',
          EMPTY: '${localEnv:HB_REF_EMPTY}',
          EMPTY_DEFAULT: '${localEnv:HB_REF_EMPTY:fallback}',
          IN_TEXT: 'pre-${localEnv:HB_REF_SET}-post',
          TWO: '${localEnv:HB_REF_SET}/${localEnv:HB_REF_UNSET:x}',
          UNKNOWN: '${notAVariable}',
        },
      ),
    },
  },
  {
    name: 'dockerfile',
    description: 'a Dockerfile config (no Compose) with a context above the config',
    folder: `${ROOT}/dockerfile`,
    files: {
      [`${ROOT}/dockerfile/.devcontainer/devcontainer.json`]: config({ image: undefined, build: { dockerfile: 'Dockerfile', context: '..' } }),
      [`${ROOT}/dockerfile/.devcontainer/Dockerfile`]: `FROM ${IMAGE}\nLABEL org.hyperbox.test=reference\n`,
    },
  },
  {
    name: 'compose',
    description: 'a Compose config (read-configuration only: this machine has no Compose to run it)',
    folder: `${ROOT}/compose`,
    readOnly: true,
    files: {
      [`${ROOT}/compose/.devcontainer/devcontainer.json`]: JSON.stringify(
        { name: 'ref ${localWorkspaceFolderBasename}', dockerComposeFile: ['docker-compose.yml'], service: 'app', containerEnv: probeEnv },
        null,
        2,
      ),
      [`${ROOT}/compose/.devcontainer/docker-compose.yml`]: `services:\n  app:\n    image: ${IMAGE}\n`,
    },
  },
  {
    name: 'deprecated',
    description: 'the deprecated top-level extensions, settings and devPort beside customizations.vscode',
    folder: `${ROOT}/deprecated`,
    files: {
      [`${ROOT}/deprecated/.devcontainer/devcontainer.json`]: config({
        extensions: ['ms-python.python', 'dbaeumer.vscode-eslint'],
        settings: { 'editor.tabSize': 2, 'files.eol': '\n' },
        devPort: 8000,
        customizations: { vscode: { extensions: ['dbaeumer.vscode-eslint', 'esbenp.prettier-vscode'], settings: { 'editor.tabSize': 4 } } },
      }),
    },
  },
  {
    name: 'deprecated-only',
    description: 'the deprecated top-level extensions and settings with no customizations',
    folder: `${ROOT}/deprecated-only`,
    files: {
      [`${ROOT}/deprecated-only/.devcontainer/devcontainer.json`]: config({ extensions: ['ms-python.python'], settings: { 'editor.tabSize': 2 } }),
    },
  },
  {
    name: 'spaced-unicode',
    description: 'a folder name with a space and non-ASCII letters',
    folder: `${ROOT}/spaced näme`,
    files: { [`${ROOT}/spaced näme/.devcontainer/devcontainer.json`]: config() },
  },
];

function merge(a, b) {
  return { files: { ...a.files, ...b.files }, dirs: [...(a.dirs ?? []), ...(b.dirs ?? [])] };
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.error) throw r.error;
  return r;
}

function docker(...args) {
  const r = run(DOCKER, args);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

function referenceEnv() {
  const env = { ...process.env, ...ENV };
  delete env[UNSET];
  return env;
}

/** Runs the reference CLI and parses the JSON it prints last on stdout. */
function reference(args) {
  const r = run(process.execPath, [REFERENCE, ...args], { env: referenceEnv(), cwd: repo });
  const lines = r.stdout.trim().split('\n');
  let result;
  try {
    result = JSON.parse(lines[lines.length - 1]);
  } catch {
    throw new Error(`devcontainer ${args.join(' ')} printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  if (r.status !== 0 || result.outcome === 'error') {
    throw new Error(`devcontainer ${args.join(' ')} failed (exit ${r.status}): ${JSON.stringify(result)}\n${r.stderr}`);
  }
  return result;
}

/** A busybox image made from the host's busybox-static, without a registry. */
function buildBaseImage() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hyperbox-ref-rootfs-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'root']) mkdirSync(path.join(dir, d), { recursive: true });
    execFileSync('cp', ['/bin/busybox', path.join(dir, 'bin', 'busybox')]);
    const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', path.join(dir, 'bin', a));
    writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\n');
    writeFileSync(path.join(dir, 'etc', 'os-release'), 'ID=busybox\nNAME=BusyBox\nVERSION_ID=1\n');
    const tar = execFileSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync(DOCKER, ['import', '-c', 'CMD ["/bin/sh"]', '-c', 'ENV PATH=/bin', '-', IMAGE], { input: tar, stdio: ['pipe', 'ignore', 'inherit'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeCase(c) {
  for (const d of c.dirs ?? []) mkdirSync(d, { recursive: true });
  for (const [file, text] of Object.entries(c.files)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/** Containers the reference made for our folders (found by its own label), to remove. */
function ourContainers() {
  const out = docker('ps', '-a', '--filter', 'label=devcontainer.local_folder', '--format', '{{.ID}}\t{{.Label "devcontainer.local_folder"}}');
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .filter(([, folder]) => folder.startsWith(`${ROOT}/`))
    .map(([id]) => id);
}

function removeContainer(id) {
  run(DOCKER, ['rm', '-f', '-v', id]);
}

function recordCase(c, baseImageId, extraImages) {
  const target = ['--workspace-folder', c.folder, ...(c.configFile ? ['--config', c.configFile] : [])];
  const common = ['--docker-path', DOCKER, '--log-level', 'info'];
  const read = reference(['read-configuration', ...target, ...common]);
  const { configFilePath, ...configuration } = read.configuration;
  if (c.readOnly) {
    return {
      configFile: configFilePath.fsPath,
      localFolder: null,
      devcontainerId: null,
      containerEnv: null,
      workspaceFolder: read.workspace.workspaceFolder,
      workspaceMount: read.workspace.workspaceMount ?? null,
      remoteWorkspaceFolder: null,
      configuration,
      configFilePath: configFilePath.fsPath,
    };
  }
  const up = reference(['up', ...target, ...common, '--remove-existing-container', '--skip-post-create']);
  const [info] = JSON.parse(docker('inspect', up.containerId));
  try {
    const env = Object.fromEntries(
      info.Config.Env.map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
    const declared = JSON.parse(readFileSync(read.configuration.configFilePath.fsPath, 'utf8')).containerEnv;
    const containerEnv = Object.fromEntries(Object.keys(declared).map((k) => [k, env[k]]));
    return {
      configFile: info.Config.Labels['devcontainer.config_file'],
      localFolder: info.Config.Labels['devcontainer.local_folder'],
      devcontainerId: env.HB_ID,
      containerEnv,
      workspaceFolder: read.workspace.workspaceFolder,
      workspaceMount: read.workspace.workspaceMount ?? null,
      remoteWorkspaceFolder: up.remoteWorkspaceFolder,
      configuration,
      configFilePath: configFilePath.fsPath,
    };
  } finally {
    removeContainer(up.containerId);
    if (info.Image !== baseImageId) extraImages.add(info.Image);
  }
}

async function main() {
  if (run(DOCKER, ['version', '--format', '{{.Server.Version}}']).status !== 0) {
    console.error(`record-reference: no Docker engine answers ${DOCKER}. Start one (bash scripts/docker.sh) and run again.`);
    process.exit(1);
  }
  const referenceVersion = run(process.execPath, [REFERENCE, '--version']).stdout.trim();
  rmSync(ROOT, { recursive: true, force: true });
  buildBaseImage();
  const baseImageId = docker('image', 'inspect', IMAGE, '--format', '{{.Id}}');
  const extraImages = new Set();
  const cases = [];
  try {
    for (const c of CASES) writeCase(c);
    for (const c of CASES) {
      process.stderr.write(`record-reference: ${c.name} ...\n`);
      const recorded = recordCase(c, baseImageId, extraImages);
      cases.push({
        name: c.name,
        description: c.description,
        folder: c.folder,
        configFile: c.configFile ?? null,
        files: c.files,
        dirs: c.dirs ?? [],
        reference: recorded,
      });
    }
  } finally {
    for (const id of ourContainers()) removeContainer(id);
    for (const image of extraImages) run(DOCKER, ['rmi', '-f', image]);
    run(DOCKER, ['rmi', '-f', IMAGE]);
    rmSync(ROOT, { recursive: true, force: true });
  }
  const output = {
    comment: 'Written by scripts/record-reference.mjs; checked by test/unit/devcontainer/reference.test.ts. Do not edit by hand.',
    reference: `@devcontainers/cli ${referenceVersion}`,
    dockerServer: docker('version', '--format', '{{.Server.Version}}'),
    env: ENV,
    unset: UNSET,
    cases,
  };
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(output, null, 2) + '\n');
  process.stderr.write(`record-reference: wrote ${path.relative(repo, OUT)} (${cases.length} cases)\n`);
}

await main();
