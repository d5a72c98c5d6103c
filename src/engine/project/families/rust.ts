// Rust: Cargo.toml ([package], dependencies in any of their forms, [workspace], binaries).
import type { FrameworkId } from '../../../protocol';
import { FRAMEWORKS } from '../ids';
import * as m from '../manifests';
import { joinRel } from '../snapshot';
import { emptyCandidate, ownScripts, portsFor, procfileWeb, sourceBonus, versionOf, type Candidate, type DevCommand, type RuleContext } from '../context';

const FRAMEWORK_CRATES: [string, FrameworkId][] = [
  ['axum', 'axum'],
  ['actix-web', 'actix-web'],
  ['rocket', 'rocket'],
];

/** Dependency names a Cargo.toml declares ([dependencies], [dependencies.x], target-specific, workspace). */
export function cargoDependencies(doc: m.TomlDoc): Set<string> {
  const out = new Set<string>();
  for (const [name, table] of doc.tables) {
    const hit = /(^|\.)(dependencies|dev-dependencies|build-dependencies)(\.([^.]+))?$/.exec(name);
    if (!hit) continue;
    if (hit[4]) out.add(hit[4]);
    else for (const key of table.keys()) out.add(key);
  }
  return out;
}

export function analyzeRust(ctx: RuleContext, dir: string): Candidate | null {
  const file = joinRel(dir, 'Cargo.toml');
  if (!ctx.has(file)) return null;
  const c = emptyCandidate('rust', 'rust');
  c.pm = 'cargo';
  c.pmExplicit = true;
  const doc = ctx.toml(file);
  const counts = ctx.sourceCounts(dir);
  if (!doc) {
    c.score = 2;
    c.evidence.push({ file, reason: `present but not usable: ${ctx.problem(file)}` });
    return c;
  }
  const pkg = doc.tables.get('package');
  const ws = doc.tables.get('workspace');
  c.name = m.tomlString(pkg?.get('name'));
  c.score = 12 + (ctx.has(joinRel(dir, 'Cargo.lock')) ? 2 : 0) + sourceBonus(counts.rs ?? 0);
  c.evidence.push({ file, reason: pkg ? `Rust crate ${c.name ?? ''}`.trim() : 'Cargo workspace' });
  if (ws && !pkg) {
    const members = m.tomlStrings(ws.get('members'));
    c.aggregator = { kind: 'Cargo workspace', reason: `${file} [workspace] members: ${members.join(', ')}` };
    c.role = 'tooling';
  }
  const deps = cargoDependencies(doc);
  const fw = FRAMEWORK_CRATES.find(([crate]) => deps.has(crate));
  if (fw) {
    c.framework = fw[1];
    c.score += 3;
    c.evidence.unshift({ file, reason: `depends on ${fw[0]} → ${FRAMEWORKS[fw[1]].name}` });
  }
  const hasBin =
    ctx.has(joinRel(dir, 'src/main.rs')) || ctx.hasDir(joinRel(dir, 'src/bin')) || doc.tables.has('bin') || (!!pkg && !ctx.has(joinRel(dir, 'src/lib.rs')) && !ctx.hasDir(joinRel(dir, 'src')));
  if (!c.aggregator) c.role = hasBin || c.framework ? 'app' : 'library';
  let dev: DevCommand | null = ownScripts(ctx, dir) ?? procfileWeb(ctx, dir);
  if (!dev && c.role === 'app' && pkg) dev = { command: 'cargo run', source: ctx.has(joinRel(dir, 'src/main.rs')) ? joinRel(dir, 'src/main.rs') : file };
  c.dev = dev;
  c.ports = c.framework ? portsFor(dev, FRAMEWORKS[c.framework].port) : [];
  for (const d of ctx.upwards(dir)) {
    for (const name of ['rust-toolchain.toml', 'rust-toolchain']) {
      const t = ctx.text(joinRel(d, name));
      const v = t ? versionOf(/channel\s*=\s*["']?([\w.]+)/.exec(t)?.[1] ?? t.trim(), 2) : null;
      if (v) {
        c.version = v;
        break;
      }
    }
    if (c.version) break;
  }
  c.version ??= versionOf(m.tomlString(pkg?.get('rust-version')), 2);
  return c;
}
