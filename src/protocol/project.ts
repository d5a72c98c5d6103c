import { RequestType } from 'vscode-jsonrpc/lib/common/messages';
import type { Problem } from './core';

// ---------------------------------------------------------------------------------------------
// Project detection, language profiles and "Add Dev Container Configuration"

/** Stable language ids (display names are separate fields). */
export type LanguageId =
  | 'javascript'
  | 'typescript'
  | 'python'
  | 'go'
  | 'rust'
  | 'java'
  | 'kotlin'
  | 'ruby'
  | 'php'
  | 'csharp'
  | 'c'
  | 'cpp'
  | 'other';

/** The application framework; for plain front-end apps, the UI library. */
export type FrameworkId =
  | 'express'
  | 'fastify'
  | 'koa'
  | 'hono'
  | 'nestjs'
  | 'nextjs'
  | 'nuxt'
  | 'react-router'
  | 'sveltekit'
  | 'astro'
  | 'react'
  | 'vue'
  | 'svelte'
  | 'angular'
  | 'django'
  | 'flask'
  | 'fastapi'
  | 'streamlit'
  | 'textual'
  | 'click'
  | 'typer'
  | 'gin'
  | 'echo'
  | 'fiber'
  | 'chi'
  | 'cobra'
  | 'axum'
  | 'actix-web'
  | 'rocket'
  | 'spring-boot'
  | 'quarkus'
  | 'micronaut'
  | 'rails'
  | 'sinatra'
  | 'laravel'
  | 'symfony'
  | 'aspnetcore';

export type PackageManagerId =
  | 'npm'
  | 'pnpm'
  | 'yarn'
  | 'bun'
  | 'pip'
  | 'poetry'
  | 'uv'
  | 'pipenv'
  | 'pdm'
  | 'go'
  | 'cargo'
  | 'maven'
  | 'gradle'
  | 'bundler'
  | 'composer'
  | 'dotnet'
  | 'cmake'
  | 'make';

/** The bundler / dev server of a JavaScript project, separate from its framework. */
export type ToolId = 'vite' | 'webpack' | 'rspack' | 'parcel' | 'rollup' | 'esbuild' | 'turbopack';

/** One reason for an answer: the file (relative to the folder, `/`-separated) and what it said. */
export interface DetectionEvidence {
  file: string;
  reason: string;
}

/** What a project (or one part of a monorepo) is and how it starts. */
export interface ProjectStack {
  language: LanguageId;
  languageName: string;
  framework: FrameworkId | null;
  frameworkName: string | null;
  tool: ToolId | null;
  toolName: string | null;
  packageManager: PackageManagerId | null;
  packageManagerName: string | null;
  /**
   * The command a developer runs to start the app in development, or null. For the result itself
   * it runs in the detected folder; for a part it runs in the part's folder.
   */
  devCommand: string | null;
  /** Where the dev command came from, e.g. `package.json scripts.dev` or `Django default`. */
  devCommandSource: string | null;
  /**
   * Whether the dev command reloads or restarts by itself on a file change (a dev server with HMR,
   * nodemon, `--reload`, `dotnet watch`, air, ...); null without a dev command.
   */
  devCommandWatches: boolean | null;
  /** Ports the app usually listens on in development (from its scripts, else the framework's default). */
  ports: number[];
  /** The language runtime version the project asks for (`.nvmrc`, `requires-python`, `go.mod`, ...), or null. */
  languageVersion: string | null;
  /** 0..1 */
  confidence: number;
  evidence: DetectionEvidence[];
}

export interface ProjectPart extends ProjectStack {
  /** The part's folder relative to the detected folder (`/`-separated; `.` for the folder itself). */
  path: string;
  /** Package or project name when the manifest gives one, else the folder name. */
  name: string;
  /** `app` (something that runs), `library`, `tooling` (only lint/format/release tools). */
  role: 'app' | 'library' | 'tooling';
  /** "TypeScript · Next.js · pnpm" */
  label: string;
}

export interface DetectionStats {
  elapsedMs: number;
  dirsListed: number;
  filesOpened: number;
  bytesRead: number;
  entriesSeen: number;
  /** True when a budget (listings, files, time) stopped the walk before it was done. */
  truncated: boolean;
}

export interface DetectionResult extends ProjectStack {
  /** The folder that was detected (absolute). */
  folder: string;
  /** For the status bar: "TypeScript · NestJS · pnpm". */
  label: string;
  /** For the tooltip: plain text lines with the evidence and the other parts. */
  summary: string;
  /** Path of the primary part (`.` for the folder itself), or null when nothing was recognised. */
  primary: string | null;
  /** Why that part is the primary one. */
  primaryReason: string;
  /** Sub-projects of a monorepo (empty for a single project). */
  parts: ProjectPart[];
  /** How the monorepo is organised, or null. */
  monorepo: { kind: string; reason: string } | null;
  /** Plain messages about what could not be read or was skipped (huge, binary or unreadable files, budgets). */
  notes: string[];
  stats: DetectionStats;
}

export interface ProjectDetectParams {
  folder: string;
}
/** client → engine: what the folder is (language, framework, package manager, dev command, parts). */
export const ProjectDetect = new RequestType<ProjectDetectParams, DetectionResult, void>('hyperbox/project/detect');

