// What the user brings from the host into a new dev container, as the Dev Containers extension
// does: their ~/.gitconfig (copied once, at create time, only when the remote user has none),
// their SSH agent (the SSH_AUTH_SOCK socket bind-mounted, and SSH_AUTH_SOCK set to it), and their
// UID and GID for the remote user (updateRemoteUserUID).
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MergedConfig } from '../build/metadata';
import type { Engine } from '../engine/docker';
import { execIn } from '../lifecycle/exec';
import type { ApiMount } from './mounts';
import type { Reporter } from '../report';

/** Where the agent socket appears in the container. */
export const CONTAINER_SSH_AUTH_SOCK = '/tmp/hyperbox-ssh-agent.sock';

/** The host's SSH agent socket, when SSH_AUTH_SOCK names a socket that exists. */
export async function sshAgentSocket(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const sock = env.SSH_AUTH_SOCK;
  if (!sock || !path.isAbsolute(sock)) return undefined;
  try {
    return (await fs.stat(sock)).isSocket() ? sock : undefined;
  } catch {
    return undefined;
  }
}

/** The bind mount and variable that forward the agent. */
export function sshAgentForward(socket: string): { mount: ApiMount; env: string } {
  return { mount: { Type: 'bind', Source: socket, Target: CONTAINER_SSH_AUTH_SOCK }, env: `SSH_AUTH_SOCK=${CONTAINER_SSH_AUTH_SOCK}` };
}

/** The user's git config: $HOME/.gitconfig (else $XDG_CONFIG_HOME/git/config), when readable. */
export async function hostGitConfig(env: NodeJS.ProcessEnv): Promise<{ file: string; text: string } | undefined> {
  const candidates: string[] = [];
  if (env.HOME) candidates.push(path.join(env.HOME, '.gitconfig'));
  const xdg = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  if (xdg) candidates.push(path.join(xdg, 'git', 'config'));
  for (const file of candidates) {
    try {
      const text = await fs.readFile(file, 'utf8');
      if (text.length > 256 * 1024) return undefined;
      return { file, text };
    } catch {
      // next
    }
  }
  return undefined;
}

/** Says what became of the copy: `copied`, `kept` (the user has a git config already) or `failed` (with why). */
export function reportGitConfig(host: { file: string }, user: string, result: string, report: Reporter, why?: string): boolean {
  if (result === 'copied') {
    report.info(`Copied ${host.file} to ${user}'s ~/.gitconfig in the container.`);
    return true;
  }
  if (result !== 'kept') report.warn(`Could not copy ${host.file} into the container for ${user}: ${why || 'its home folder is missing or not writable'}. Git in the container will lack your name and settings.`);
  return false;
}

/**
 * Copies the host's git config to the remote user's ~/.gitconfig, unless that file (or the
 * user's ~/.config/git/config) exists in the container already. Returns whether it copied.
 * When lifecycle commands run at create time, their exec writes the file instead (runBatch's
 * gitConfig), which saves this exec.
 *
 * Run as the user, so the file is theirs without a chown, and written by awk, not a shell
 * redirection: a seccomp profile recorded by hb seccomp (which runs this in its copy) then needs
 * no dup2 or chown for it.
 */
export async function copyGitConfig(engine: Engine, containerId: string, user: string, env: NodeJS.ProcessEnv, report: Reporter): Promise<boolean> {
  const host = await hostGitConfig(env);
  if (!host) return false;
  const script = [
    'h="$HOME"',
    '{ [ -z "$h" ] || [ "$h" = / ] || [ ! -d "$h" ]; } && { echo "no home folder for $1"; exit 3; }',
    '[ -e "$h/.gitconfig" ] || [ -e "$h/.config/git/config" ] && exit 0',
    'exec awk \'BEGIN { f = ENVIRON["HOME"] "/.gitconfig"; printf "%s", ENVIRON["HB_GITCONFIG"] > f; close(f); print "copied" }\'',
  ].join('\n');
  const res = await execIn(engine, containerId, { cmd: ['/bin/sh', '-c', script, 'sh', user], user, env: { HB_GITCONFIG: host.text } });
  if (res.exitCode !== 0) return reportGitConfig(host, user, 'failed', report, res.output.trim() || `exit code ${res.exitCode}`);
  return reportGitConfig(host, user, res.stdout.includes('copied') ? 'copied' : 'kept', report);
}

/**
 * updateRemoteUserUID (Linux): give the remote user the local user's UID/GID so files in the
 * bind-mounted workspace have the right owner on both sides. Done in the new container, as root,
 * before any lifecycle command: /etc/passwd and /etc/group are edited and the home folder
 * re-owned. Skipped for root, when the local user is root, or when the IDs already match.
 */
export async function updateRemoteUserUid(
  engine: Engine,
  containerId: string,
  user: string,
  merged: MergedConfig,
  localUser: { uid: number; gid: number } | undefined,
  report: Reporter,
): Promise<boolean> {
  if (merged.updateRemoteUserUID === false || os.platform() !== 'linux') return false;
  const local = localUser ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  if (local.uid === 0 || user === 'root' || user === '0') return false;
  const script = [
    'u="$0"; nu="$1"; ng="$2"',
    'line=$(grep "^$u:" /etc/passwd) || { echo "no user $u in /etc/passwd"; exit 0; }',
    'ou=$(echo "$line" | cut -d: -f3); og=$(echo "$line" | cut -d: -f4); home=$(echo "$line" | cut -d: -f6)',
    '[ "$ou" = "$nu" ] && [ "$og" = "$ng" ] && exit 0',
    'if [ "$ou" != "$nu" ] && cut -d: -f3 /etc/passwd | grep -qx "$nu"; then echo "UID $nu is taken by another user"; exit 3; fi',
    'sed -i "s/^\\($u:[^:]*\\):$ou:$og:/\\1:$nu:$ng:/" /etc/passwd',
    'if ! cut -d: -f3 /etc/group | grep -qx "$ng"; then sed -i "s/^\\([^:]*:[^:]*\\):$og:/\\1:$ng:/" /etc/group; fi',
    '[ -n "$home" ] && [ -d "$home" ] && chown -R "$nu:$ng" "$home" 2>/dev/null',
    'exit 0',
  ].join('\n');
  const res = await execIn(engine, containerId, { cmd: ['/bin/sh', '-c', script, user, String(local.uid), String(local.gid)], user: 'root' });
  if (res.exitCode !== 0 || res.output.trim()) {
    report.warn(`updateRemoteUserUID: could not give ${user} UID ${local.uid}: ${res.output.trim() || `exit code ${res.exitCode}`}. Files in the workspace may have a different owner inside and outside.`);
    return false;
  }
  report.info(`updateRemoteUserUID: ${user} now has UID ${local.uid} and GID ${local.gid}, as on this machine.`);
  return true;
}
