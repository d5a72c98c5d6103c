// Reads JSON-RPC messages ("Content-Length: N\r\n\r\n" + N bytes of JSON) from the engine's
// stdin, and recovers from anything else. vscode-jsonrpc's own stream reader assumes a perfect
// peer: a stray byte, a broken header or a body that is not JSON leaves it out of step for good,
// and a made-up Content-Length makes it wait forever. This one skips what is not a message,
// reports it (as a reader error, which the engine logs) and finds the next header, so one bad
// write from a client never cuts it off.
import { AbstractMessageReader, type DataCallback, type Disposable, type Message, type ResponseMessage } from 'vscode-jsonrpc';

/**
 * What to do with each message before the connection sees it (see rpc/params.ts): deliver it
 * (its parameters checked), or answer it with an error. Without a gate every object is delivered
 * and nothing is answered.
 */
export interface MessageGate {
  check(message: Record<string, unknown>): { deliver: object } | { reply?: ResponseMessage; why: string };
  /** The answers to a JSON array of messages. */
  answerBatch(batch: unknown[]): ResponseMessage[];
  /** The answer to a body that is not JSON (`body` as far as it came). */
  answerUnparsable(body: string, why: string): ResponseMessage;
  /** Sends an answer to the client. */
  reply(response: ResponseMessage): void;
}

export interface ReaderOptions {
  /** Larger bodies are treated as a broken header (default 64 MiB). */
  maxBodyBytes?: number;
  /** A body that stops arriving for this long, while another header follows, is given up (default 1 s). */
  stallMs?: number;
  /** Sees every message before the connection does. */
  observe?: (message: Message) => void;
  /** Checks every message and answers the malformed ones. */
  gate?: MessageGate;
}

const HEADER_START = /content-(length|type)\s*:/i;
const MAX_HEADER_BYTES = 8 * 1024;

