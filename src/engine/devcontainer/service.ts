// The devcontainer.json service over JSON-RPC.
import { ConfigDiscover, ConfigResolve } from '../../protocol';
import type { ServiceRegistration } from '../serviceTypes';
import { discoverConfigs } from './discover';
import { ConfigReadError } from './parse';
import { resolveConfig } from './resolve';

export const registerConfigService: ServiceRegistration = {
  capabilities: ['config'],
  register(conn) {
    conn.onRequest(ConfigDiscover, async ({ folder }) => {
      try {
        return { configFiles: await discoverConfigs(folder) };
      } catch (e) {
        if (e instanceof ConfigReadError) return { configFiles: [] };
        throw e;
      }
    });
    conn.onRequest(ConfigResolve, (params) => resolveConfig({ folder: params.folder, configFile: params.configFile, text: params.text }));
  },
};
