// Language profiles: what HyperBox does to a dev container for each stack. Data the runtime
// consumes (cache volumes, environment presets, watcher polling, suggested workspace volumes, the
// reload strategy), plus one pure function that picks the entries for a detection and checks them
// against the folder's config and what is known about the container.
import type {
  DetectionResult,
  LanguageProfile,
  PackageManagerId,
  ProfileEntry,
  ProfileEnvEntry,
  ProfileRule,
  ProfileVolumeEntry,
  ProjectStack,
  ReloadStrategy,
} from '../../protocol';

/** Where shared package caches are mounted in the container; each tool is pointed there by a variable. */
export const CACHE_ROOT = '/var/cache/hyperbox';

type EntrySpec =
  | (Omit<ProfileVolumeEntry, 'status' | 'skipReason'> & { pairedEnv?: string })
  | Omit<ProfileEnvEntry, 'status' | 'skipReason'>;

function cacheVolume(id: string, dir: string, why: string, pairedEnv?: string): EntrySpec {
  return {
    kind: 'volume',
    id: `${id}-volume`,
    apply: 'auto',
    when: 'always',
    source: `hyperbox-cache-${id}`,
    target: `${CACHE_ROOT}/${dir}`,
    scope: 'shared',
    overWorkspace: false,
    chownToRemoteUser: true,
    why,
    pairedEnv,
  };
}

function env(id: string, name: string, value: string, why: string, extra: Partial<ProfileEnvEntry> = {}): EntrySpec {
  return { kind: 'env', id, apply: 'auto', when: 'always', name, value, mode: 'set', why, ...extra };
}

/** A package cache: a shared named volume and the variable that points the tool at it. */
function cache(id: string, tool: string, variable: string, subdir = id, valueSuffix = ''): EntrySpec[] {
  const dir = `${CACHE_ROOT}/${subdir}`;
  return [
    cacheVolume(
      id,
      subdir,
      `${tool} keeps downloaded packages in a cache outside the workspace; on a named volume shared by your dev containers it survives rebuilds, so installs do not download everything again.`,
      variable,
    ),
    env(`${id}-env`, variable, `${dir}${valueSuffix}`, `Points ${tool}'s cache at the shared cache volume.`),
  ];
}

const CACHES: Record<PackageManagerId, EntrySpec[]> = {
  npm: cache('npm', 'npm', 'npm_config_cache'),
  pnpm: cache('pnpm', 'pnpm', 'npm_config_store_dir', 'pnpm', '/store'),
  yarn: [], // depends on Yarn's flavour: see yarnCache()
  bun: cache('bun', 'Bun', 'BUN_INSTALL_CACHE_DIR'),
  pip: cache('pip', 'pip', 'PIP_CACHE_DIR'),
  poetry: [...cache('poetry', 'Poetry', 'POETRY_CACHE_DIR'), ...cache('pip', 'pip', 'PIP_CACHE_DIR')],
  uv: [
    ...cache('uv', 'uv', 'UV_CACHE_DIR'),
    env(
      'uv-link-mode',
      'UV_LINK_MODE',
      'copy',
      'The uv cache is on a volume and the virtualenv on the workspace mount, so hard links between them fail; copying is what uv falls back to anyway, without the warning.',
    ),
  ],
  pipenv: [...cache('pipenv', 'Pipenv', 'PIPENV_CACHE_DIR'), ...cache('pip', 'pip', 'PIP_CACHE_DIR')],
  pdm: cache('pdm', 'PDM', 'PDM_CACHE_DIR'),
  go: [...cache('go-mod', 'Go (module cache)', 'GOMODCACHE', 'go-mod'), ...cache('go-build', 'Go (build cache)', 'GOCACHE', 'go-build')],
  cargo: [
    {
      kind: 'volume',
      id: 'cargo-registry-volume',
      apply: 'auto',
      when: 'always',
      source: 'hyperbox-cache-cargo-registry',
      target: '${containerEnv:CARGO_HOME:/usr/local/cargo}/registry',
      scope: 'shared',
      overWorkspace: false,
      chownToRemoteUser: true,
      why: 'Cargo keeps downloaded crates in $CARGO_HOME/registry; on a shared named volume they survive rebuilds. Only the registry is mounted, so the toolchain in $CARGO_HOME/bin stays the image\'s.',
    },
    {
      kind: 'volume',
      id: 'cargo-git-volume',
      apply: 'auto',
      when: 'always',
      source: 'hyperbox-cache-cargo-git',
      target: '${containerEnv:CARGO_HOME:/usr/local/cargo}/git',
      scope: 'shared',
      overWorkspace: false,
      chownToRemoteUser: true,
      why: 'Cargo keeps git dependencies in $CARGO_HOME/git; on a shared named volume they survive rebuilds.',
    },
  ],
  maven: [
    cacheVolume('maven', 'maven', 'Maven keeps downloaded artifacts in its local repository; on a shared named volume it survives rebuilds.', 'MAVEN_OPTS'),
    env('maven-repo', 'MAVEN_OPTS', `-Dmaven.repo.local=${CACHE_ROOT}/maven/repository`, "Points Maven's local repository (mvn and ./mvnw) at the shared cache volume.", {
      mode: 'append',
      unlessContains: 'maven.repo.local',
    }),
  ],
  gradle: cache('gradle', 'Gradle (dependencies and wrapper distributions)', 'GRADLE_USER_HOME'),
  bundler: cache('bundler', 'Bundler', 'BUNDLE_USER_CACHE'),
  composer: cache('composer', 'Composer', 'COMPOSER_CACHE_DIR'),
  dotnet: cache('nuget', 'NuGet', 'NUGET_PACKAGES'),
  cmake: [],
  make: [],
};

