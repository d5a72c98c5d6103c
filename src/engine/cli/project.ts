// `hb detect`, `hb profile` and `hb init`: what the folder is, what HyperBox does to its dev
// container, and a devcontainer.json for it.
import * as path from 'node:path';
import type { CommandContext } from './command';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type Command } from './command';
import { colors } from './format';
import type { DetectionResult, LanguageProfile, ProfileEntry } from '../../protocol';
import { DetectError, detectProject } from '../project/detect';
import { initProject } from '../project/init';
import { parseSize } from '../project/profile';
import { profileFolder } from '../project/profile-folder';
import { formatBytes } from '../util/text';

function folderArg(ctx: CommandContext): string {
  if (ctx.positionals.length > 1) throw new UsageError(`expected at most one folder, got ${ctx.positionals.length}: ${ctx.positionals.join(' ')}.`);
  return path.resolve(ctx.cwd, ctx.positionals[0] ?? '.');
}

/** Runs a command body, turning an unreadable or missing folder into exit 1 with its message. */
async function guarded(ctx: CommandContext, name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof DetectError) {
      if (ctx.values.json) ctx.out(JSON.stringify({ error: { code: e.code, message: e.message, folder: e.folder } }, null, 2) + '\n');
      ctx.err(`hb ${name}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function table(rows: [string, string][], indent = '  '): string {
  const width = Math.min(40, Math.max(0, ...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}  ${b}`).join('\n') + '\n';
}

export function formatDetection(r: DetectionResult, c = colors(false, {})): string {
  let out = `${c.bold(r.label)}  ${c.dim(`confidence ${r.confidence.toFixed(2)}`)}\n`;
  const rows: [string, string][] = [];
  if (r.devCommand) {
    const how = r.devCommandWatches ? 'reloads by itself' : 'restarted on change';
    rows.push(['Dev command', `${r.devCommand}  ${c.dim(`(from ${r.devCommandSource}; ${how})`)}`]);
  } else rows.push(['Dev command', c.dim('none found')]);
  if (r.toolName) rows.push(['Tool', r.toolName]);
  if (r.ports.length) rows.push(['Ports', r.ports.join(', ')]);
  if (r.languageVersion) rows.push(['Version', `${r.languageName} ${r.languageVersion}`]);
  out += table(rows, '');
  if (r.evidence.length) {
    out += `${c.bold('Evidence')}\n` + table(r.evidence.map((e) => [e.file, e.reason]));
  }
  if (r.parts.length) {
    out += `${c.bold(`Parts${r.monorepo ? ` (${r.monorepo.kind})` : ''}`)}\n`;
    out += table(
      r.parts.map((p) => [
        `${p.path === r.primary ? '*' : ' '} ${p.path}`,
        `${p.label}${p.role !== 'app' ? c.dim(` [${p.role}]`) : ''}${p.devCommand ? `  ${c.dim(p.devCommand)}` : ''}`,
      ]),
    );
  }
  out += `${c.bold('Primary')}  ${r.primaryReason}\n`;
  return out;
}

export const detectCommand: Command = {
  name: 'detect',
  summary: "Detect the folder's language, framework, package manager and dev command",
  usage: 'hb detect [folder] [--json]',
  help: [
    'Looks at manifests, lockfiles, scripts and the dev container config (at most three folder levels,',
    'never into node_modules, .git, virtualenvs or build output; symlinks are not followed out of the',
    'folder and no project code runs) and says what the project is and how it starts in development.',
    'Monorepos list each part and the primary one with the reason it was chosen.',
    '',
    'Options:',
    '  --json   print one JSON object: language, framework, tool, packageManager, devCommand,',
    '           confidence, evidence [{file, reason}], parts, primary, primaryReason, notes, stats',
    '',
    'Values are stable lowercase ids (languageName, frameworkName, ... hold display names).',
    'Exit status: 0 when detection ran (also when nothing was recognised: language "other"),',
    '1 when the folder cannot be read, 2 for bad usage.',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const folder = folderArg(ctx);
    return guarded(ctx, 'detect', async () => {
      const r = await detectProject(folder);
      if (ctx.values.json) {
        ctx.out(JSON.stringify(r, null, 2) + '\n');
      } else {
        const c = colors(ctx.isTTY, ctx.env);
        ctx.out(formatDetection(r, c));
        ctx.err(
          c.dim(
            `detected in ${r.stats.elapsedMs.toFixed(1)} ms: ${plural(r.stats.dirsListed, 'folder')} listed, ${plural(r.stats.filesOpened, 'file')} read (${formatBytes(r.stats.bytesRead)})${r.stats.truncated ? ', budget reached' : ''}`,
          ) + '\n',
        );
      }
      for (const n of r.notes) ctx.err(`note: ${n}\n`);
      return EXIT_OK;
    });
  },
};

