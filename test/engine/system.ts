// Programs that some engine tests need besides Docker (sshd, podman), from the "tests" group of
// scripts/debian-packages.txt: scripts/test.sh installs them before the tests, and a test run
// alone gets them from the same shell function (scripts/lib/debian.sh), which as root installs
// them and otherwise prints the exact apt-get line. Never a quiet skip: a test that cannot get what
// it needs fails and says how to get it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

/** Makes sure each binary exists, installing the "tests" group of scripts/debian-packages.txt when one does not. */
export function ensureDebianPackages(wanted: { pkg: string; binary: string }[]): void {
  const missing = wanted.filter((w) => !existsSync(w.binary));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const r = spawnSync('bash', ['-c', '. scripts/lib/debian.sh && hb_debian_install engine-tests tests'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  process.stderr.write(r.stderr ?? '');
  const still = missing.filter((m) => !existsSync(m.binary));
  if (still.length) {
    throw new Error(
      `This test needs ${still.map((m) => m.binary).join(', ')} (Debian packages: ${pkgs.join(' ')}), which are missing and could not be installed` +
        `${r.stderr?.trim() ? `:\n${r.stderr.trim()}` : ''}\nInstall them (e.g. "sudo apt-get install ${pkgs.join(' ')}") and run again.`,
    );
  }
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
