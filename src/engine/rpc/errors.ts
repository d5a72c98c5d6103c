// The one place an engine error becomes a JSON-RPC error: every service's requests reject with
// what toResponseError makes of what they threw. A RuntimeError carries its code (and the trust
// findings) in `data`, which the editor reacts to; a folder detection could not read keeps its
// own code and folder; anything else (a bug) goes out as vscode-jsonrpc sends any error.
import { ResponseError } from 'vscode-jsonrpc';
import { PROJECT_ERROR, RUNTIME_ERROR, type RuntimeErrorData } from '../../protocol';
import { RuntimeError } from '../runtime/errors';
import { DetectError } from '../project/walk';

export function toResponseError(e: unknown): unknown {
  if (e instanceof RuntimeError) return new ResponseError<RuntimeErrorData>(RUNTIME_ERROR, e.message, { ...e.data, code: e.code });
  if (e instanceof DetectError) return new ResponseError(PROJECT_ERROR, e.message, { code: e.code, folder: e.folder });
  return e;
}

/** `p`, rejecting with what toResponseError makes of its error. */
export function mapErrors<T>(p: Promise<T>): Promise<T> {
  return p.catch((e) => Promise.reject(toResponseError(e)));
}
