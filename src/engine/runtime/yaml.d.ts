// Types for the part of js-yaml the compose support uses (reading `compose config` and compose files).
declare module 'js-yaml' {
  export function load(text: string, options?: { filename?: string }): unknown;
}