/** When a profile entry applies. */
export type ProfileCondition =
  /** Always (subject to the config not already setting it). */
  | 'always'
  /** Only when the workspace mount does not deliver inotify events (remote engine, some VM shares). */
  | 'no-inotify';

/** How a profile entry's value is computed when it depends on the container. */
export interface ProfileRule {
  kind: 'memory-percent';
  /** Share of the container's memory limit, 0..100. */
  percent: number;
  /** The value with `{mb}` replaced by that share in MiB, e.g. `--max-old-space-size={mb}`. */
  format: string;
  /** Lower bound in MiB, so a tiny limit does not starve the process. */
  minMb: number;
}

interface ProfileEntryBase {
  /** Stable id, e.g. `npm-cache`, `node-heap`. */
  id: string;
  /** `auto`: applied unless the config says otherwise; `suggested`: applied only when the user accepts. */
  apply: 'auto' | 'suggested';
  when: ProfileCondition;
  why: string;
  /** Evaluated against the folder's config: `apply`, `suggest`, `conditional` (needs a fact not known yet) or `skip`. */
  status: 'apply' | 'suggest' | 'conditional' | 'skip';
  /** Why the entry is skipped (e.g. the config already sets the variable). */
  skipReason?: string;
}
export interface ProfileVolumeEntry extends ProfileEntryBase {
  kind: 'volume';
  /** Docker volume name; may contain `${devcontainerId}` (spec variable). */
  source: string;
  /** Mount point in the container; may contain `${containerWorkspaceFolder}` / `${containerEnv:VAR:default}`. */
  target: string;
  /** `shared`: one volume for every HyperBox container (caches); `project`: one per dev container. */
  scope: 'shared' | 'project';
  /** True when the volume is mounted over a folder of the workspace (hides the host's copy). */
  overWorkspace: boolean;
  /** The runtime makes the volume's root owned by the container's remote user after creating it. */
  chownToRemoteUser: boolean;
}
export interface ProfileEnvEntry extends ProfileEntryBase {
  kind: 'env';
  name: string;
  /** The value to set, or null while it waits for a fact (see `rule`). */
  value: string | null;
  /** `set`: only when the variable is unset; `append`: add to the existing value unless `unlessContains` is already in it. */
  mode: 'set' | 'append';
  unlessContains?: string;
  rule?: ProfileRule;
}
export type ProfileEntry = ProfileVolumeEntry | ProfileEnvEntry;

export type ReloadStrategy = 'framework-native' | 'restart' | 'rebuild';

export interface LanguageProfile {
  folder: string;
  /** The stack the profile is for (label as in DetectionResult). */
  label: string;
  language: LanguageId;
  framework: FrameworkId | null;
  packageManager: PackageManagerId | null;
  devCommand: string | null;
  reload: {
    strategy: ReloadStrategy;
    why: string;
    /** Files (globs relative to the workspace) whose change needs a rebuild or a dependency install. */
    rebuildOn: string[];
  };
  /** Whether `customizations.hyperbox.profile` is "off" in the folder's config (then nothing is applied). */
  disabled: boolean;
  /** The memory limit the values were computed for, or null (rules stay unevaluated). */
  memoryLimitBytes: number | null;
  /** Whether the mount carries inotify events; null when not known yet. */
  inotify: boolean | null;
  entries: ProfileEntry[];
  /** The config the entries were checked against, or null when the folder has none. */
  configFile: string | null;
}

export interface ProjectProfileParams {
  folder: string;
  /** The container's memory limit in bytes, when known: evaluates `memory-percent` rules. */
  memoryLimitBytes?: number;
  /** Whether the workspace mount carries inotify events, when known. */
  inotify?: boolean;
}
/** client → engine: the language profile for the folder's detected stack. */
export const ProjectProfile = new RequestType<ProjectProfileParams, LanguageProfile, void>('hyperbox/project/profile');

export interface ProjectInitParams {
  folder: string;
  /** false: only render the config (preview); default true: write it. Never overwrites. */
  write?: boolean;
  /** Write this text (the preview as the user edited it) instead of the rendered config; refused when it has errors. */
  text?: string;
  /** The other previewed files as the user edited them, by absolute path (`files[].file`); refused when one has errors. */
  texts?: Record<string, string>;
}
/** One file "Add Dev Container Configuration" / `hb init` writes. */
export interface InitFile {
  /** Absolute path. */
  file: string;
  text: string;
  /** The editor language of the preview. */
  language: 'jsonc' | 'yaml';
  /** What the file is for, for the user. */
  purpose: string;
}
export interface ProjectInitResult {
  folder: string;
  /** The file written (or that would be written): `<folder>/.devcontainer/devcontainer.json`. */
  file: string;
  /** The config text (JSON with comments). */
  text: string;
  written: boolean;
  /** When a config already exists: its path (nothing is written). */
  existing: string | null;
  /** What happened, for the user. */
  message: string;
  /** Problems our own validation finds in `text` (always empty unless there is a bug). */
  problems: Problem[];
  detection: DetectionResult;
  /**
   * Every file that is (or would be) written, devcontainer.json first: with a Compose-based config
   * also the dev service's compose file beside it. Problems in any of them block the write.
   */
  files: InitFile[];
}
/** client → engine: write a devcontainer.json for the detected stack (never overwriting one). */
export const ProjectInit = new RequestType<ProjectInitParams, ProjectInitResult, void>('hyperbox/project/init');
