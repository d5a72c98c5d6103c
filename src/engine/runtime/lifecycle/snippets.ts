// The shell snippets HyperBox runs in containers more than one way, written once (a leaf module:
// up, compose, lifecycle and the terminal all use them without importing each other).

/** The container keeps running without doing anything: a shell that waits and exits on SIGTERM. */
export const KEEP_ALIVE = 'echo "HyperBox: container started"; trap "exit 0" TERM INT; while sleep 1000 & wait $!; do :; done';

/**
 * Sets `$s` to the current user's shell from /etc/passwd, or to nothing: read by the shell itself
 * (no getent, which minimal images lack). Callers add their fallback: `[ -x "$s" ] || s=/bin/sh;`.
 */
export const FIND_USER_SHELL = 'u=$(id -un 2>/dev/null); s=; while IFS=: read -r n _ _ _ _ _ sh; do if [ "$n" = "$u" ]; then s=$sh; break; fi; done < /etc/passwd; ';
