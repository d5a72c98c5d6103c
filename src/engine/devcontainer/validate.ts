// Validates a parsed devcontainer.json against the spec's properties (schema.ts) and the rules
// that a schema cannot express (one way to make the container, Compose needs a service, ...).
import type { Node } from 'jsonc-parser';
import type { Problem, Severity } from '../../protocol';
import { didYouMean } from '../util/text';
import { MAX_PROBLEMS, describeNodeType, problemAt, type ParsedDocument } from './parse';
import { COMPOSE_ONLY_PROPERTIES, NON_COMPOSE_PROPERTIES, devcontainerSchema, type JsonSchema, type JsonType } from './schema';

export function validateDocument(doc: ParsedDocument): Problem[] {
  const out: Problem[] = [];
  if (!doc.root || doc.root.type !== 'object') return out;
  const v = new Validator(doc, out);
  v.check(doc.root, devcontainerSchema, '');
  checkRules(doc, out);
  return out;
}

class Validator {
  constructor(
    private readonly doc: ParsedDocument,
    private readonly out: Problem[],
  ) {}

  /** Whether MAX_PROBLEMS have been reported: later ones are dropped (and not worked out). */
  get full(): boolean {
    return this.out.length >= MAX_PROBLEMS;
  }

  report(node: Node, severity: Severity, message: string, code: string, fix?: Problem['fix']): void {
    if (this.full) return;
    this.out.push(problemAt(this.doc.lines, this.doc.file, severity, node.offset, node.length, message, code, fix));
  }

  /** Returns true when the node matches; reports what does not (unless `quiet`). */
  check(node: Node, schema: JsonSchema, path: string, quiet = false): boolean {
    if (schema.anyOf) {
      // Try each alternative quietly; report from the one whose type matches, else a type error.
      const typed = schema.anyOf.filter((s) => typeMatches(node, s));
      for (const alt of typed) if (this.check(node, alt, path, true)) return this.checkDeprecated(node, schema, path, quiet);
      if (quiet) return false;
      if (typed.length > 0) {
        this.check(node, typed[0], path, false);
      } else {
        this.report(node, 'error', `${label(path)} must be ${expected(schema)}, not ${describeNodeType(node)}.`, 'type');
      }
      return false;
    }
    if (!typeMatches(node, schema)) {
      if (!quiet) this.report(node, 'error', `${label(path)} must be ${expected(schema)}, not ${describeNodeType(node)}.`, 'type');
      return false;
    }
    let ok = true;
    if (schema.enum && !schema.enum.includes(node.value)) {
      if (quiet) return false;
      const suggestion = typeof node.value === 'string' ? didYouMean(node.value, schema.enum.filter((e): e is string => typeof e === 'string')) : undefined;
      const allowed = schema.enum.map((e) => JSON.stringify(e)).join(', ');
      this.report(
        node,
        'error',
        `${label(path)} is ${JSON.stringify(node.value)}, which is not allowed.` +
          (suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : '') +
          ` Allowed: ${allowed}.`,
        'enum',
        suggestion ? { title: `Change to ${JSON.stringify(suggestion)}`, replacement: JSON.stringify(suggestion) } : undefined,
      );
      ok = false;
    }
    if (schema.pattern && typeof node.value === 'string' && !new RegExp(schema.pattern).test(node.value)) {
      if (quiet) return false;
      this.report(node, 'error', `${label(path)} is ${JSON.stringify(node.value)}; expected ${schema['x-expected'] ?? `a value matching ${schema.pattern}`}.`, 'pattern');
      ok = false;
    }
    if (typeof node.value === 'number') {
      if (schema.minimum !== undefined && node.value < schema.minimum) {
        if (quiet) return false;
        this.report(node, 'error', `${label(path)} is ${node.value}; it must be at least ${schema.minimum}.`, 'range');
        ok = false;
      }
      if (schema.maximum !== undefined && node.value > schema.maximum) {
        if (quiet) return false;
        this.report(node, 'error', `${label(path)} is ${node.value}; it must be at most ${schema.maximum}.`, 'range');
        ok = false;
      }
    }
    if (node.type === 'object') ok = this.checkObject(node, schema, path, quiet) && ok;
    if (node.type === 'array' && schema.items) {
      for (const [i, child] of (node.children ?? []).entries()) {
        ok = this.check(child, schema.items, `${path}[${i}]`, quiet) && ok;
        if (!ok && quiet) return false;
      }
    }
    return this.checkDeprecated(node, schema, path, quiet) && ok;
  }

