// The devcontainer.json properties the Dev Container specification defines, written for HyperBox
// from the spec's property reference, as a JSON Schema subset our validator understands
// (type, enum, properties, additionalProperties, required, items, anyOf, minimum, maximum,
// pattern, deprecationMessage). `customizations.hyperbox` comes from schemas/, the same file the
// extension contributes to the editor with `jsonValidation`.
import hyperboxSchemaFile from '../../../schemas/customizations-hyperbox.schema.json';

export interface JsonSchema {
  type?: JsonType | JsonType[];
  enum?: readonly (string | number | boolean | null)[];
  properties?: Record<string, JsonSchema>;
  /** false: unknown properties are warned about, with did-you-mean; a schema: values must match. */
  additionalProperties?: boolean | JsonSchema;
  required?: readonly string[];
  items?: JsonSchema;
  anyOf?: readonly JsonSchema[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  description?: string;
  deprecationMessage?: string;
  /** Not JSON Schema: a short name of the expected form for messages, e.g. "a port number". */
  'x-expected'?: string;
}
export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

const str: JsonSchema = { type: 'string' };
const bool: JsonSchema = { type: 'boolean' };
const strArray: JsonSchema = { type: 'array', items: str };
const strMap: JsonSchema = { type: 'object', additionalProperties: str, 'x-expected': 'an object of string values' };

/** A lifecycle command: a shell string, an argv array, or an object of named commands run in parallel. */
const lifecycleCommand: JsonSchema = {
  anyOf: [
    str,
    strArray,
    { type: 'object', additionalProperties: { anyOf: [str, strArray] } },
  ],
  'x-expected': 'a command string, an array of arguments, or an object of named commands',
};

const portNumber: JsonSchema = { type: 'integer', minimum: 0, maximum: 65535 };
/** A port: a number, or "host:port" (Compose `service:port`). */
const portSpec: JsonSchema = {
  anyOf: [portNumber, { type: 'string', pattern: '^([A-Za-z0-9][A-Za-z0-9_.-]*:)?\\d{1,5}$' }],
  'x-expected': 'a port number or "service:port"',
};

/** appPort: a number, or what `docker run -p` takes: "[ip:][hostPort:]containerPort[/proto]". */
const publishSpec: JsonSchema = {
  anyOf: [portNumber, { type: 'string', pattern: '^((\\[[0-9A-Fa-f:.]+\\]|[0-9.]+):)?(\\d{1,5}(-\\d{1,5})?:)?\\d{1,5}(-\\d{1,5})?(/(tcp|udp|sctp))?$' }],
  'x-expected': 'a port number or "[ip:][hostPort:]containerPort"',
};

const portAttributes: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    label: str,
    onAutoForward: { type: 'string', enum: ['notify', 'openBrowser', 'openBrowserOnce', 'openPreview', 'silent', 'ignore'] },
    elevateIfNeeded: bool,
    requireLocalPort: bool,
    protocol: { type: 'string', enum: ['http', 'https'] },
  },
};

const mountObject: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'target'],
  properties: {
    type: { type: 'string', enum: ['bind', 'volume', 'tmpfs'] },
    source: str,
    target: str,
    readonly: bool,
    consistency: str,
  },
};

const build: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dockerfile: str,
    context: str,
    args: strMap,
    target: str,
    cacheFrom: { anyOf: [str, strArray], 'x-expected': 'an image name or an array of image names' },
    options: strArray,
  },
};

const hostRequirements: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cpus: { type: 'integer', minimum: 1 },
    memory: { type: 'string', pattern: '^\\d+([tgmk]b)?$', 'x-expected': 'a size such as "4gb"' },
    storage: { type: 'string', pattern: '^\\d+([tgmk]b)?$', 'x-expected': 'a size such as "32gb"' },
    gpu: {
      anyOf: [
        bool,
        { type: 'string', enum: ['optional'] },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            cores: { type: 'integer', minimum: 1 },
            memory: { type: 'string', pattern: '^\\d+([tgmk]b)?$' },
          },
        },
      ],
      'x-expected': 'true, false, "optional", or { cores, memory }',
    },
  },
};

