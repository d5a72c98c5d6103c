// The seccomp requests over JSON-RPC (for the editor's commands and Seccomp panel), on the same
// progress, cancellation and error conventions as the runtime service.
import { SeccompApply, SeccompGenerate, SeccompRecord, SeccompShow, SeccompValidate } from '../../protocol';
import { connectEngine, withEngine } from '../runtime/engine/docker';
import { toResponseError } from '../rpc/errors';
import { abortSignal, reporter } from '../runtime/service';
import type { ServiceRegistration } from '../serviceTypes';
import { applySeccomp, generateSeccomp, recordSeccomp, showSeccomp, validateSeccomp } from './ops';

export const registerSeccompService: ServiceRegistration = {
  capabilities: ['seccomp'],
  register(conn, log) {
    const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        throw toResponseError(e);
      }
    };
    conn.onRequest(SeccompRecord, (p, token) =>
      wrap(() =>
        withEngine(process.env, (engine) =>
          recordSeccomp({ engine, folder: p.folder, configFile: p.configFile, env: process.env, command: p.command, durationS: p.durationS, mechanism: p.mechanism, trusted: p.trusted, report: reporter(conn, log, p.progressToken), signal: abortSignal(token) }),
        ),
      ),
    );
    conn.onRequest(SeccompGenerate, (p) => wrap(() => generateSeccomp({ folder: p.folder, configFile: p.configFile, env: process.env, name: p.name })));
    conn.onRequest(SeccompValidate, (p, token) =>
      wrap(() =>
        withEngine(process.env, (engine) =>
          validateSeccomp({ engine, folder: p.folder, configFile: p.configFile, env: process.env, command: p.command, durationS: p.durationS, trusted: p.trusted, profileFile: p.profile, report: reporter(conn, log, p.progressToken), signal: abortSignal(token) }),
        ),
      ),
    );
    conn.onRequest(SeccompApply, (p) => wrap(() => applySeccomp({ folder: p.folder, configFile: p.configFile, env: process.env, profileFile: p.profile })));
    // reads files only; the engine is asked only for the cached measurement of its default profile
    conn.onRequest(SeccompShow, (p) =>
      wrap(async () => {
        const engine = await connectEngine(process.env).catch(() => undefined);
        return showSeccomp({ folder: p.folder, configFile: p.configFile, env: process.env, engine });
      }),
    );
  },
};
