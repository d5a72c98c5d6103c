// An engine reached over ssh (DOCKER_HOST=ssh://user@host[:port]), the pure parts: which keys to
// offer, whether the host's key is the one known_hosts records, and the messages for each way
// the connection can fail. The connection itself (ssh2, loaded only for an ssh engine) is in
// lazy-ssh.ts.
import { createHmac } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** The address as the user wrote it, for messages. */
  address: string;
  /** Where it came from (`DOCKER_HOST`, `docker context "x"`), for messages. */
  source: string;
}

export const homeOf = (env: NodeJS.ProcessEnv) => env.HOME || os.homedir();

/** The identity files ssh tries by default, in its order (only unencrypted ones can be used). */
export function defaultIdentityFiles(env: NodeJS.ProcessEnv): string[] {
  const dir = path.join(homeOf(env), '.ssh');
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(dir, f));
}

/** The known_hosts files ssh reads: the user's, then the system's. */
export function knownHostsFiles(env: NodeJS.ProcessEnv): string[] {
  return [path.join(homeOf(env), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * An ssh_config / known_hosts host pattern: only `*` and `?`, case-insensitive. Hand-written on
 * purpose: `[` is literal there (known_hosts writes `[host]:port`), which glob libraries would read
 * as a character class.
 */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** Whether one host field of a known_hosts line (`a,b,!c`, or a hashed `|1|salt|hash`) names `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

export type HostKeyVerdict = 'known' | 'unknown' | 'changed' | 'revoked';

/**
 * Checks the key a server showed (its public key blob) against known_hosts texts: `known` when a
 * line for this host has that key, `changed` when lines for this host have only other keys of
 * the same type, `revoked` when a @revoked line has it, else `unknown`.
 */
export function checkHostKey(texts: string[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostName(host, port);
  const keyB64 = key.toString('base64');
  // the key type is the first string in the blob
  const keyType = key.length > 4 ? key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1') : '';
  let sameTypeOther = false;
  for (const text of texts) {
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const fields = line.split(/\s+/);
      const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
      if (marker === '@cert-authority' || fields.length < 3) continue;
      const [hosts, type, b64] = fields;
      if (!hostFieldMatches(hosts, name)) continue;
      if (marker === '@revoked') {
        if (b64 === keyB64) return 'revoked';
        continue;
      }
      if (b64 === keyB64) return 'known';
      if (type === keyType) sameTypeOther = true;
    }
  }
  return sameTypeOther ? 'changed' : 'unknown';
}

const where = (t: SshTarget) => `${t.address} (from ${t.source})`;
const sshCommand = (t: SshTarget) => `ssh ${t.port === 22 ? '' : `-p ${t.port} `}${t.username}@${t.host}`;

/** The message for a host key that is not known, changed, or revoked. */
export function hostKeyMessage(t: SshTarget, verdict: Exclude<HostKeyVerdict, 'known'>, fingerprint: string, files: string[]): string {
  const name = knownHostName(t.host, t.port);
  switch (verdict) {
    case 'unknown':
      return (
        `Cannot talk to the Docker engine at ${where(t)}: the ssh host ${name} is not in ${files.join(' or ')}, so HyperBox cannot check that it is the machine you mean (its key: ${fingerprint}). ` +
        `Connect once with "${sshCommand(t)}" and accept the key if the fingerprint is right (or add it with "ssh-keyscan ${t.port === 22 ? '' : `-p ${t.port} `}${t.host} >> ~/.ssh/known_hosts"), then try again.`
      );
    case 'changed':
      return (
        `Cannot talk to the Docker engine at ${where(t)}: the ssh host key of ${name} has CHANGED since it was recorded in known_hosts (now ${fingerprint}). ` +
        `Someone may be intercepting the connection, or the host was reinstalled. Check with the machine's owner; if the new key is right, remove the old one with "ssh-keygen -R '${name}'" and connect once with "${sshCommand(t)}".`
      );
    case 'revoked':
      return `Cannot talk to the Docker engine at ${where(t)}: the ssh host key of ${name} (${fingerprint}) is marked @revoked in known_hosts. HyperBox will not use it; ask the machine's owner for the host's current key.`;
  }
}

/** What was offered when the server refused every key. */
export function authFailedMessage(t: SshTarget, offered: string[]): string {
  return (
    `Cannot talk to the Docker engine at ${where(t)}: the ssh server refused to log in ${t.username}: ` +
    `${offered.length ? `none of the keys offered was accepted (${offered.join(', ')})` : 'HyperBox had no key to offer (no ssh agent in SSH_AUTH_SOCK, and no unencrypted ~/.ssh/id_ed25519, id_ecdsa or id_rsa)'}. ` +
    `Add your public key to ~${t.username}/.ssh/authorized_keys on ${t.host}, or load the right key into your ssh agent ("ssh-add"), and check that "${sshCommand(t)} docker version" works, then try again. ` +
    'HyperBox does not ask for passwords or passphrases.'
  );
}

/** The message for an ssh server that cannot be reached at all. */
export function unreachableMessage(t: SshTarget, code: string | undefined, detail: string): string {
  const why =
    code === 'ECONNREFUSED'
      ? `the connection to ${t.host} port ${t.port} was refused: no ssh server listens there`
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `the host name ${t.host} cannot be resolved`
        : code === 'ETIMEDOUT'
          ? `${t.host} port ${t.port} did not answer in time`
          : `${t.host} port ${t.port} cannot be reached (${code ?? detail})`;
  return `Cannot talk to the Docker engine at ${where(t)}: ${why}. Check the address (user, host and port) in ${t.source}, that the machine is up and runs an ssh server, or unset DOCKER_HOST / run "docker context use default" to use this machine's engine.`;
}

/** The message when ssh works but the remote side cannot reach its engine. */
export function dialFailedMessage(t: SshTarget, exitCode: number | null, stderr: string): string {
  const out = stderr.trim().split('\n').slice(-3).join(' ').trim();
  const hint =
    exitCode === 127 || /not found/i.test(out)
      ? `there is no docker command on ${t.host} (HyperBox runs "docker system dial-stdio" there, as the docker CLI does). Install the docker CLI on that machine`
      : `"docker system dial-stdio" failed there${exitCode !== null ? ` (exit code ${exitCode})` : ''}${out ? `: ${out}` : ''}. Check that "${sshCommand(t)} docker version" works`;
  return `Cannot talk to the Docker engine at ${where(t)}: ssh logged in, but ${hint}, then try again.`;
}
