// Human output helpers for `hb`.
import * as path from 'node:path';
import type { Problem } from '../../protocol';

const useColor = (isTTY: boolean, env: NodeJS.ProcessEnv) => isTTY && !env.NO_COLOR && env.TERM !== 'dumb';

export function colors(isTTY: boolean, env: NodeJS.ProcessEnv) {
  const on = useColor(isTTY, env);
  const wrap = (code: number) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap(31), yellow: wrap(33), green: wrap(32), dim: wrap(2), bold: wrap(1), cyan: wrap(36) };
}

/** `file:line:column: severity: message`, the form terminals and editors make clickable. */
export function formatProblem(p: Problem, cwd: string, c = colors(false, {})): string {
  const rel = path.relative(cwd, p.file);
  const where = `${rel && !rel.startsWith('..') ? rel : p.file}:${p.line}:${p.column}`;
  const sev = p.severity === 'error' ? c.red('error') : c.yellow('warning');
  return `${where}: ${sev}: ${p.message}`;
}

export function summarizeProblems(problems: Problem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const part = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${part(errors, 'error')}, ${part(warnings, 'warning')}`;
}
