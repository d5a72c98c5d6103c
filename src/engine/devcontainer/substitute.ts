// Variable substitution in devcontainer.json, as the Dev Container spec defines it. Works on the
// parsed tree so that a problem (an unset variable, an unknown one) points at its string.
import type { Node } from 'jsonc-parser';
import type { Problem } from '../../protocol';
import { didYouMean } from '../util/text';
import { problemAt, type ParsedDocument } from './parse';

export interface SubstitutionContext {
  localWorkspaceFolder: string;
  /** Where the workspace is inside the container; unknown while it is being computed. */
  containerWorkspaceFolder?: string;
  devcontainerId?: string;
  env: NodeJS.ProcessEnv;
}

const KNOWN = [
  'localWorkspaceFolder',
  'localWorkspaceFolderBasename',
  'containerWorkspaceFolder',
  'containerWorkspaceFolderBasename',
  'localEnv',
  'env',
  'containerEnv',
  'devcontainerId',
];

const VARIABLE = /\$\{([^{}]*)\}/g;

function posixBasename(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : p;
}

/**
 * Replaces the variables in one string. `report(message, code)` is called for problems.
 * `${containerEnv:...}` is left as written: only a running container knows its value.
 */
export function substituteString(
  value: string,
  ctx: SubstitutionContext,
  report?: (message: string, code: string) => void,
): string {
  return value.replace(VARIABLE, (match, inner: string) => {
    const [name, ...rest] = inner.split(':');
    switch (name) {
      case 'localWorkspaceFolder':
        return ctx.localWorkspaceFolder;
      case 'localWorkspaceFolderBasename':
        return posixBasename(ctx.localWorkspaceFolder);
      case 'containerWorkspaceFolder':
        return ctx.containerWorkspaceFolder ?? match;
      case 'containerWorkspaceFolderBasename':
        return ctx.containerWorkspaceFolder !== undefined ? posixBasename(ctx.containerWorkspaceFolder) : match;
      case 'devcontainerId':
        return ctx.devcontainerId ?? match;
      case 'localEnv':
      case 'env': {
        const variable = rest[0];
        if (!variable) {
          report?.(`"${match}" names no variable; write \${${name}:NAME} or \${${name}:NAME:default}.`, 'variable-syntax');
          return '';
        }
        const fallback = rest.length > 1 ? rest.slice(1).join(':') : undefined;
        const found = ctx.env[variable];
        if (found !== undefined) return found;
        if (fallback !== undefined) return fallback;
        report?.(
          `The local environment variable ${variable} is not set, so "${match}" becomes an empty string. Set ${variable} before starting, or give a default: \${${name}:${variable}:default}.`,
          'unset-variable',
        );
        return '';
      }
      case 'containerEnv':
        return match;
      default: {
        const suggestion = didYouMean(name, KNOWN);
        report?.(
          `Unknown variable "${match}"; it is left as written.` +
            (suggestion ? ` Did you mean "\${${suggestion}${rest.length ? ':' + rest.join(':') : ''}}"?` : ''),
          'unknown-variable',
        );
        return match;
      }
    }
  });
}

/** The JSON value of a tree with every string value substituted. Property names are kept as written. */
export function substituteTree(doc: ParsedDocument, node: Node, ctx: SubstitutionContext, problems?: Problem[]): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (!k || !v) continue;
        out[String(k.value)] = substituteTree(doc, v, ctx, problems);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map((c) => substituteTree(doc, c, ctx, problems));
    case 'string':
      return substituteString(
        node.value as string,
        ctx,
        problems && ((message, code) => problems.push(problemAt(doc.lines, doc.file, 'warning', node.offset, node.length, message, code))),
      );
    default:
      return node.value;
  }
}