  private checkDeprecated(node: Node, schema: JsonSchema, path: string, quiet: boolean): boolean {
    if (schema.deprecationMessage && !quiet && node.parent?.type === 'property') {
      this.report(node.parent.children![0], 'warning', `${label(path)} is deprecated. ${schema.deprecationMessage}`, 'deprecated');
    }
    return true;
  }

  private checkObject(node: Node, schema: JsonSchema, path: string, quiet: boolean): boolean {
    let ok = true;
    const known = schema.properties ?? {};
    const knownNames = Object.keys(known);
    const seen = new Map<string, Node>();
    for (const prop of node.children ?? []) {
      const [keyNode, valueNode] = prop.children ?? [];
      if (!keyNode) continue;
      const key = String(keyNode.value);
      const childPath = path ? `${path}.${key}` : key;
      if (seen.has(key) && !quiet) {
        this.report(keyNode, 'warning', `"${key}" appears more than once in ${path ? `"${path}"` : 'the config'}; only the last one counts. Remove the duplicate.`, 'duplicate-key');
      }
      seen.set(key, keyNode);
      if (!valueNode) continue;
      const propSchema = known[key];
      if (propSchema) {
        ok = this.check(valueNode, propSchema, childPath, quiet) && ok;
      } else if (schema.additionalProperties === false) {
        if (quiet) return false;
        if (this.full) continue;
        const suggestion = didYouMean(key, knownNames);
        if (suggestion && !seen.has(suggestion)) {
          this.report(
            keyNode,
            'warning',
            `Unknown property "${key}"${path ? ` in "${path}"` : ''}. Did you mean "${suggestion}"? As written, it is ignored.`,
            'unknown-property',
            { title: `Rename to "${suggestion}"`, replacement: JSON.stringify(suggestion) },
          );
        } else {
          this.report(
            keyNode,
            'warning',
            `Unknown property "${key}"${path ? ` in "${path}"` : ''}; the Dev Container spec does not define it, so it is ignored.` +
              (path === '' ? ' Tool-specific settings belong under "customizations".' : ''),
            'unknown-property',
          );
        }
      } else if (typeof schema.additionalProperties === 'object') {
        ok = this.check(valueNode, schema.additionalProperties, childPath, quiet) && ok;
      }
      if (!ok && quiet) return false;
    }
    for (const req of schema.required ?? []) {
      if (!seen.has(req)) {
        if (quiet) return false;
        this.report(node, 'error', `${label(path)} needs "${req}".`, 'required');
        ok = false;
      }
    }
    return ok;
  }
}

