// Project detection, language profiles and "Add Dev Container Configuration" over JSON-RPC.
import { ResponseError } from 'vscode-jsonrpc';
import { Capability, ProjectDetect, ProjectInit, ProjectProfile } from '../../protocol';
import type { ServiceRegistration } from '../services';
import { DetectError, detectProject } from './detect';
import { initProject } from './init';
import { profileFolder } from './profile-folder';

/** A folder that cannot be read is the caller's problem to show, not an engine failure. */
function asResponseError(e: unknown): never {
  if (e instanceof DetectError) throw new ResponseError(1, e.message, { code: e.code, folder: e.folder });
  throw e;
}

export const registerProjectService: ServiceRegistration = {
  capabilities: ['detect', 'profile', Capability.init],
  register(conn) {
    conn.onRequest(ProjectDetect, ({ folder }) => detectProject(folder).catch(asResponseError));
    conn.onRequest(ProjectProfile, async ({ folder, memoryLimitBytes, inotify }) => {
      const { profile } = await profileFolder(folder, { memoryLimitBytes, inotify }).catch(asResponseError);
      return profile;
    });
    conn.onRequest(ProjectInit, ({ folder, write, text }) => initProject(folder, { write, text: typeof text === 'string' ? text : undefined }).catch(asResponseError));
  },
};
