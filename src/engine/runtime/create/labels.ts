// Labels on the containers HyperBox makes. The first three are the reference implementation's
// (so containers made by either tool are found and understood by the other); the rest are ours.
export { LABEL_CONFIG_FILE, LABEL_LOCAL_FOLDER } from '../../devcontainer/id';

/** JSON array of metadata entries: the image's, then the config's (as the spec describes). */
export const LABEL_METADATA = 'devcontainer.metadata';
/** JSON object: input name → short hash of everything that shaped the container (drift). */
export const LABEL_INPUTS = 'hyperbox.inputs';
/** The HyperBox version that made the container. */
export const LABEL_VERSION = 'hyperbox.version';
/** On images HyperBox builds: the folder they were built for (so they can be found and removed). */
export const LABEL_IMAGE_FOLDER = 'hyperbox.image.folder';
/**
 * On volumes HyperBox creates for one dev container (named in its mounts, not there before): the
 * container's devcontainerId. `hb down --volumes` removes only these (and anonymous volumes), never a
 * volume the user made with `docker volume create` or the shared language-profile caches.
 */
export const LABEL_VOLUME_FOR = 'hyperbox.volume.for';
