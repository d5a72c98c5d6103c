import { RequestType } from 'vscode-jsonrpc/lib/common/messages';
import type { ResolvedConfig } from './core';

// ---------------------------------------------------------------------------------------------
// devcontainer.json

export interface DiscoverParams {
  folder: string;
}
export interface DiscoverResult {
  /** Configs found, the default first (the one `hb` and the reference CLI use without --config). */
  configFiles: string[];
}
/** client → engine: every devcontainer.json location in a folder. */
export const ConfigDiscover = new RequestType<DiscoverParams, DiscoverResult, void>('hyperbox/config/discover');

export interface ResolveParams {
  folder: string;
  /** A specific config file; otherwise the folder's default. */
  configFile?: string;
  /** Unsaved editor contents of the config file, for diagnostics as the user types. */
  text?: string;
}
/** client → engine: read, validate and substitute a folder's config. */
export const ConfigResolve = new RequestType<ResolveParams, ResolvedConfig, void>('hyperbox/config/resolve');