function describeEntry(e: ProfileEntry): string {
  if (e.kind === 'volume') return `volume ${e.source} → ${e.target}`;
  const value = e.value ?? (e.rule ? e.rule.format.replace('{mb}', `<${e.rule.percent}% of the memory limit in MiB>`) : '');
  return `env    ${e.name}${e.mode === 'append' ? ' += ' : '='}${value}`;
}

export function formatProfile(p: LanguageProfile, c = colors(false, {})): string {
  let out = `${c.bold(`Profile for ${p.label}`)}${p.configFile ? c.dim(`  (checked against ${p.configFile})`) : ''}\n`;
  out += table(
    [
      ['Reload', `${p.reload.strategy}: ${p.reload.why}`],
      ['Rebuild on', p.reload.rebuildOn.join(', ')],
      ['Memory limit', p.memoryLimitBytes === null ? 'not known yet (rules are evaluated by the runtime)' : p.memoryLimitBytes === 0 ? 'none' : formatBytes(p.memoryLimitBytes)],
      ['inotify', p.inotify === null ? 'not known yet' : p.inotify ? 'delivered by the mount' : 'not delivered by the mount'],
    ],
    '',
  );
  if (p.disabled) out += c.yellow('customizations.hyperbox.profile is "off": nothing below is applied.\n');
  if (!p.entries.length) out += c.dim('No profile entries for this stack.\n');
  const groups: [string, ProfileEntry['status'], string][] = [
    ['Applied automatically', 'apply', '+'],
    ['Applied when the mount has no inotify events', 'conditional', '?'],
    ['Suggested (applied when you accept)', 'suggest', '~'],
    ['Skipped', 'skip', '-'],
  ];
  for (const [title, status, mark] of groups) {
    const entries = p.entries.filter((e) => e.status === status);
    if (!entries.length) continue;
    out += `${c.bold(title)}\n`;
    for (const e of entries) {
      out += `  ${mark} ${describeEntry(e)}\n      ${c.dim(status === 'skip' ? e.skipReason ?? e.why : e.why)}\n`;
    }
  }
  return out;
}