function yarnCache(berry: boolean | null): EntrySpec[] {
  // Yarn 1 caches in YARN_CACHE_FOLDER. Yarn 2+ uses its global folder for the shared cache;
  // setting YARN_CACHE_FOLDER there would move a zero-install project's committed cache.
  const [volume] = cache('yarn', 'Yarn', 'YARN_GLOBAL_FOLDER');
  const out: EntrySpec[] = [
    volume,
    env('yarn-global-env', 'YARN_GLOBAL_FOLDER', `${CACHE_ROOT}/yarn/global`, "Points Yarn 2+'s global folder (where its shared cache lives) at the cache volume."),
  ];
  if (berry === false) out.push(env('yarn-env', 'YARN_CACHE_FOLDER', `${CACHE_ROOT}/yarn/v1`, "Points Yarn 1's cache at the cache volume."));
  return out;
}

const NODE_HEAP_RULE: ProfileRule = { kind: 'memory-percent', percent: 75, format: '--max-old-space-size={mb}', minMb: 512 };

/** Environment presets that cannot hurt, by ecosystem. */
function presets(stack: ProjectStack): EntrySpec[] {
  const out: EntrySpec[] = [];
  const lang = stack.language;
  const js = lang === 'javascript' || lang === 'typescript' || ['npm', 'pnpm', 'yarn', 'bun'].includes(stack.packageManager ?? '');
  if (js) {
    out.push(
      env(
        'node-heap',
        'NODE_OPTIONS',
        '',
        "Node sizes its heap from the machine, not the container, so a big build can be killed for using more memory than the container has. The heap limit is set to 75% of the container's memory limit, leaving room for the rest of the process.",
        { mode: 'append', unlessContains: '--max-old-space-size', rule: NODE_HEAP_RULE, value: null },
      ),
    );
  }
  if (lang === 'python') {
    out.push(env('python-unbuffered', 'PYTHONUNBUFFERED', '1', "print() output reaches the terminal and HyperBox's logs at once instead of in 4-8 KB blocks."));
    out.push(env('pip-version-check', 'PIP_DISABLE_PIP_VERSION_CHECK', '1', 'pip does not look for a newer pip on every install (a network round trip and a warning).'));
  }
  if (lang === 'java' || lang === 'kotlin') {
    const gradle = stack.packageManager === 'gradle';
    const percent = gradle ? 50 : 75;
    out.push(
      env(
        'jvm-ram-percentage',
        'JDK_JAVA_OPTIONS',
        `-XX:MaxRAMPercentage=${percent}.0`,
        gradle
          ? "The JVM's default heap is 25% of the container's memory. With Gradle a daemon and the app each run a JVM, so each may use up to half. JDK_JAVA_OPTIONS is read by the java launcher only (JDK 9+)."
          : "The JVM's default heap is 25% of the container's memory; a dev container runs little else, so 75% avoids OutOfMemoryError in builds and tests. JDK_JAVA_OPTIONS is read by the java launcher only (JDK 9+).",
        { mode: 'append', unlessContains: 'MaxRAMPercentage' },
      ),
    );
  }
  return out;
}

