// Types for the parts of tar-fs (a dependency of dockerode) that the build context uses.
declare module 'tar-fs' {
  import type { Readable } from 'node:stream';
  import type { Stats } from 'node:fs';
  interface TarHeader {
    name: string;
    size?: number;
    mode?: number;
    mtime?: Date;
    type?: 'file' | 'directory' | 'symlink';
    uid?: number;
    gid?: number;
  }
  interface Pack extends Readable {
    entry(header: TarHeader, content?: string | Buffer, callback?: (err?: Error | null) => void): unknown;
    finalize(): void;
  }
  interface PackOptions {
    ignore?: (name: string) => boolean;
    entries?: string[];
    map?: (header: TarHeader) => TarHeader;
    dereference?: boolean;
    finalize?: boolean;
    finish?: (pack: Pack) => void;
    umask?: number;
    fmode?: number;
    dmode?: number;
    strict?: boolean;
  }
  export function pack(cwd: string, options?: PackOptions): Pack;
  interface ExtractOptions {
    ignore?: (name: string, header?: TarHeader) => boolean;
    map?: (header: TarHeader) => TarHeader;
    dmode?: number;
    fmode?: number;
    readable?: boolean;
    writable?: boolean;
  }
  export function extract(cwd: string, options?: ExtractOptions): import('node:stream').Writable;
  export type { Pack, PackOptions, TarHeader, Stats };
}

// Types for the parts of tar-stream (the tar writer under tar-fs) that packContext uses.
declare module 'tar-stream' {
  import type { Readable, Writable } from 'node:stream';
  interface Header {
    name: string;
    size?: number;
    mode?: number;
    mtime?: Date;
    type?: 'file' | 'directory' | 'symlink';
    linkname?: string;
    uid?: number;
    gid?: number;
  }
  interface Pack extends Readable {
    /** With content (or none, for folders and links) the entry is written at once; without, a stream to write it to. */
    entry(header: Header, content?: string | Buffer, callback?: (err?: Error | null) => void): Writable;
    entry(header: Header, callback: (err?: Error | null) => void): Writable;
    finalize(): void;
    _read(n: number): void;
  }
  export function pack(): Pack;
  /** The reader (tests check what packContext wrote). */
  export function extract(): Writable;
  export type { Header, Pack };
}
