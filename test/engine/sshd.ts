// A throw-away sshd on 127.0.0.1 for the ssh DOCKER_HOST tests: its own host key, config and
// authorized key in a temp folder (the user's ~/.ssh is not touched), and a client "home" with
// the client key and a known_hosts line for the server, to give hb as HOME.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureDebianPackages, freePort, waitUntil } from './system';

export interface Sshd {
  port: number;
  dir: string;
  /** A HOME with .ssh/id_ed25519 (authorized) and .ssh/known_hosts (the server's key). */
  clientHome: string;
  /** A HOME with only .ssh/known_hosts: no key to offer. */
  keylessHome: string;
  /** A HOME with a key the server does not accept, and known_hosts. */
  strangerHome: string;
  /** The client key's file, for ssh-add. */
  clientKey: string;
  stop(): Promise<void>;
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hyperbox-test', '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

export async function startSshd(): Promise<Sshd> {
  ensureDebianPackages([
    { pkg: 'openssh-server', binary: '/usr/sbin/sshd' },
    { pkg: 'openssh-client', binary: '/usr/bin/ssh-keygen' },
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hb-sshd-'));
  const port = await freePort();
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'client_key'));
  keygen(path.join(dir, 'stranger_key'));
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')), { mode: 0o600 });
  // the privilege separation folder sshd insists on
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${path.join(dir, 'host_key')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'MaxSessions 20',
    'LogLevel VERBOSE',
  ].join('\n');
  writeFileSync(path.join(dir, 'sshd_config'), `${config}\n`);
  const check = spawnSync('/usr/sbin/sshd', ['-t', '-f', path.join(dir, 'sshd_config')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`sshd rejects the test config: ${check.stderr}`);
  // its log goes to a file: a pipe would fill while hb runs (spawnSync blocks this process) and stall sshd
  const logFd = openSync(path.join(dir, 'sshd.log'), 'w');
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const log = () => readFileSync(path.join(dir, 'sshd.log'), 'utf8');
  let exited = false;
  child.once('exit', () => (exited = true));
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  await waitUntil(async () => {
    if (exited) throw new Error(`sshd exited at once:\n${log()}`);
    return listening();
  }, 10_000, `sshd on 127.0.0.1:${port}`);

  const hostKey = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const home = (name: string, key?: string) => {
    const h = path.join(dir, name);
    mkdirSync(path.join(h, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(h, '.ssh', 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
    if (key) writeFileSync(path.join(h, '.ssh', 'id_ed25519'), readFileSync(key), { mode: 0o600 });
    return h;
  };
  return {
    port,
    dir,
    clientHome: home('home-client', path.join(dir, 'client_key')),
    keylessHome: home('home-keyless'),
    strangerHome: home('home-stranger', path.join(dir, 'stranger_key')),
    clientKey: path.join(dir, 'client_key'),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await waitUntil(() => exited, 5_000, 'sshd to stop').catch(() => child.kill('SIGKILL'));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