/** Watcher polling, applied only when the workspace mount does not deliver inotify events. */
function polling(stack: ProjectStack): EntrySpec[] {
  const out: EntrySpec[] = [];
  const poll = (id: string, name: string, value: string, why: string): EntrySpec => ({ ...(env(id, name, value, why) as ProfileEnvEntry), when: 'no-inotify' });
  const lang = stack.language;
  if (lang === 'javascript' || lang === 'typescript') {
    out.push(poll('chokidar-polling', 'CHOKIDAR_USEPOLLING', 'true', 'chokidar (nodemon, Vite 5, Create React App, Vue CLI) otherwise never sees a saved change on a mount without inotify events.'));
    out.push(poll('watchpack-polling', 'WATCHPACK_POLLING', 'true', 'webpack 5 and Next.js watch through watchpack, which otherwise never sees a saved change on a mount without inotify events.'));
    if (lang === 'typescript') out.push(poll('tsc-polling', 'TSC_WATCHFILE', 'DynamicPriorityPolling', 'tsc --watch polls instead of waiting for inotify events that never come.'));
  }
  if (lang === 'python') {
    out.push(poll('watchfiles-polling', 'WATCHFILES_FORCE_POLLING', 'true', 'uvicorn --reload and fastapi dev watch through watchfiles, which otherwise never sees a saved change on a mount without inotify events.'));
    if (stack.framework === 'streamlit') out.push(poll('streamlit-polling', 'STREAMLIT_SERVER_FILE_WATCHER_TYPE', 'poll', "Streamlit's file watcher polls instead of waiting for inotify events."));
  }
  if (lang === 'csharp') out.push(poll('dotnet-polling', 'DOTNET_USE_POLLING_FILE_WATCHER', 'true', 'dotnet watch polls instead of waiting for inotify events that never come.'));
  return out;
}

function workspaceVolume(id: string, folder: string, name: string, why: string): EntrySpec {
  const rel = folder && folder !== '.' ? `${folder}/` : '';
  const slug = (rel + name).replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
  return {
    kind: 'volume',
    id,
    apply: 'suggested',
    when: 'always',
    source: `hyperbox-\${devcontainerId}-${slug}`,
    target: `\${containerWorkspaceFolder}/${rel}${name}`,
    scope: 'project',
    overWorkspace: true,
    chownToRemoteUser: true,
    why,
  };
}

/** Volumes mounted over a workspace folder: faster, but the host no longer sees that folder. */
function suggested(stack: ProjectStack, folder: string): EntrySpec[] {
  const out: EntrySpec[] = [];
  const pm = stack.packageManager;
  const at = folder === '.' ? '' : folder;
  if (pm === 'npm' || pm === 'pnpm' || pm === 'yarn' || pm === 'bun') {
    out.push(
      workspaceVolume(
        `node-modules${at ? `-${at}` : ''}`,
        at,
        'node_modules',
        'node_modules on a named volume: installs and module loading avoid the slower workspace mount (much slower on macOS and Windows), and Linux builds of native modules never mix with the host\'s. The host no longer sees this node_modules (the editor\'s tooling runs in the container).',
      ),
    );
  }
  if (pm === 'cargo') {
    out.push(
      workspaceVolume(
        `cargo-target${at ? `-${at}` : ''}`,
        at,
        'target',
        'Cargo\'s build output on a named volume: builds avoid the slower workspace mount and survive container rebuilds. The host no longer sees target/.',
      ),
    );
  }
  if (pm === 'uv' || pm === 'pdm') {
    out.push(
      workspaceVolume(
        `venv${at ? `-${at}` : ''}`,
        at,
        '.venv',
        'The virtualenv on a named volume: Linux wheels and interpreter links never mix with the host\'s, and imports avoid the slower workspace mount. The host no longer sees .venv.',
      ),
    );
  }
  if (pm === 'composer') {
    out.push(workspaceVolume(`composer-vendor${at ? `-${at}` : ''}`, at, 'vendor', 'vendor/ on a named volume: class loading avoids the slower workspace mount. The host no longer sees vendor/.'));
  }
  return out;
}

