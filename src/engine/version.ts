// The engine's version, from package.json at build time.
import { version as packageVersion } from '../../package.json';

export const VERSION: string = packageVersion;