function typeMatches(node: Node, schema: JsonSchema): boolean {
  if (!schema.type) return true;
  const types: JsonType[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.some((t) => {
    switch (t) {
      case 'integer':
        return node.type === 'number' && Number.isInteger(node.value);
      default:
        return node.type === t;
    }
  });
}

function expected(schema: JsonSchema): string {
  if (schema['x-expected']) return schema['x-expected'];
  const types: JsonType[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const words: Record<JsonType, string> = {
    string: 'a string',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    object: 'an object',
    array: schema.items?.type === 'string' ? 'an array of strings' : 'an array',
    null: 'null',
  };
  return types.map((t) => words[t]).join(' or ') || 'a valid value';
}

function label(path: string): string {
  return path ? `"${path}"` : 'The config';
}

// ---------------------------------------------------------------------------------------------
// Rules beyond the schema

function member(root: Node, key: string): { key: Node; value: Node } | undefined {
  let found: { key: Node; value: Node } | undefined;
  for (const prop of root.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (k && v && k.value === key) found = { key: k, value: v };
  }
  return found;
}

/** customizations.hyperbox settings that hot reload will read, and what HyperBox does not do until then. */
// (devCommand and reload were listed here until hot reload read them)
const NOT_SUPPORTED_YET: [string, string][] = [];

function checkRules(doc: ParsedDocument, out: Problem[]): void {
  const root = doc.root!;
  const hasSyntaxErrors = doc.problems.some((p) => p.code === 'syntax');
  const image = member(root, 'image');
  const build = member(root, 'build');
  const dockerfileInBuild = build?.value.type === 'object' ? member(build.value, 'dockerfile') : undefined;
  const legacyDockerfile = member(root, 'dockerFile');
  const compose = member(root, 'dockerComposeFile');
  const at = (node: Node, severity: Severity, message: string, code: string) =>
    out.push(problemAt(doc.lines, doc.file, severity, node.offset, node.length, message, code));

  const ways = [image && 'image', (dockerfileInBuild || legacyDockerfile) && 'build.dockerfile', compose && 'dockerComposeFile'].filter(
    Boolean,
  ) as string[];
  if (ways.length === 0) {
    if (!hasSyntaxErrors) {
      const anchor = build ? build.key : root;
      at(
        anchor,
        'error',
        build
          ? '"build" has no "dockerfile". Add "dockerfile": "Dockerfile" (a path relative to this file), or use "image" instead.'
          : 'The config does not say how to make the container. Add one of "image" (an image name), "build": { "dockerfile": ... } or "dockerComposeFile" with "service".',
        'no-source',
      );
    }
  } else if (ways.length > 1) {
    const second = compose && ways[0] !== 'dockerComposeFile' ? compose.key : (dockerfileInBuild ?? legacyDockerfile)!.key;
    at(
      second,
      'error',
      `The config names more than one way to make the container (${ways.join(' and ')}). Keep exactly one: "image", "build.dockerfile" or "dockerComposeFile".`,
      'conflicting-source',
    );
  }

  if (compose) {
    const service = member(root, 'service');
    if (!service) {
      at(compose.key, 'error', '"dockerComposeFile" needs "service": the name of the Compose service the dev container runs in.', 'compose-service');
    }
    for (const name of NON_COMPOSE_PROPERTIES) {
      const m = member(root, name);
      if (m && ways.length === 1) {
        at(m.key, 'warning', `"${name}" is ignored with "dockerComposeFile"; set it in the Compose file instead.`, 'ignored-with-compose');
      }
    }
    if (!member(root, 'workspaceFolder')) {
      at(
        compose.key,
        'warning',
        'With "dockerComposeFile", set "workspaceFolder" to where the Compose service mounts your code; the default is "/".',
        'compose-workspace-folder',
      );
    }
  } else {
    for (const name of COMPOSE_ONLY_PROPERTIES) {
      const m = member(root, name);
      if (m) at(m.key, 'warning', `"${name}" only applies with "dockerComposeFile"; it is ignored here.`, 'compose-only');
    }
  }

  // settings in the schema that nothing reads yet: valid, but said to do nothing
  const customizations = member(root, 'customizations');
  const hyperbox = customizations?.value.type === 'object' ? member(customizations.value, 'hyperbox') : undefined;
  if (hyperbox?.value.type === 'object') {
    for (const [name, what] of NOT_SUPPORTED_YET) {
      const m = member(hyperbox.value, name);
      if (m) at(m.key, 'warning', `customizations.hyperbox.${name} is not supported yet: HyperBox does not ${what} yet, so this setting has no effect for now.`, 'not-supported-yet');
    }
  }

  const workspaceMount = member(root, 'workspaceMount');
  if (workspaceMount && !compose && !member(root, 'workspaceFolder')) {
    at(workspaceMount.key, 'warning', '"workspaceMount" is set without "workspaceFolder"; set "workspaceFolder" to the mount\'s target so commands run there.', 'mount-without-folder');
  }
}

/** Exposed for the resolver: a top-level member's value node. */
export { member as configMember };
