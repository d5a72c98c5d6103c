// Every program HyperBox's engine, tests, benches and scripts start must come from a Debian package
// the project installs (scripts/debian-packages.txt) or that a fresh machine has
// (test/fixtures/fresh-machine-packages.txt), or be allowed below with the reason. This catches the
// next "/bin/busybox is missing" before a fresh machine does. Reads nothing outside the repository
// but what it checks: this machine's PATH and `dpkg -S`.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { programsInCode, programsInShell, shellFunctions, type Use } from '../helpers/programs';

const REPO = path.resolve(__dirname, '..', '..', '..');
const LIST = path.join(REPO, 'scripts', 'debian-packages.txt');
const FRESH = path.join(REPO, 'test', 'fixtures', 'fresh-machine-packages.txt');

/** Programs that come from no Debian package on purpose, each with why that is fine. */
const ALLOWED: Record<string, string> = {
  node: 'Node.js runs everything (process.execPath); a fresh machine has it',
  npm: 'comes with Node.js',
  npx: 'comes with Node.js',
  hb: "HyperBox's own CLI (package.json bin), linked onto PATH by scripts/start.sh",
  'code-server': 'installed from npm by scripts/code-server.sh into ~/.cache/hyperbox',
  'nvidia-smi': 'asked only to find a GPU (hostRequirements.gpu); machines without one do not have it, and HyperBox then says so',
  'hb-which-tool': 'not a real program: test/unit/util/program.test.ts writes it into a temporary folder to test which()',
  'hb-which-extra': 'not a real program: test/unit/util/program.test.ts writes it into a temporary folder to test which()',
};

function listed(): Map<string, { groups: string[]; why: string }> {
  const out = new Map<string, { groups: string[]; why: string }>();
  for (const line of readFileSync(LIST, 'utf8').split('\n')) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const m = /^(\S+)\s+(\S+)\s+(.+)$/.exec(line);
    assert.ok(m, `${LIST}: "${line}" is not "package groups reason"`);
    out.set(m[1], { groups: m[2].split(','), why: m[3] });
  }
  return out;
}

function freshPackages(): Set<string> {
  return new Set(
    readFileSync(FRESH, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('apt\t'))
      .map((l) => l.split('\t')[1].replace(/:\w+$/, '')),
  );
}

function files(dir: string, keep: (f: string) => boolean, skip: (d: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!skip(p)) out.push(...files(p, keep, skip));
    } else if (keep(p)) out.push(p);
  }
  return out;
}

const rel = (p: string) => path.relative(REPO, p);
const shellFiles = () => files(path.join(REPO, 'scripts'), (f) => f.endsWith('.sh'));
const codeFiles = () => [
  ...['src', 'test', 'bench'].flatMap((d) => files(path.join(REPO, d), (f) => /\.(ts|mts|mjs|js|cjs)$/.test(f), (p) => p === path.join(REPO, 'test', 'fixtures') || p.endsWith('node_modules') || p.endsWith('.work'))),
  ...files(path.join(REPO, 'scripts'), (f) => f.endsWith('.mjs')),
];

/** Every program started, by name, with where. */
function allUses(): { uses: Map<string, string[]>; unresolved: string[] } {
  const uses = new Map<string, string[]>();
  const add = (u: Use) => uses.set(u.program, [...(uses.get(u.program) ?? []), u.where]);
  const shells = shellFiles();
  const functions = shells.flatMap((f) => shellFunctions(readFileSync(f, 'utf8')));
  for (const f of shells) programsInShell(readFileSync(f, 'utf8'), rel(f), functions).forEach(add);
  const unresolved: string[] = [];
  for (const f of codeFiles()) {
    const r = programsInCode(readFileSync(f, 'utf8'), rel(f), { shellFunctions: functions });
    r.uses.forEach(add);
    unresolved.push(...r.unresolved.map((u) => u));
  }
  return { uses, unresolved };
}

