// Project detection, language profiles and "Add Dev Container Configuration" over JSON-RPC.
import { Capability, ProjectDetect, ProjectInit, ProjectProfile } from '../../protocol';
import type { ServiceRegistration } from '../serviceTypes';
import { mapErrors } from '../rpc/errors';
import { detectProject } from './detect';
import { initProject } from './init';
import { profileFolder } from './profile-folder';


export const registerProjectService: ServiceRegistration = {
  capabilities: ['detect', 'profile', Capability.init],
  register(conn) {
    conn.onRequest(ProjectDetect, ({ folder }) => mapErrors(detectProject(folder)));
    conn.onRequest(ProjectProfile, async ({ folder, memoryLimitBytes, inotify }) => {
      const { profile } = await mapErrors(profileFolder(folder, { memoryLimitBytes, inotify }));
      return profile;
    });
    conn.onRequest(ProjectInit, ({ folder, write, text }) => mapErrors(initProject(folder, { write, text: typeof text === 'string' ? text : undefined })));
  },
};