function reloadFor(det: ProjectStack): { strategy: ReloadStrategy; why: string } {
  if (det.devCommand && det.devCommandWatches) {
    return {
      strategy: 'framework-native',
      why: `"${det.devCommand}" reloads or restarts by itself when a file changes, so HyperBox only makes sure the change reaches the container.`,
    };
  }
  if (det.devCommand) {
    return { strategy: 'restart', why: `"${det.devCommand}" does not watch files, so HyperBox restarts it after a change.` };
  }
  if (det.language === 'other') {
    return { strategy: 'rebuild', why: 'HyperBox does not know how this project runs, so a rebuild of the container is the one way that always picks up a change.' };
  }
  return {
    strategy: 'restart',
    why: 'No dev command was found, so there is nothing running to reload; set customizations.hyperbox.devCommand to have HyperBox restart it after a change.',
  };
}

const REBUILD_FILES: Partial<Record<PackageManagerId, string[]>> = {
  npm: ['package.json', 'package-lock.json'],
  pnpm: ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'],
  yarn: ['package.json', 'yarn.lock'],
  bun: ['package.json', 'bun.lock', 'bun.lockb'],
  pip: ['requirements*.txt', 'pyproject.toml', 'setup.py'],
  poetry: ['pyproject.toml', 'poetry.lock'],
  uv: ['pyproject.toml', 'uv.lock'],
  pipenv: ['Pipfile', 'Pipfile.lock'],
  pdm: ['pyproject.toml', 'pdm.lock'],
  go: ['go.mod', 'go.sum'],
  cargo: ['Cargo.toml', 'Cargo.lock'],
  maven: ['pom.xml'],
  gradle: ['build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts', 'gradle/libs.versions.toml'],
  bundler: ['Gemfile', 'Gemfile.lock'],
  composer: ['composer.json', 'composer.lock'],
  dotnet: ['*.csproj', '*.sln'],
  cmake: ['CMakeLists.txt'],
  make: [],
};

/** What is known about the folder's config and the container, for checking the entries. */
export interface ProfileContext {
  /** The folder's devcontainer.json, when it has one. */
  config?: {
    file: string;
    containerEnv?: Record<string, string>;
    remoteEnv?: Record<string, string | null>;
    /** Mount targets the config already uses. */
    mountTargets?: string[];
    /** customizations.hyperbox.profile */
    profile?: string;
  } | null;
  /** The container's memory limit in bytes (0: no limit); undefined or null when not known yet. */
  memoryLimitBytes?: number | null;
  /** Whether the workspace mount delivers inotify events; undefined or null when not known yet. */
  inotify?: boolean | null;
  /** Whether Yarn is 2+ (berry); null when not known. */
  yarnBerry?: boolean | null;
}

