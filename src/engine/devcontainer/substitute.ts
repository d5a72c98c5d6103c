// Variable substitution in devcontainer.json, as the Dev Container spec defines it. Works on the
// parsed tree so that a problem (an unset variable, an unknown one) points at its string.
import type { Node } from 'jsonc-parser';
import type { Problem } from '../../protocol';
import { didYouMean } from '../util/text';
import { MAX_PROBLEMS, problemAt, type ParsedDocument } from './parse';

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

/** The last segment of a path; "" for a root such as "/" (as the reference implementation has it). */
function posixBasename(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : '';
}

/**
 * Replaces the variables in one string. `report(message, code)` is called for problems.
 * `${containerEnv:...}` is left as written: only a running container knows its value.
 */
export function substituteString(
  value: string,
  ctx: SubstitutionContext,
  report?: (message: string, code: string, fix?: { title: string; from: string; to: string }) => void,
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
        // Only the text up to the next colon is the default, as the reference implementation
        // reads it: "${localEnv:X:a:b}" gives "a" when X is unset.
        const fallback = rest.length > 1 ? rest[1] : undefined;
        if (rest.length > 2) {
          report?.(
            `Only "${fallback}" is the default in "${match}"; the text after its colon (":${rest.slice(2).join(':')}") is dropped. A default cannot contain a colon: set ${variable} instead.`,
            'variable-default-colon',
          );
        }
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
        const corrected = suggestion && `\${${suggestion}${rest.length ? ':' + rest.join(':') : ''}}`;
        report?.(
          `Unknown variable "${match}"; it is left as written.` +
            (corrected
              ? ` Did you mean "${corrected}"?`
              : ` Known variables: ${KNOWN.map((k) => (k.toLowerCase().endsWith('env') ? `\${${k}:NAME}` : `\${${k}}`)).join(', ')}.`),
          'unknown-variable',
          corrected ? { title: `Change to "${corrected}"`, from: match, to: corrected } : undefined,
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
        problems &&
          ((message, code, fix) =>
            problems.length < MAX_PROBLEMS &&
            problems.push(
              problemAt(
                doc.lines,
                doc.file,
                'warning',
                node.offset,
                node.length,
                message,
                code,
                // the range is the whole string literal, so the replacement is the whole corrected literal
                fix && { title: fix.title, replacement: JSON.stringify((node.value as string).split(fix.from).join(fix.to)) },
              ),
            )),
      );
    default:
      return node.value;
  }
}
