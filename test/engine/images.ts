// Local images for engine tests and benchmarks, built without a registry and cached by content
// hash: a tag names the hash of what went into the image, so an existing tag is reused as is.
//  - busybox:      Debian's busybox-static with its applet links, `docker import`ed (about a second)
//  - busybox-dev:  the same plus a non-root user dev (uid 1000) with a home, for remoteUser tests
// Images carry the label hyperbox.test=1. They are kept between runs on purpose (that is the
// cache); `npx tsx test/engine/images.ts --remove` removes them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Debian's docker CLI: fresh machines have only that one. */
export const DOCKER = process.env.HB_TEST_DOCKER ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
export const TEST_LABEL = 'hyperbox.test';
const BUSYBOX = process.env.HB_TEST_BUSYBOX ?? '/bin/busybox';
const RECIPE_VERSION = '2';

export function docker(args: string[], opts: { input?: string | Buffer; allowFail?: boolean } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(DOCKER, args, { input: opts.input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  const res = { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
  if (res.code !== 0 && !opts.allowFail) throw new Error(`${DOCKER} ${args.join(' ')} failed (${res.code}): ${res.stderr.trim()}`);
  return res;
}

function imageExists(tag: string): boolean {
  return docker(['image', 'inspect', '--format', '{{.Id}}', tag], { allowFail: true }).code === 0;
}

function hashOf(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 12);
}

let busyboxTag: string | undefined;

/** A tiny shell image: busybox and its applets, root only. */
export function busyboxImage(): string {
  if (busyboxTag) return busyboxTag;
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static (apt-get install busybox-static; scripts/test.sh and scripts/try.sh do as root, from scripts/debian-packages.txt), or set HB_TEST_BUSYBOX.`);
  const bin = readFileSync(BUSYBOX);
  const tag = `hyperbox-test/busybox:${hashOf(bin, RECIPE_VERSION)}`;
  if (!imageExists(tag)) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hb-rootfs-'));
    try {
      for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'home', 'proc', 'sys', 'dev', 'var/tmp']) mkdirSync(path.join(root, d), { recursive: true });
      chmodSync(path.join(root, 'tmp'), 0o1777);
      writeFileSync(path.join(root, 'bin/busybox'), bin, { mode: 0o755 });
      const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
      for (const a of applets) {
        const target = path.join(root, a);
        if (a === 'bin/busybox' || existsSync(target)) continue;
        mkdirSync(path.dirname(target), { recursive: true });
        symlinkSync('/bin/busybox', target);
      }
      writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
      writeFileSync(path.join(root, 'etc/profile'), 'export PROFILE_LOADED=yes\n');
      const tar = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
      if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
      docker(['import', '-c', 'CMD ["/bin/sh"]', '-c', 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin', '-c', `LABEL ${TEST_LABEL}=1`, '-', tag], { input: tar.stdout });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  busyboxTag = tag;
  return tag;
}

/** `docker build`s `dockerfile` as `tag` from a temporary context, which `addFiles` may fill first. */
function buildImage(tag: string, dockerfile: string, addFiles?: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hb-img-'));
  try {
    addFiles?.(dir);
    writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
    docker(['build', '-q', '-t', tag, dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A shell command that adds the non-root user `name` (uid/gid 1000) with a home in /home. */
function addUser(name: string): string {
  return `echo "${name}:x:1000:1000:${name}:/home/${name}:/bin/sh" >> /etc/passwd && echo "${name}:x:1000:" >> /etc/group && mkdir -p /home/${name} && chown 1000:1000 /home/${name}`;
}

/** Builds `dockerfile` (FROM the busybox image) into a tag named by its hash; cached. */
export function derivedImage(name: string, dockerfileBody: string): string {
  const base = busyboxImage();
  const dockerfile = `FROM ${base}\n${dockerfileBody}\nLABEL ${TEST_LABEL}=1\n`;
  const tag = `hyperbox-test/${name}:${hashOf(dockerfile)}`;
  if (!imageExists(tag)) buildImage(tag, dockerfile);
  return tag;
}

/** busybox with a non-root user dev (uid/gid 1000, home /home/dev), for remoteUser tests. */
export function devUserImage(): string {
  return derivedImage('busybox-dev', `RUN ${addUser('dev')}`);
}

/**
 * A Node.js image without a registry: the busybox image plus this machine's own `node` (and the
 * shared libraries `ldd` names for it) and npm when it sits beside it, with a non-root user `node`
 * (uid/gid 1000, home /home/node) as in the Dev Containers Node images. Tagged by the hash of the
 * node binary, so it is rebuilt only when Node changes. For the example workspace (scripts/try.sh),
 * the UI tests and bench/editor.
 */
export function nodeImage(): string {
  const nodeBin = realpathSync(process.execPath);
  const bin = readFileSync(nodeBin);
  const tag = `hyperbox-test/node:${hashOf(bin, RECIPE_VERSION, 'node-1')}`;
  if (imageExists(tag)) return tag;
  const dockerfile = [
    `FROM ${busyboxImage()}`,
    'COPY files/ /',
    'RUN if [ -d /usr/local/lib/node_modules/npm ]; then ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; fi' +
      ` && ${addUser('node')}`,
    'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `LABEL ${TEST_LABEL}=1`,
    '',
  ].join('\n');
  buildImage(tag, dockerfile, (dir) => {
    const files = path.join(dir, 'files');
    const copyIn = (src: string, dest = src) => {
      mkdirSync(path.join(files, path.dirname(dest)), { recursive: true });
      cpSync(src, path.join(files, dest), { recursive: true, dereference: true });
    };
    copyIn(nodeBin, '/usr/local/bin/node');
    const ldd = spawnSync('ldd', [nodeBin], { encoding: 'utf8' });
    if (ldd.status !== 0) throw new Error(`ldd ${nodeBin} failed: ${ldd.stderr}`);
    for (const m of ldd.stdout.matchAll(/(\/\S+\.so[^\s]*)/g)) copyIn(m[1]);
    const npmDir = path.join(path.dirname(path.dirname(nodeBin)), 'lib', 'node_modules', 'npm');
    if (existsSync(path.join(npmDir, 'bin', 'npm-cli.js'))) copyIn(npmDir, '/usr/local/lib/node_modules/npm');
  });
  return tag;
}

/**
 * A Python image with Flask and watchdog, without a registry: the busybox image plus Debian's own
 * /usr/bin/python3 (the one first on the PATH may be another build), its standard library, and
 * Flask with its dependencies and watchdog from Debian's python3-flask and python3-watchdog
 * (PyPI cannot be reached). Tagged by the hash of the interpreter and those packages' versions.
 */
export function pythonImage(): string {
  const py = realpathSync('/usr/bin/python3');
  if (!existsSync(py)) throw new Error('/usr/bin/python3 is missing: install Debian\'s python3, python3-flask and python3-watchdog (scripts/debian-packages.txt).');
  const ver = path.basename(py); // python3.11
  const dist = '/usr/lib/python3/dist-packages';
  const wanted = /^(flask|werkzeug|jinja2|markupsafe|itsdangerous|click|blinker|watchdog)([-_.].*)?$/i;
  const pkgs = existsSync(dist) ? readdirSync(dist).filter((n) => wanted.test(n)).sort() : [];
  if (!pkgs.some((n) => /^flask$/i.test(n)) || !pkgs.some((n) => /^watchdog$/i.test(n))) {
    throw new Error(`Flask or watchdog is missing from ${dist}: install Debian's python3-flask and python3-watchdog (scripts/debian-packages.txt).`);
  }
  const tag = `hyperbox-test/python:${hashOf(readFileSync(py), RECIPE_VERSION, 'python-3', pkgs.join(','))}`;
  if (imageExists(tag)) return tag;
  const dockerfile = [
    `FROM ${busyboxImage()}`,
    'COPY files/ /',
    `RUN ln -sf ${ver} /usr/bin/python3 && ln -sf ${ver} /usr/bin/python && ${addUser('dev')}`,
    'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PYTHONDONTWRITEBYTECODE=1',
    `LABEL ${TEST_LABEL}=1`,
    '',
  ].join('\n');
  buildImage(tag, dockerfile, (dir) => {
    const files = path.join(dir, 'files');
    const copyIn = (src: string, dest = src) => {
      mkdirSync(path.join(files, path.dirname(dest)), { recursive: true });
      cpSync(src, path.join(files, dest), { recursive: true, dereference: true, filter: (s) => !/\/(test|tests|idlelib|tkinter|turtledemo|ensurepip|lib2to3)(\/|$)/.test(s.slice(src.length)) });
    };
    copyIn(py, `/usr/bin/${ver}`);
    copyIn(`/usr/lib/${ver}`);
    for (const n of pkgs) copyIn(path.join(dist, n));
    // the interpreter's libraries and those of its extension modules (ctypes needs libffi, ...)
    const dynload = path.join(`/usr/lib/${ver}`, 'lib-dynload');
    const objects = [py, ...readdirSync(dynload).filter((n) => n.endsWith('.so')).map((n) => path.join(dynload, n))];
    const ldd = spawnSync('ldd', objects, { encoding: 'utf8' });
    const libs = new Set([...ldd.stdout.matchAll(/=> (\/\S+\.so[^\s]*)|^\s+(\/\S+\.so[^\s]*)/gm)].map((m) => m[1] ?? m[2]));
    // glibc loads libgcc_s at run time (no ldd line) when a thread ends: without it Werkzeug's
    // reloader aborts ("libgcc_s.so.1 must be installed for pthread_exit to work") at its first reload
    const libc = [...libs].find((l) => /\/libc\.so/.test(l));
    if (libc && existsSync(path.join(path.dirname(libc), 'libgcc_s.so.1'))) libs.add(path.join(path.dirname(libc), 'libgcc_s.so.1'));
    for (const lib of libs) if (existsSync(lib)) copyIn(lib);
  });
  return tag;
}

/** Removes every image this helper made (they carry hyperbox.test=1 and a hyperbox-test/ name). */
export function removeTestImages(): void {
  const ids = docker(['images', '--filter', `label=${TEST_LABEL}=1`, '--format', '{{.Repository}}:{{.Tag}}']).stdout.split('\n').filter((t) => t.startsWith('hyperbox-test/'));
  if (ids.length) docker(['rmi', '-f', ...ids], { allowFail: true });
}

// as a script: print the tags (building what is missing), or remove them with --remove
if (process.argv[1] && /images\.(ts|js)$/.test(process.argv[1])) {
  if (process.argv.includes('--remove')) removeTestImages();
  else console.log([busyboxImage(), devUserImage(), ...(process.argv.includes('--node') ? [nodeImage()] : []), ...(process.argv.includes('--python') ? [pythonImage()] : [])].join('\n'));
}