export class ResyncingMessageReader extends AbstractMessageReader {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Bytes needed before it is worth looking at the buffer again. */
  private needed = 0;
  private callback: DataCallback | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly maxBodyBytes: number;
  private readonly stallMs: number;
  private readonly observe: ((message: Message) => void) | undefined;
  private readonly gate: MessageGate | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    options: ReaderOptions = {},
  ) {
    super();
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
    this.stallMs = options.stallMs ?? 1000;
    this.observe = options.observe;
    this.gate = options.gate;
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    const onError = (e: Error) => this.fireError(e);
    const onClose = () => this.fireClose();
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('end', onClose);
    this.input.on('close', onClose);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('error', onError);
        this.input.off('end', onClose);
        this.input.off('close', onClose);
        this.clearStall();
      },
    };
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
    if (this.total < this.needed) return;
    this.process(false);
  }

  private buffer(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private consume(n: number): void {
    const buf = this.buffer().subarray(n);
    this.chunks = buf.length ? [buf] : [];
    this.total = buf.length;
  }

  private skip(n: number, why: string): void {
    if (n <= 0) return;
    const sample = this.buffer().subarray(0, Math.min(n, 40)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    this.consume(n);
    this.fireError(new Error(`skipped ${n} byte(s) of input that is not a JSON-RPC message (${why}): "${sample}${n > 40 ? '...' : ''}"`));
  }

  /** Sends an answer through the gate; a failure to make or send one is reported, never thrown. */
  private answer(make: () => ResponseMessage): void {
    if (!this.gate) return;
    try {
      this.gate.reply(make());
    } catch (e) {
      this.fireError(e);
    }
  }

  private clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** Delivers every complete message in the buffer; `giveUp` drops a header whose body stalled. */
  private process(giveUp: boolean): void {
    this.clearStall();
    this.needed = 0;
    for (;;) {
      const buf = this.buffer();
      if (buf.length === 0) return;

      // 1. The buffer must start with a header; skip anything before the next one.
      const text = buf.subarray(0, MAX_HEADER_BYTES).toString('latin1');
      const m = HEADER_START.exec(text);
      if (!m || m.index > 0) {
        const at = m ? m.index : buf.toString('latin1').search(HEADER_START);
        if (at < 0) {
          // keep a tail that could be the start of a header split across reads
          this.skip(buf.length - Math.min(buf.length, 16), 'no header');
          this.needed = this.total + 1;
          return;
        }
        this.skip(at, 'before a header');
        continue;
      }

      // 2. The header block ends with an empty line.
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEADER_BYTES) {
          this.skip(1, 'a header that does not end');
          continue;
        }
        this.needed = this.total + 1;
        return;
      }
      const length = parseHeaders(text.slice(0, end));
      if (length === undefined || length > this.maxBodyBytes) {
        this.skip(1, length === undefined ? 'a malformed header' : `a Content-Length of ${length} bytes, over the limit`);
        continue;
      }

      // 3. The body: JSON. A body that cannot be one means the header was not real: skip only
      //    the header, so a real message hiding in those bytes is still found.
      const start = end + 4;
      const available = buf.length - start;
      const firstByte = available > 0 ? firstNonSpace(buf, start, Math.min(buf.length, start + 64)) : undefined;
      if (firstByte !== undefined && firstByte !== 0x7b /* { */ && firstByte !== 0x5b /* [ */) {
        this.skip(start, 'a header followed by something that is not a JSON object');
        continue;
      }
      if (available < length) {
        if (giveUp) {
          // a message cut short: answer it (with its id, when that much came) before going on
          const rest = buf.subarray(start).toString('latin1');
          const next = rest.search(HEADER_START);
          this.answer(() => this.gate!.answerUnparsable(rest.slice(0, next < 0 ? rest.length : next), 'it was cut short'));
          this.skip(start, 'a header whose body never arrived');
          giveUp = false;
          continue;
        }
        this.needed = start + length;
        // A made-up Content-Length would wait forever: when the body stalls and another header
        // is already waiting behind it, give up on this one.
        this.stallTimer = setTimeout(() => {
          this.stallTimer = undefined;
          const rest = this.buffer().subarray(start).toString('latin1');
          if (HEADER_START.test(rest)) this.process(true);
        }, this.stallMs);
        this.stallTimer.unref?.();
        return;
      }
      let message: unknown;
      try {
        message = JSON.parse(buf.subarray(start, start + length).toString('utf8'));
      } catch (e) {
        const body = buf.subarray(start, start + length).toString('utf8');
        this.answer(() => this.gate!.answerUnparsable(body, (e as Error).message));
        this.skip(start, `a body that is not JSON: ${(e as Error).message}`);
        continue;
      }
      if (Array.isArray(message)) {
        this.consume(start + length);
        this.fireError(new Error(`skipped a batch of ${message.length} message(s) (a JSON array): batches are not supported`));
        const batch = message;
        if (this.gate) for (const r of this.gate.answerBatch(batch)) this.answer(() => r);
        continue;
      }
      if (!message || typeof message !== 'object') {
        this.skip(start, 'a body that is not a JSON-RPC object');
        continue;
      }
      this.consume(start + length);
      let deliver = message as Message;
      if (this.gate) {
        const checked = this.gate.check(message as Record<string, unknown>);
        if (!('deliver' in checked)) {
          this.fireError(new Error(`refused a message: ${checked.why}`));
          if (checked.reply) this.answer(() => checked.reply!);
          continue;
        }
        deliver = checked.deliver as Message;
      }
      try {
        this.observe?.(deliver);
        this.callback?.(deliver);
      } catch (e) {
        this.fireError(e);
      }
    }
  }
}

/** The Content-Length of a header block, or undefined when the block is not a valid header. */
function parseHeaders(block: string): number | undefined {
  let length: number | undefined;
  for (const line of block.split('\r\n')) {
    const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) return undefined;
    if (m[1].toLowerCase() === 'content-length') {
      if (!/^\d{1,12}$/.test(m[2].trim())) return undefined;
      length = Number(m[2].trim());
    }
  }
  return length;
}

function firstNonSpace(buf: Buffer, from: number, to: number): number | undefined {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return undefined;
}