function isExecutable(p: string): boolean {
  try {
    return statSync(p).isFile() && (statSync(p).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Every file on this machine the program's name could start: each match on PATH (and the sbin folders root has). */
function locate(program: string): string[] {
  if (program.startsWith('/')) return existsSync(program) ? [program] : [];
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].filter(Boolean);
  return [...new Set(dirs.map((d) => path.join(d, program)).filter(isExecutable))];
}

/** The names dpkg may know a file by: itself, its real path, and both sides of Debian's merged /usr. */
function dpkgNames(file: string): string[] {
  const names = new Set([file]);
  try {
    names.add(realpathSync(file));
  } catch {
    // a dangling link: its own name only
  }
  for (const n of [...names]) {
    const m = /^\/usr\/(bin|sbin|lib\w*)\/(.*)$/.exec(n);
    if (m) names.add(`/${m[1]}/${m[2]}`);
    const m2 = /^\/(bin|sbin|lib\w*)\/(.*)$/.exec(n);
    if (m2) names.add(`/usr/${m2[1]}/${m2[2]}`);
  }
  return [...names];
}

/** file -> the packages that own it, from one `dpkg -S` call. */
function owners(paths: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!paths.length) return out;
  const r = spawnSync('dpkg', ['-S', ...paths], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line || line.startsWith('diversion ')) continue;
    const m = /^(.+?): (\/.*)$/.exec(line);
    if (!m) continue;
    out.set(m[2], m[1].split(', ').map((p) => p.replace(/:\w+$/, '')));
  }
  return out;
}

/** A Debian package named like the program, to suggest, when apt knows one. */
function packageHint(program: string): string {
  const name = path.basename(program);
  const r = spawnSync('apt-cache', ['policy', name], { encoding: 'utf8' });
  return /Candidate: (?!\(none\))/.test(r.stdout ?? '') ? `Debian's package "${name}" may be the one` : `"apt-file search ${name}" names the package that has it`;
}

const haveDpkg = spawnSync('dpkg', ['--version']).status === 0;

