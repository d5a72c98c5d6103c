// Go: go.mod (direct requirements), go.work, main packages (main.go, cmd/<name>), air.
import type { FrameworkId } from '../../../protocol';
import { FRAMEWORKS } from '../ids';
import * as m from '../manifests';
import { joinRel } from '../snapshot';
import { emptyCandidate, ownScripts, portsFor, procfileWeb, sourceBonus, type Candidate, type DevCommand, type RuleContext } from '../context';

const FRAMEWORK_MODULES: [RegExp, FrameworkId, number][] = [
  [/^github\.com\/gin-gonic\/gin$/, 'gin', 90],
  [/^github\.com\/labstack\/echo(\/v\d+)?$/, 'echo', 90],
  [/^github\.com\/gofiber\/fiber(\/v\d+)?$/, 'fiber', 90],
  [/^github\.com\/go-chi\/chi(\/v\d+)?$/, 'chi', 85],
  [/^github\.com\/spf13\/cobra$/, 'cobra', 50],
];

/** Names of cmd/ sub-folders preferred as the app's main package. */
const MAIN_NAMES = ['server', 'api', 'app', 'web', 'serve', 'main'];

export function analyzeGo(ctx: RuleContext, dir: string): Candidate | null {
  const modFile = joinRel(dir, 'go.mod');
  if (!ctx.has(modFile)) return null;
  const c = emptyCandidate('go', 'go');
  c.pm = 'go';
  c.pmExplicit = true;
  const text = ctx.text(modFile);
  const mod = text !== null ? m.parseGoMod(text) : null;
  c.evidence.push({ file: modFile, reason: mod ? `Go module ${mod.module ?? ''}`.trim() : `present but not usable: ${ctx.problem(modFile)}` });
  c.score = (mod ? 12 : 2) + (ctx.has(joinRel(dir, 'go.sum')) ? 2 : 0) + sourceBonus(ctx.sourceCounts(dir).go ?? 0);
  c.name = mod?.module?.split('/').pop() ?? null;
  c.version = mod?.go ?? null;
  let best: { id: FrameworkId; score: number; module: string } | null = null;
  for (const req of mod?.requires ?? []) {
    for (const [re, id, score] of FRAMEWORK_MODULES) {
      if (re.test(req) && (!best || score > best.score)) best = { id, score, module: req };
    }
  }
  if (best) {
    c.framework = best.id;
    c.score += FRAMEWORKS[best.id].kind === 'cli' ? 1 : 3;
    c.evidence.unshift({ file: modFile, reason: `requires ${best.module} → ${FRAMEWORKS[best.id].name}` });
  }
  // main packages
  const hasMain = ctx.has(joinRel(dir, 'main.go'));
  const cmdDir = joinRel(dir, 'cmd');
  const cmds = ctx.subdirs(cmdDir);
  const cmd = cmds.find((d) => d === c.name) ?? cmds.find((d) => MAIN_NAMES.includes(d)) ?? [...cmds].sort()[0];
  c.role = hasMain || cmds.length ? 'app' : 'library';
  let dev: DevCommand | null = ownScripts(ctx, dir);
  if (!dev && (ctx.has(joinRel(dir, '.air.toml')) || ctx.has(joinRel(dir, '.air.conf')))) dev = { command: 'air', source: `${joinRel(dir, '.air.toml')} (air live reload)` };
  dev ??= procfileWeb(ctx, dir);
  if (!dev && hasMain) dev = { command: 'go run .', source: `${joinRel(dir, 'main.go')}` };
  if (!dev && cmd) dev = { command: `go run ./cmd/${cmd}`, source: `${joinRel(cmdDir, cmd)}` };
  c.dev = dev;
  c.ports = c.framework && FRAMEWORKS[c.framework].kind !== 'cli' ? portsFor(dev, FRAMEWORKS[c.framework].port) : [];
  return c;
}

/** Module folders a go.work uses. */
export function goWorkspace(ctx: RuleContext): { members: string[]; file: string } | null {
  const text = ctx.text('go.work');
  return text === null ? null : { members: m.parseGoWork(text), file: 'go.work' };
}
