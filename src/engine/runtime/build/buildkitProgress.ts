// A BuildKit build through the Engine API (`POST /build?version=2`) reports its progress as
// `{"id":"moby.buildkit.trace","aux":"<base64>"}` lines: each a BuildKit StatusResponse message
// (protobuf) with the steps ("vertexes") that started, finished or failed and the output of the
// commands they ran. This reads the fields HyperBox shows with protobufjs's Reader (the engine
// bundles no .proto files) and turns them into the plain progress lines `docker build
// --progress=plain` prints: `#3 [2/2] COPY . /app`, `#3 DONE 1.2s`, `#4 0.153 output`.
import type { Reader as ReaderType } from 'protobufjs/minimal';

/** The parts of a BuildKit StatusResponse HyperBox shows; field numbers are BuildKit's control API's. */
export interface BuildKitStatus {
  vertexes: { digest: string; name: string; cached: boolean; started?: number; completed?: number; error: string }[];
  logs: { vertex: string; timestamp?: number; msg: string }[];
  warnings: { vertex: string; short: string }[];
}

type Reader = ReaderType;

/** A google.protobuf.Timestamp, in ms since the epoch. */
function timestamp(r: Reader, end: number): number {
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      // a Long where protobufjs found the `long` package, else a number
      const v = r.int64() as unknown as number | { toNumber(): number };
      seconds = typeof v === 'number' ? v : v.toNumber();
    } else if (tag >>> 3 === 2) nanos = r.int32();
    else r.skipType(tag & 7);
  }
  return seconds * 1000 + nanos / 1e6;
}

/** Calls `field(number, tag)` for each field of the message that ends at `end`; it reads the value and returns true, or false to skip it. */
function fields(r: Reader, end: number, field: (n: number, tag: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (!field(tag >>> 3, tag)) r.skipType(tag & 7);
  }
}

/** Decodes one `moby.buildkit.trace` aux value (base64). Throws on bytes that are not such a message. */
export function decodeBuildKitStatus(aux: string): BuildKitStatus {
  const { ProtobufReader: Reader } = require('../lazy-build.js') as typeof import('../lazy-build.js');
  const buf = Buffer.from(aux, 'base64');
  const r = Reader.create(buf);
  const out: BuildKitStatus = { vertexes: [], logs: [], warnings: [] };
  const sub = (read: (end: number) => void) => {
    const len = r.uint32();
    read(r.pos + len);
  };
  fields(r, buf.length, (n) => {
    if (n === 1) {
      sub((end) => {
        const v: BuildKitStatus['vertexes'][number] = { digest: '', name: '', cached: false, error: '' };
        fields(r, end, (f) => {
          if (f === 1) v.digest = r.string();
          else if (f === 3) v.name = r.string();
          else if (f === 4) v.cached = r.bool();
          else if (f === 5) sub((e) => (v.started = timestamp(r, e)));
          else if (f === 6) sub((e) => (v.completed = timestamp(r, e)));
          else if (f === 7) v.error = r.string();
          else return false;
          return true;
        });
        out.vertexes.push(v);
      });
    } else if (n === 3) {
      sub((end) => {
        const l: BuildKitStatus['logs'][number] = { vertex: '', msg: '' };
        fields(r, end, (f) => {
          if (f === 1) l.vertex = r.string();
          else if (f === 2) sub((e) => (l.timestamp = timestamp(r, e)));
          else if (f === 4) l.msg = Buffer.from(r.bytes()).toString('utf8');
          else return false;
          return true;
        });
        out.logs.push(l);
      });
    } else if (n === 4) {
      sub((end) => {
        const w = { vertex: '', short: '' };
        fields(r, end, (f) => {
          if (f === 1) w.vertex = r.string();
          else if (f === 3) w.short = Buffer.from(r.bytes()).toString('utf8');
          else return false;
          return true;
        });
        out.warnings.push(w);
      });
    } else return false;
    return true;
  });
  return out;
}

/**
 * Follows one BuildKit build's status messages: numbers the steps in the order they start, and
 * gives the lines to show, the step that failed and the output of the last steps (for an error).
 */
export class BuildKitProgress {
  private readonly steps = new Map<string, { n?: number; name: string; started?: number; done: boolean }>();
  private count = 0;
  /** The name of the step that failed ("[3/4] RUN make"), once one did. */
  failed: string | undefined;

  /** A step's number: steps are numbered as they first show, as `docker build --progress=plain` does. */
  private num(digest: string): number | string {
    const s = this.steps.get(digest);
    if (!s) return '?';
    s.n ??= ++this.count;
    return s.n;
  }

  /** The plain progress lines for one `moby.buildkit.trace` aux value. */
  add(aux: string): string {
    const status = decodeBuildKitStatus(aux);
    let text = '';
    for (const v of status.vertexes) {
      let s = this.steps.get(v.digest);
      if (!s) {
        s = { name: v.name, done: false };
        this.steps.set(v.digest, s);
      }
      if (v.started !== undefined && s.started === undefined) {
        s.started = v.started;
        text += `#${this.num(v.digest)} ${s.name}\n`;
      }
      if (v.error && !s.done) {
        s.done = true;
        this.failed ??= s.name;
        text += `#${this.num(v.digest)} ERROR: ${v.error}\n`;
      } else if (v.completed !== undefined && !s.done) {
        s.done = true;
        text += v.cached ? `#${this.num(v.digest)} CACHED\n` : `#${this.num(v.digest)} DONE ${((v.completed - (s.started ?? v.completed)) / 1000).toFixed(1)}s\n`;
      }
    }
    for (const l of status.logs) {
      const s = this.steps.get(l.vertex);
      const at = s?.started !== undefined && l.timestamp !== undefined ? ` ${((l.timestamp - s.started) / 1000).toFixed(3)}` : '';
      for (const line of l.msg.split('\n')) if (line) text += `#${this.num(l.vertex)}${at} ${line}\n`;
    }
    for (const w of status.warnings) text += `#${this.num(w.vertex)} WARNING: ${w.short}\n`;
    return text;
  }
}