export const profileCommand: Command = {
  name: 'profile',
  summary: 'Show the language profile HyperBox applies to the folder\'s dev container',
  usage: 'hb profile [folder] [--memory SIZE] [--inotify | --no-inotify] [--json]',
  help: [
    'The profile for the detected stack: shared package-cache volumes, environment presets the config',
    'does not already set, watcher polling for mounts without inotify events (applied automatically),',
    'volumes over workspace folders such as node_modules (suggested only), and the reload strategy.',
    '',
    'Options:',
    '  --memory SIZE   the container\'s memory limit (e.g. 4g, 512m; 0 for none), to evaluate rules',
    '                  such as the Node heap limit (75% of the limit)',
    '  --inotify       the workspace mount delivers inotify events (polling entries are skipped)',
    '  --no-inotify    it does not (polling entries are applied)',
    '  --json          print the profile as one JSON object',
    '',
    'Exit status: 0, 1 when the folder cannot be read, 2 for bad usage.',
  ].join('\n'),
  options: { json: { type: 'boolean' }, memory: { type: 'string' }, inotify: { type: 'boolean' }, 'no-inotify': { type: 'boolean' } },
  async run(ctx) {
    const folder = folderArg(ctx);
    let memoryLimitBytes: number | undefined;
    if (typeof ctx.values.memory === 'string') {
      const size = parseSize(ctx.values.memory);
      if (size === null) throw new UsageError(`--memory ${ctx.values.memory} is not a size; give bytes or a number with k, m, g (e.g. 4g, 512m).`);
      memoryLimitBytes = size;
    }
    if (ctx.values.inotify && ctx.values['no-inotify']) throw new UsageError('give --inotify or --no-inotify, not both.');
    const inotify = ctx.values.inotify ? true : ctx.values['no-inotify'] ? false : undefined;
    return guarded(ctx, 'profile', async () => {
      const { profile, detection } = await profileFolder(folder, { memoryLimitBytes, inotify, env: ctx.env });
      if (ctx.values.json) ctx.out(JSON.stringify(profile, null, 2) + '\n');
      else ctx.out(formatProfile(profile, colors(ctx.isTTY, ctx.env)));
      for (const n of detection.notes) ctx.err(`note: ${n}\n`);
      return EXIT_OK;
    });
  },
};

export const initCommand: Command = {
  name: 'init',
  summary: 'Write a devcontainer.json for the detected stack (never overwrites one)',
  usage: 'hb init [folder] [--dry-run] [--json]',
  help: [
    'Writes .devcontainer/devcontainer.json for the detected stack: the image, the dev command, the',
    'ports the framework usually uses, postCreateCommand for the dependencies and HyperBox\'s own',
    'settings, with comments. The result passes HyperBox\'s own validation (hb config).',
    '',
    'When the repository has a compose file that runs services from images (a database, a cache),',
    'the config is Compose-based: the dev service goes into .devcontainer/docker-compose.yml and the',
    'services are listed in runServices. When the app reads a .env the checkout lacks, the config',
    'points at .env.example (or .env.sample) and says so; no value is copied.',
    '',
    'An existing config is never overwritten, and there is no option to make it: edit it, or move it',
    'away and run hb init again.',
    '',
    'Options:',
    '  --dry-run   print the files instead of writing them (several under ==> path <== headers)',
    '  --json      print one JSON object: file, text, files, written, existing, message, problems, detection',
    '',
    'Exit status: 0 when written (or printed with --dry-run), 1 when a config already exists or the',
    'folder cannot be read or written, 2 for bad usage.',
  ].join('\n'),
  options: { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' } },
  async run(ctx) {
    if (ctx.values.force) {
      ctx.err(
        'hb init: there is no --force: hb init never overwrites an existing dev container config. Edit the existing one (hb config checks it), or move it away and run hb init again.\n',
      );
      return EXIT_USAGE;
    }
    const folder = folderArg(ctx);
    return guarded(ctx, 'init', async () => {
      const dryRun = !!ctx.values['dry-run'];
      const r = await initProject(folder, { write: !dryRun });
      const ok = r.written || (dryRun && !r.existing && r.problems.length === 0);
      if (ctx.values.json) {
        ctx.out(JSON.stringify(r, null, 2) + '\n');
      } else if (dryRun && ok) {
        // several files: each under a `==> path <==` header (as head and tail print several files)
        if (r.files.length === 1) ctx.out(r.text);
        else ctx.out(r.files.map((f) => `==> ${path.relative(r.folder, f.file)} <==\n${f.text}`).join('\n'));
      } else if (ok) {
        ctx.out(`${r.message}\n`);
      }
      if (!ok) ctx.err(`hb init: ${r.message}\n`);
      else if (!ctx.values.json && r.written) ctx.err(colors(ctx.isTTY, ctx.env).dim(`Review it, then check it with: hb config ${path.relative(ctx.cwd, r.folder) || '.'}\n`));
      return ok ? EXIT_OK : EXIT_FAILURE;
    });
  },
};
