// Programs that some engine tests need besides Docker (sshd, podman): installed from Debian's
// packages when missing (as root, the way scripts/docker.sh installs docker.io), else a loud error.
// Never a quiet skip: a test that cannot get what it needs fails and says how to get it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** Makes sure each binary exists, installing its Debian package when it does not. */
export function ensureDebianPackages(wanted: { pkg: string; binary: string }[]): void {
  const missing = wanted.filter((w) => !existsSync(w.binary));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    throw new Error(`This test needs ${missing.map((m) => m.binary).join(', ')} (Debian packages: ${pkgs.join(' ')}), which are missing. Install them (e.g. "sudo apt-get install ${pkgs.join(' ')}") and run again.`);
  }
  process.stderr.write(`installing Debian packages for the engine tests: ${pkgs.join(' ')} ...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env, encoding: 'utf8' });
  }
  const still = missing.filter((m) => !existsSync(m.binary));
  if (r.status !== 0 || still.length) throw new Error(`apt-get install ${pkgs.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
