// Where devcontainer.json runs without a seccomp profile of its own, for the code action that offers
// to generate one: each `seccomp=unconfined` in securityOpt or runArgs (the Go and C++ templates set
// it for debuggers), or — when neither that nor customizations.hyperbox.seccomp.profile is set —
// the key that says what the container is made from (image, build, dockerFile, dockerComposeFile).
// Pure (jsonc-parser only), so it is tested without an editor.
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';

export interface SeccompOffer {
  /** Offsets in the text. */
  start: number;
  end: number;
  kind: 'unconfined' | 'none';
}

const UNCONFINED = /seccomp[=:]unconfined/i;

export function seccompOffers(text: string): SeccompOffer[] {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root || root.type !== 'object') return [];
  const out: SeccompOffer[] = [];
  const strings = (n: Node | undefined) => (n?.type === 'array' ? (n.children ?? []).filter((c) => c.type === 'string') : []);
  // runArgs may spell it as one item ("--security-opt=seccomp=unconfined") or two ("--security-opt", "seccomp=unconfined")
  for (const key of ['securityOpt', 'runArgs']) for (const c of strings(findNodeAtLocation(root, [key]))) if (UNCONFINED.test(String(c.value))) out.push({ start: c.offset, end: c.offset + c.length, kind: 'unconfined' });
  if (out.length) return out;
  if (findNodeAtLocation(root, ['customizations', 'hyperbox', 'seccomp', 'profile'])) return [];
  for (const key of ['image', 'build', 'dockerFile', 'dockerComposeFile']) {
    const prop = root.children?.find((p) => p.type === 'property' && p.children?.[0].value === key);
    if (prop?.children?.[0]) {
      const k = prop.children[0];
      out.push({ start: k.offset, end: k.offset + k.length, kind: 'none' });
      break;
    }
  }
  return out;
}