describe('set-up: every program the project starts comes from a listed Debian package or a fresh machine', () => {
  it('the extractor finds programs in shell: command words, inside $( ), <( ) and quotes, after prefixes; not data, builtins or functions', () => {
    const script = [
      '#!/usr/bin/env bash',
      'say() { echo "x: $*" >&2; }',
      'out=$(timeout 5 busybox --list 2>/dev/null | grep -c sh)',
      'arr=(podman crun)',
      "if ! command -v rg >/dev/null 2>&1; then say \"install it ('apt-get install ripgrep'; then go)\"; fi",
      'nohup dockerd --foo >"$log" 2>&1 &',
      '"$bin" --version',
      'x=1 FOO=bar tar -C / -c . | gzip > /tmp/x.tgz',
      '# a comment: curl here',
      '[ -x /bin/busybox ] && echo "$(id -u) $((1 + 2))"',
      '(( n > 2 )) && stat -c %s f',
      'for p in a b c; do sha256sum "$p"; done',
      'cat <<EOF',
      'wget is only text here',
      'EOF',
      'mapfile -t m < <(cut -f1 file)',
      'hb_debian_install try images',
      'echo "done: $(date +%s)"',
    ].join('\n');
    const uses = programsInShell(script, 'x.sh', ['hb_debian_install']);
    assert.deepEqual([...new Set(uses.map((u) => u.program))].sort(), ['busybox', 'cat', 'cut', 'date', 'dockerd', 'grep', 'gzip', 'id', 'nohup', 'rg', 'sha256sum', 'stat', 'tar', 'timeout'].sort());
    assert.ok(uses.some((u) => u.program === 'dockerd' && u.where === 'x.sh:6'), 'each use has its line');
    assert.ok(uses.some((u) => u.program === 'cut' && u.where === 'x.sh:16'), 'lines stay right after a here-document');
  });

  it('the extractor finds programs in code: literal commands, constants (also imported ones), sh -c scripts, files copied into images, the browser', () => {
    const code = [
      "import { spawn, spawnSync, execFileSync } from 'node:child_process';",
      "import { TOOL } from './other';",
      "const BUSY = process.env.HB_BUSY ?? '/bin/busybox';",
      "const REF = path.join(REPO, 'node_modules', '.bin', 'devcontainer');",
      "spawnSync('tar', ['-c']);",
      "execFileSync(BUSY, ['--list']);",
      "spawn(process.execPath, ['x.js']);",
      "spawnSync('sh', ['-c', 'command -v strace && ldd /bin/true']);",
      'spawn(TOOL, []);',
      'spawnSync(REF, []);',
      "const bin = readFileSync('/usr/sbin/sshd');",
      'spawn(someVariable, []);',
      "const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });",
      "if (!which('nsenter')) throw new Error('no nsenter');",
      "const notAProgram = 'just text';",
    ].join('\n');
    const r = programsInCode(code, '/repo/x.ts', { load: (f) => (f === '/repo/other.ts' ? "export const TOOL = process.env.X ?? 'podman';" : undefined) });
    assert.deepEqual(
      [...new Set(r.uses.map((u) => u.program))].sort(),
      ['/bin/busybox', '/usr/bin/chromium', '/usr/sbin/sshd', 'ldd', 'node', 'node_modules/.bin/devcontainer', 'nsenter', 'podman', 'sh', 'strace', 'tar'].sort(),
    );
    assert.deepEqual(r.unresolved, ['/repo/x.ts:12: someVariable']);
  });

  it('the list is well formed, and every group the scripts install exists in it', () => {
    const list = listed();
    assert.ok(list.size >= 15, `only ${list.size} packages in ${LIST}`);
    for (const [pkg, e] of list) assert.ok(e.why.length > 10, `${pkg} needs a reason in ${LIST}`);
    const groups = new Set([...list.values()].flatMap((e) => e.groups));
    const calls = [...shellFiles(), path.join(REPO, 'test', 'engine', 'system.ts')].flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/^[^#\n]*?hb_debian_install[ \t]+([\w-]+)((?:[ \t]+[\w-]+)*)/gm)].map((m) => ({ f: rel(f), groups: m[2].trim().split(/\s+/).filter(Boolean) })),
    );
    assert.ok(calls.length >= 6, `found only ${calls.length} calls of hb_debian_install`);
    for (const c of calls) for (const g of c.groups) assert.ok(groups.has(g), `${c.f} installs group "${g}", which ${rel(LIST)} does not have (it has ${[...groups].join(', ')})`);
  });

  it('each program is installed here and comes from a package in scripts/debian-packages.txt or on a fresh machine', function () {
    if (!haveDpkg) {
      // not a Debian machine: there is no package database to check against
      this.skip();
    }
    this.timeout(120_000);
    const { uses } = allUses();
    // the extraction is real: programs every one of these files is known to start are found
    for (const known of ['/bin/busybox', 'tar', 'docker', 'dockerd', '/usr/sbin/sshd', 'podman', 'crun', 'rg', '/usr/bin/chromium', 'strace', 'nsenter', 'apt-get', 'dpkg-query', 'tmux', 'openssl', 'node']) {
      assert.ok(uses.has(known), `the extractor no longer finds "${known}", which the code and scripts start: it is broken`);
    }
    const list = listed();
    const fresh = freshPackages();
    const npmBins = new Set(existsSync(path.join(REPO, 'node_modules', '.bin')) ? readdirSync(path.join(REPO, 'node_modules', '.bin')) : []);

    const problems: string[] = [];
    const located = new Map<string, string[]>();
    for (const program of uses.keys()) {
      if (program in ALLOWED || program.startsWith('node_modules/.bin/') || npmBins.has(program)) continue;
      located.set(program, locate(program));
    }
    const byFile = owners([...new Set([...located.values()].flat().flatMap(dpkgNames))]);
    for (const [program, found] of located) {
      const where = uses.get(program)!.slice(0, 3).join(', ');
      if (!found.length) {
        problems.push(`${program} (started at ${where}) is not installed on this machine: add the Debian package that has it to scripts/debian-packages.txt (${packageHint(program)}), or allow it in this test with the reason.`);
        continue;
      }
      const pkgs = new Map<string, string>(); // package -> file
      for (const f of found) for (const n of dpkgNames(f)) for (const p of byFile.get(n) ?? []) pkgs.set(p, f);
      if ([...pkgs.keys()].some((p) => list.has(p) || fresh.has(p))) continue;
      problems.push(
        pkgs.size
          ? `${program} (started at ${where}) comes from Debian's ${[...pkgs].map(([p, f]) => `${p} (${f})`).join(', ')}, which is neither in scripts/debian-packages.txt nor on a fresh machine: add it to the list with the reason.`
          : `${program} (started at ${where}) is ${found.join(', ')}, which no Debian package installed: add the package that provides it to scripts/debian-packages.txt, or allow it in this test with the reason.`,
      );
    }
    assert.deepEqual(problems, []);
  });
});
