// Display names, kinds and usual ports for the stable ids of project detection. Pure data.
import type { FrameworkId, LanguageId, PackageManagerId, ToolId } from '../../protocol';

export const LANGUAGE_NAMES: Record<LanguageId, string> = {
  javascript: 'JavaScript',
  typescript: 'TypeScript',
  python: 'Python',
  go: 'Go',
  rust: 'Rust',
  java: 'Java',
  kotlin: 'Kotlin',
  ruby: 'Ruby',
  php: 'PHP',
  csharp: 'C#',
  c: 'C',
  cpp: 'C++',
  other: 'Other',
};

/** What a framework is, which decides the primary part of a monorepo and the reload strategy. */
export type FrameworkKind = 'server' | 'fullstack' | 'ui' | 'cli' | 'data-app';

export interface FrameworkInfo {
  name: string;
  kind: FrameworkKind;
  /** The port its development server usually listens on, or null (CLIs). */
  port: number | null;
}

export const FRAMEWORKS: Record<FrameworkId, FrameworkInfo> = {
  express: { name: 'Express', kind: 'server', port: 3000 },
  fastify: { name: 'Fastify', kind: 'server', port: 3000 },
  koa: { name: 'Koa', kind: 'server', port: 3000 },
  hono: { name: 'Hono', kind: 'server', port: 3000 },
  nestjs: { name: 'NestJS', kind: 'server', port: 3000 },
  nextjs: { name: 'Next.js', kind: 'fullstack', port: 3000 },
  nuxt: { name: 'Nuxt', kind: 'fullstack', port: 3000 },
  'react-router': { name: 'React Router', kind: 'fullstack', port: 5173 },
  sveltekit: { name: 'SvelteKit', kind: 'fullstack', port: 5173 },
  astro: { name: 'Astro', kind: 'fullstack', port: 4321 },
  react: { name: 'React', kind: 'ui', port: 5173 },
  vue: { name: 'Vue', kind: 'ui', port: 5173 },
  svelte: { name: 'Svelte', kind: 'ui', port: 5173 },
  angular: { name: 'Angular', kind: 'ui', port: 4200 },
  django: { name: 'Django', kind: 'server', port: 8000 },
  flask: { name: 'Flask', kind: 'server', port: 5000 },
  fastapi: { name: 'FastAPI', kind: 'server', port: 8000 },
  streamlit: { name: 'Streamlit', kind: 'data-app', port: 8501 },
  textual: { name: 'Textual', kind: 'cli', port: null },
  click: { name: 'Click', kind: 'cli', port: null },
  typer: { name: 'Typer', kind: 'cli', port: null },
  gin: { name: 'Gin', kind: 'server', port: 8080 },
  echo: { name: 'Echo', kind: 'server', port: 1323 },
  fiber: { name: 'Fiber', kind: 'server', port: 3000 },
  chi: { name: 'chi', kind: 'server', port: 3000 },
  cobra: { name: 'Cobra', kind: 'cli', port: null },
  axum: { name: 'Axum', kind: 'server', port: 3000 },
  'actix-web': { name: 'Actix Web', kind: 'server', port: 8080 },
  rocket: { name: 'Rocket', kind: 'server', port: 8000 },
  'spring-boot': { name: 'Spring Boot', kind: 'server', port: 8080 },
  quarkus: { name: 'Quarkus', kind: 'server', port: 8080 },
  micronaut: { name: 'Micronaut', kind: 'server', port: 8080 },
  rails: { name: 'Rails', kind: 'fullstack', port: 3000 },
  sinatra: { name: 'Sinatra', kind: 'server', port: 4567 },
  laravel: { name: 'Laravel', kind: 'fullstack', port: 8000 },
  symfony: { name: 'Symfony', kind: 'fullstack', port: 8000 },
  aspnetcore: { name: 'ASP.NET Core', kind: 'server', port: 5000 },
};

export const PACKAGE_MANAGER_NAMES: Record<PackageManagerId, string> = {
  npm: 'npm',
  pnpm: 'pnpm',
  yarn: 'Yarn',
  bun: 'Bun',
  pip: 'pip',
  poetry: 'Poetry',
  uv: 'uv',
  pipenv: 'Pipenv',
  pdm: 'PDM',
  go: 'Go modules',
  cargo: 'Cargo',
  maven: 'Maven',
  gradle: 'Gradle',
  bundler: 'Bundler',
  composer: 'Composer',
  dotnet: 'dotnet',
  cmake: 'CMake',
  make: 'Make',
};

export const TOOL_NAMES: Record<ToolId, string> = {
  vite: 'Vite',
  webpack: 'webpack',
  rspack: 'Rspack',
  parcel: 'Parcel',
  rollup: 'Rollup',
  esbuild: 'esbuild',
  turbopack: 'Turbopack',
};

/** Dev-server ports of bundlers, for UI apps whose framework says nothing. */
export const TOOL_PORTS: Partial<Record<ToolId, number>> = { vite: 5173, webpack: 8080, rspack: 8080, parcel: 1234 };

/** "TypeScript · NestJS · pnpm" */
export function stackLabel(language: LanguageId, framework: FrameworkId | null, pm: PackageManagerId | null): string {
  const parts = [LANGUAGE_NAMES[language]];
  if (framework) parts.push(FRAMEWORKS[framework].name);
  if (pm) parts.push(PACKAGE_MANAGER_NAMES[pm]);
  return parts.join(' · ');
}
