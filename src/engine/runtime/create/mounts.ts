// Mounts as devcontainer.json and `docker run --mount` write them, turned into Engine API mounts.
// String form: "type=bind,source=/a,target=/b[,readonly][,consistency=cached]..."; object form:
// { type, source, target } (the spec's), with the same optional keys.
import { RuntimeError } from '../errors';
import type { MountSpec } from '../build/metadata';

export interface ApiMount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

const TRUE = new Set(['', 'true', '1']);

/** `where` names the setting for messages, e.g. `mounts[2]` or `runArgs --mount`. */
export function parseMount(spec: string | MountSpec, where: string): ApiMount {
  const fields: Record<string, string> = {};
  if (typeof spec === 'string') {
    for (const { text, quoted } of splitMountFields(spec, where)) {
      // a quoted field is taken exactly as written: a path may have spaces at its ends
      const part = quoted ? text : text.trim();
      if (!part) continue;
      const eq = part.indexOf('=');
      const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
      fields[key] = eq < 0 ? '' : quoted ? part.slice(eq + 1) : part.slice(eq + 1).trim();
    }
  } else if (spec && typeof spec === 'object') {
    for (const [k, v] of Object.entries(spec)) if (v !== undefined && v !== null) fields[k.toLowerCase()] = String(v);
  } else {
    throw new RuntimeError('config', `${where} must be a mount string ("type=bind,source=...,target=...") or an object with type, source and target.`);
  }
  const type = (fields.type ?? 'volume') as ApiMount['Type'];
  if (!['bind', 'volume', 'tmpfs'].includes(type)) {
    throw new RuntimeError('config', `${where} has type "${type}"; HyperBox mounts "bind", "volume" or "tmpfs".`);
  }
  const target = fields.target ?? fields.dst ?? fields.destination;
  if (!target) throw new RuntimeError('config', `${where} has no target: write target=/path/in/container.`);
  const source = fields.source ?? fields.src;
  if (type === 'bind' && !source) throw new RuntimeError('config', `${where} is a bind mount without a source: write source=/path/on/host.`);
  const mount: ApiMount = { Type: type, Target: target };
  if (source) mount.Source = source;
  const ro = fields.readonly ?? fields.ro;
  if (ro !== undefined) mount.ReadOnly = TRUE.has(ro.toLowerCase());
  if (fields.consistency) mount.Consistency = fields.consistency;
  if (type === 'bind' && fields['bind-propagation']) mount.BindOptions = { Propagation: fields['bind-propagation'] };
  if (type === 'volume') {
    const opts: NonNullable<ApiMount['VolumeOptions']> = {};
    if (fields['volume-nocopy'] !== undefined) opts.NoCopy = TRUE.has(fields['volume-nocopy'].toLowerCase());
    if (fields['volume-driver']) opts.DriverConfig = { Name: fields['volume-driver'] };
    if (fields['volume-subpath']) opts.Subpath = fields['volume-subpath'];
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'volume-opt') {
        const [ok, ...ov] = v.split('=');
        opts.DriverConfig = { ...opts.DriverConfig, Options: { ...opts.DriverConfig?.Options, [ok]: ov.join('=') } };
      }
    }
    if (Object.keys(opts).length) mount.VolumeOptions = opts;
  }
  if (type === 'tmpfs') {
    const opts: NonNullable<ApiMount['TmpfsOptions']> = {};
    if (fields['tmpfs-size']) opts.SizeBytes = parseBytes(fields['tmpfs-size'], `${where} tmpfs-size`);
    if (fields['tmpfs-mode']) opts.Mode = parseInt(fields['tmpfs-mode'], 8);
    if (Object.keys(opts).length) mount.TmpfsOptions = opts;
  }
  const known = new Set([
    'type', 'target', 'dst', 'destination', 'source', 'src', 'readonly', 'ro', 'consistency', 'bind-propagation',
    'volume-nocopy', 'volume-driver', 'volume-subpath', 'volume-opt', 'tmpfs-size', 'tmpfs-mode', 'external',
  ]);
  for (const k of Object.keys(fields)) {
    if (!known.has(k)) throw new RuntimeError('config', `${where} has the option "${k}", which HyperBox does not know. Remove it or use one of: ${[...known].join(', ')}.`);
  }
  return mount;
}

/**
 * The fields of a mount string, read as `docker run --mount` reads them: one line of CSV, where a
 * field in double quotes may hold commas, and `""` inside it is one quote
 * (`type=bind,"source=/x/a,b",target=/w`). So a folder named `/x/comma,target=/etc` mounts that
 * folder, not `/x/comma`.
 */
export function splitMountFields(spec: string, where: string): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  let i = 0;
  for (;;) {
    if (spec[i] === '"') {
      let text = '';
      i++;
      for (;;) {
        const q = spec.indexOf('"', i);
        if (q < 0) throw new RuntimeError('config', `${where} has a quote that is not closed: ${JSON.stringify(spec)}. Close it, or write "" for a quote inside a quoted field.`);
        text += spec.slice(i, q);
        if (spec[q + 1] === '"') {
          text += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i < spec.length && spec[i] !== ',') {
        throw new RuntimeError('config', `${where} has text after a closing quote: ${JSON.stringify(spec)}. Quote the whole field, e.g. "source=/path,with,commas".`);
      }
      out.push({ text, quoted: true });
    } else {
      const comma = spec.indexOf(',', i);
      const text = spec.slice(i, comma < 0 ? spec.length : comma);
      if (text.includes('"')) {
        throw new RuntimeError('config', `${where} has a quote inside a field that does not start with one: ${JSON.stringify(text)}. Quote the whole field and double the quote inside ("source=/a""b"), as docker run --mount reads it.`);
      }
      out.push({ text, quoted: false });
      i = comma < 0 ? spec.length : comma;
    }
    if (i >= spec.length) return out;
    i++; // the comma
  }
}

/** One field of a mount string, quoted when it must be (a comma, a quote, spaces at its ends) so splitMountFields gives it back exactly. */
export function mountField(key: string, value: string): string {
  const field = `${key}=${value}`;
  return /[",]|^\s|\s$/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Docker's sizes: 512, 64k, 2m, 1.5g, 1gb (binary units). */
export function parseBytes(value: string, where: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgtp]?)(i?b)?\s*$/i.exec(value);
  if (!m) throw new RuntimeError('config', `${where} is "${value}", which is not a size; write e.g. 512m or 2g.`);
  const unit = m[2].toLowerCase();
  const power = ' bkmgtp'.indexOf(unit || 'b') - 1;
  return Math.round(parseFloat(m[1]) * 1024 ** Math.max(0, power));
}