const customizations: JsonSchema = {
  type: 'object',
  // other tools' customizations are theirs to define
  additionalProperties: { type: 'object' },
  properties: {
    vscode: {
      type: 'object',
      additionalProperties: true,
      properties: {
        extensions: strArray,
        settings: { type: 'object' },
      },
    },
    hyperbox: hyperboxSchemaFile as unknown as JsonSchema,
  },
};

/** Every top-level property of devcontainer.json the spec defines. */
const specProperties = {
    $schema: str,
    name: str,
    // image / Dockerfile
    image: str,
    build,
    dockerFile: { ...str, deprecationMessage: 'Use "build": { "dockerfile": ... } instead.' },
    context: { ...str, deprecationMessage: 'Use "build": { "context": ... } instead.' },
    appPort: { anyOf: [publishSpec, { type: 'array', items: publishSpec }], 'x-expected': 'a port or an array of ports' },
    workspaceMount: str,
    runArgs: strArray,
    // Docker Compose
    dockerComposeFile: { anyOf: [str, strArray], 'x-expected': 'a file path or an array of file paths' },
    service: str,
    runServices: strArray,
    // general
    workspaceFolder: str,
    forwardPorts: { type: 'array', items: portSpec },
    portsAttributes: { type: 'object', additionalProperties: portAttributes },
    otherPortsAttributes: portAttributes,
    containerEnv: strMap,
    remoteEnv: { type: 'object', additionalProperties: { type: ['string', 'null'] }, 'x-expected': 'an object of string (or null) values' },
    containerUser: str,
    remoteUser: str,
    updateRemoteUserUID: bool,
    userEnvProbe: { type: 'string', enum: ['none', 'interactiveShell', 'loginShell', 'loginInteractiveShell'] },
    overrideCommand: bool,
    shutdownAction: { type: 'string', enum: ['none', 'stopContainer', 'stopCompose'] },
    init: bool,
    privileged: bool,
    capAdd: strArray,
    securityOpt: strArray,
    mounts: { type: 'array', items: { anyOf: [str, mountObject], 'x-expected': 'a mount string or a mount object' } },
    features: { type: 'object', additionalProperties: { anyOf: [{ type: 'object' }, str, bool] } },
    overrideFeatureInstallOrder: strArray,
    customizations,
    hostRequirements,
    initializeCommand: lifecycleCommand,
    onCreateCommand: lifecycleCommand,
    updateContentCommand: lifecycleCommand,
    postCreateCommand: lifecycleCommand,
    postStartCommand: lifecycleCommand,
    postAttachCommand: lifecycleCommand,
    waitFor: {
      type: 'string',
      enum: ['initializeCommand', 'onCreateCommand', 'updateContentCommand', 'postCreateCommand', 'postStartCommand'],
    },
    // Settings that moved into customizations.vscode; still read by the Dev Containers extension.
    extensions: { ...strArray, deprecationMessage: 'Use "customizations": { "vscode": { "extensions": [...] } } instead.' },
    settings: { type: 'object', deprecationMessage: 'Use "customizations": { "vscode": { "settings": {...} } } instead.' },
    devPort: { type: 'integer', deprecationMessage: 'devPort is no longer used; remove it.' },
} satisfies Record<string, JsonSchema>;

export const devcontainerSchema: JsonSchema = { type: 'object', additionalProperties: false, properties: specProperties };

/** The names of the spec's properties (config.ts's DevContainerConfig must have exactly these). */
export type SpecProperty = keyof typeof specProperties;
/** The names of customizations.hyperbox's properties. */
export type HyperboxProperty = keyof typeof hyperboxSchemaFile.properties;

/** Properties that only make sense for image/Dockerfile configs (ignored with Compose). */
export const NON_COMPOSE_PROPERTIES = ['image', 'build', 'dockerFile', 'context', 'appPort', 'workspaceMount', 'runArgs'] as const;
/** Properties that only make sense with Docker Compose. */
export const COMPOSE_ONLY_PROPERTIES = ['service', 'runServices'] as const;