/** The profile for a detection: every stack in it (the primary one and each part), checked against the context. */
export function buildProfile(det: DetectionResult, ctx: ProfileContext = {}): LanguageProfile {
  const stacks: { stack: ProjectStack; path: string }[] = [{ stack: det, path: det.primary ?? '.' }];
  for (const p of det.parts) if (p.role !== 'tooling' || p.path === det.primary) stacks.push({ stack: p, path: p.path });
  const specs: EntrySpec[] = [];
  const add = (list: EntrySpec[]) => {
    for (const e of list) if (!specs.some((s) => s.id === e.id)) specs.push(e);
  };
  for (const { stack } of stacks) {
    if (stack.packageManager === 'yarn') add(yarnCache(ctx.yarnBerry ?? null));
    else if (stack.packageManager) add(CACHES[stack.packageManager]);
    if ((stack.language === 'javascript' || stack.language === 'typescript') && stack.packageManager !== 'npm') add(CACHES.npm);
  }
  for (const { stack } of stacks) add(presets(stack));
  for (const { stack } of stacks) add(polling(stack));
  // node_modules etc.: for a JavaScript workspace one install at the top covers the members
  const jsWorkspace = !!det.monorepo && /workspaces|Lerna/.test(det.monorepo.kind);
  for (const { stack, path } of stacks) {
    const where = jsWorkspace && ['npm', 'pnpm', 'yarn', 'bun'].includes(stack.packageManager ?? '') ? '.' : path;
    add(suggested(stack, where));
  }

  const cfg = ctx.config ?? null;
  const setIn = (name: string): string | null | undefined => cfg?.containerEnv?.[name] ?? cfg?.remoteEnv?.[name] ?? undefined;
  const disabled = cfg?.profile === 'off';
  const limit = ctx.memoryLimitBytes;
  const entries: ProfileEntry[] = specs.map((spec) => {
    const { pairedEnv, ...rest } = spec as EntrySpec & { pairedEnv?: string };
    const entry = { ...rest, status: spec.apply === 'suggested' ? 'suggest' : 'apply' } as ProfileEntry;
    const skip = (reason: string) => {
      entry.status = 'skip';
      entry.skipReason = reason;
    };
    if (entry.kind === 'env' && entry.rule?.kind === 'memory-percent') {
      if (typeof limit === 'number' && limit > 0) {
        entry.value = evaluateRule(entry.rule, limit);
      } else if (limit === 0) {
        skip("the container has no memory limit, so Node's own default applies");
      }
    }
    if (entry.when === 'no-inotify' && entry.status !== 'skip') {
      if (ctx.inotify === true) skip('the workspace mount delivers inotify events, so watchers need no polling');
      else if (ctx.inotify === undefined || ctx.inotify === null) entry.status = 'conditional';
    }
    if (entry.status !== 'skip' && entry.kind === 'env') {
      const current = setIn(entry.name);
      if (current !== undefined && current !== null) {
        if (entry.mode === 'set') skip(`${cfg!.file} already sets ${entry.name}`);
        else if (entry.unlessContains && current.includes(entry.unlessContains)) skip(`${entry.name} in ${cfg!.file} already has ${entry.unlessContains}`);
      }
    }
    if (entry.status !== 'skip' && entry.kind === 'volume') {
      if (pairedEnv && setIn(pairedEnv) !== undefined && pairedEnv !== 'MAVEN_OPTS') skip(`${cfg!.file} sets ${pairedEnv}, so the cache lives where the config says`);
      else if (pairedEnv === 'MAVEN_OPTS' && (setIn('MAVEN_OPTS') ?? '')?.includes('maven.repo.local')) skip(`${cfg!.file} sets maven.repo.local in MAVEN_OPTS`);
      else if (cfg?.mountTargets?.some((t) => t === entry.target)) skip(`${cfg.file} already mounts something at ${entry.target}`);
    }
    if (disabled) skip(`customizations.hyperbox.profile is "off" in ${cfg.file}`);
    return entry;
  });
  // an env entry whose cache volume was skipped is skipped with it, and the other way round
  for (const e of entries) {
    if (e.kind === 'env' && e.status !== 'skip') {
      const vol = entries.find((v) => v.kind === 'volume' && v.id === e.id.replace(/-env$|-repo$/, '-volume'));
      if (vol && vol.status === 'skip' && !disabled) {
        e.status = 'skip';
        e.skipReason = `its cache volume is skipped: ${vol.skipReason}`;
      }
    }
  }

  const rebuildOn = new Set<string>(['.devcontainer/**', '.devcontainer.json']);
  for (const { stack, path } of stacks) {
    const prefix = path && path !== '.' ? `${path}/` : '';
    for (const f of REBUILD_FILES[stack.packageManager as PackageManagerId] ?? []) rebuildOn.add(prefix + f);
  }
  return {
    folder: det.folder,
    label: det.label,
    language: det.language,
    framework: det.framework,
    packageManager: det.packageManager,
    devCommand: det.devCommand,
    reload: { ...reloadFor(det), rebuildOn: [...rebuildOn] },
    disabled,
    memoryLimitBytes: typeof limit === 'number' ? limit : null,
    inotify: typeof ctx.inotify === 'boolean' ? ctx.inotify : null,
    entries,
    configFile: cfg?.file ?? null,
  };
}

/** The value an env entry sets given the container's memory limit (for the runtime, once it knows the limit). */
export function evaluateRule(rule: ProfileRule, memoryLimitBytes: number): string | null {
  if (!(memoryLimitBytes > 0)) return null;
  const mb = Math.max(rule.minMb, Math.floor(((memoryLimitBytes / 1024 / 1024) * rule.percent) / 100));
  return rule.format.replace('{mb}', String(mb));
}

/** Parses a size such as "4g", "512m", "2GiB" or a number of bytes. */
export function parseSize(text: string): number | null {
  const hit = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!hit) return null;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[hit[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(hit[1]) * mult);
}
