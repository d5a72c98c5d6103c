// Argument handling for `hb`: global flags, command dispatch, usage errors (exit 2) and
// unexpected failures (exit 1 with the reason, never a stack trace alone).
import { parseArgs } from 'node:util';
import { VERSION } from '../version';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, isUsageError, type Command, type CommandContext } from './command';
import { COMMANDS } from './commands';

/** What the CLI gets from its process: a command's context without its parsed arguments. */
export type CliIO = Omit<CommandContext, 'values' | 'positionals'>;

/** With `stopAtFirstPositional`, puts `--` before the first positional so what follows is not parsed as options. */
function endOptionsAtFirstPositional(args: string[], options: Command['options']): string[] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args;
    if (!a.startsWith('-') || a === '-') return [...args.slice(0, i), '--', ...args.slice(i)];
    if (a.includes('=')) continue;
    const spec = a.startsWith('--') ? options[a.slice(2)] : Object.values(options).find((o) => o.short === a.slice(1));
    if (spec?.type === 'string') i++;
  }
  return args;
}

function mainHelp(): string {
  const commands = COMMANDS.map((c) => c.load());
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `hb ${VERSION}: HyperBox dev containers from the command line`,
    '',
    'Usage: hb <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     show help (also: hb <command> --help)',
    '  --version, -v  print the version',
    '',
    'Results go to stdout; messages and logs go to stderr. Most commands take --json.',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return `Usage: ${c.usage}\n\n${c.summary}.\n\n${c.help}\n`;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const target = first === 'help' && rest[0] ? COMMANDS.find((c) => c.name === rest[0])?.load() : undefined;
    io.out((target ? commandHelp(target) : mainHelp()) + '\n');
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    io.out(`${VERSION}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === first)?.load();
  if (!command) {
    const names = COMMANDS.map((c) => c.name);
    io.err(`hb: unknown command "${first}". Commands: ${names.join(', ')}. See hb --help.\n`);
    return EXIT_USAGE;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: command.stopAtFirstPositional ? endOptionsAtFirstPositional(rest, command.options) : rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.err(`hb ${command.name}: ${(e as Error).message.replace(/\. To specify.*$/s, '.')}\nUsage: ${command.usage}\n`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.out(commandHelp(command));
    return EXIT_OK;
  }
  const ctx: CommandContext = {
    ...io,
    values: parsed.values,
    positionals: parsed.positionals,
  };
  // what follows `--` (hb seccomp record -- CMD...): also the last positionals
  const dashDash = rest.indexOf('--');
  if (dashDash >= 0 && !command.stopAtFirstPositional) ctx.afterDashDash = rest.slice(dashDash + 1);
  try {
    return await command.run(ctx);
  } catch (e) {
    if (isUsageError(e)) {
      io.err(`hb ${command.name}: ${e.message}\nUsage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    io.err(`hb ${command.name}: ${(e as Error)?.message ?? String(e)}\n`);
    if (io.env.HB_DEBUG) io.err(`${(e as Error)?.stack}\n`);
    return EXIT_FAILURE;
  }
}
