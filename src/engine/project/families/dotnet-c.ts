// C# (.csproj: SDK, package references, launch settings) and C/C++ (CMake, Make, autotools).
import { FRAMEWORKS } from '../ids';
import * as m from '../manifests';
import { joinRel } from '../snapshot';
import { emptyCandidate, ownScripts, portsFor, procfileWeb, sourceBonus, type Candidate, type DevCommand, type RuleContext } from '../context';

/** Whether a project file is a test project (xunit/nunit/mstest or *.Tests). */
export function isDotnetTestProject(name: string, text: string): boolean {
  return /\.(Tests?|UnitTests?|IntegrationTests?|Specs?)\.csproj$/i.test(name) || /<IsTestProject>\s*true|Microsoft\.NET\.Test\.Sdk/i.test(text);
}

export function analyzeDotnet(ctx: RuleContext, dir: string): Candidate | null {
  const projects = ctx.files(dir).filter((n) => n.endsWith('.csproj') || n.endsWith('.fsproj'));
  if (projects.length === 0) return null;
  const c = emptyCandidate('dotnet', 'csharp');
  c.pm = 'dotnet';
  c.pmExplicit = true;
  const name = projects.find((n) => n.endsWith('.csproj')) ?? projects[0];
  const file = joinRel(dir, name);
  const text = m.stripXmlComments(ctx.text(file) ?? '');
  if (name.endsWith('.fsproj')) c.language = 'other';
  c.name = name.replace(/\.[cf]sproj$/, '');
  c.score = 12 + sourceBonus(ctx.sourceCounts(dir).cs ?? 0);
  c.evidence.push({ file, reason: `.NET project ${c.name}` });
  const sdk = /<Project\s+Sdk="([^"]+)"/.exec(text)?.[1] ?? '';
  const web = /Microsoft\.NET\.Sdk\.(Web|Razor|BlazorWebAssembly)/.test(sdk) || /<PackageReference\s+Include="Microsoft\.AspNetCore\./.test(text);
  if (web) {
    c.framework = 'aspnetcore';
    c.score += 3;
    c.evidence.unshift({ file, reason: sdk.includes('Web') || sdk.includes('Blazor') ? `uses the ${sdk} SDK → ASP.NET Core` : 'references Microsoft.AspNetCore packages → ASP.NET Core' });
  }
  const test = isDotnetTestProject(name, text);
  c.role = test ? 'library' : web || /<OutputType>\s*(Exe|WinExe)/i.test(text) ? 'app' : 'library';
  const tfm = /<TargetFrameworks?>\s*net(\d+\.\d+)/.exec(text)?.[1] ?? null;
  c.version = tfm;
  let dev: DevCommand | null = ownScripts(ctx, dir) ?? procfileWeb(ctx, dir);
  if (!dev && c.role === 'app') dev = { command: 'dotnet watch run', source: '.NET default (dotnet watch)' };
  c.dev = dev;
  const launch = ctx.text(joinRel(dir, 'Properties/launchSettings.json'));
  const launchPort = launch ? /"applicationUrl"\s*:\s*"[^"]*?http:\/\/[^:"]+:(\d+)/.exec(launch)?.[1] : undefined;
  c.ports = web ? portsFor(dev, launchPort ? Number(launchPort) : FRAMEWORKS.aspnetcore.port) : [];
  if (launchPort) c.evidence.push({ file: joinRel(dir, 'Properties/launchSettings.json'), reason: `serves on port ${launchPort}` });
  return c;
}

export function analyzeCFamily(ctx: RuleContext, dir: string): Candidate | null {
  const f = (n: string) => joinRel(dir, n);
  const cmake = ctx.has(f('CMakeLists.txt')) ? f('CMakeLists.txt') : null;
  const makefile = ['Makefile', 'makefile', 'GNUmakefile'].map(f).find((p) => ctx.has(p)) ?? null;
  const autotools = ['configure.ac', 'configure.in', 'Makefile.am'].map(f).find((p) => ctx.has(p)) ?? null;
  const meson = ctx.has(f('meson.build')) ? f('meson.build') : null;
  const counts = ctx.sourceCounts(dir);
  const cCount = counts.c ?? 0;
  const cppCount = counts.cpp ?? 0;
  const headers = counts.h ?? 0;
  const sources = cCount + cppCount + headers;
  const makeText = makefile ? ctx.text(makefile) ?? '' : '';
  const makeIsC = /\$\(CC\)|\$\(CXX\)|\bg?cc\b|\bg\+\+|\bclang\+?\+?\b|\.o\b/.test(makeText);
  if (!cmake && !autotools && !meson && !(makefile && (sources > 0 || makeIsC))) return null;
  const c = emptyCandidate('cfamily', 'cpp');
  const cmakeText = cmake ? ctx.text(cmake) ?? '' : '';
  const project = /project\s*\(([^)]*)\)/i.exec(cmakeText)?.[1] ?? '';
  if (/\bCXX\b/.test(project)) c.language = 'cpp';
  else if (/\bC\b/.test(project)) c.language = 'c';
  else c.language = cppCount > 0 || cCount === 0 ? 'cpp' : 'c';
  if (cmake) {
    c.pm = 'cmake';
    c.pmExplicit = true;
    c.score = 9;
    c.name = /project\s*\(\s*([\w.-]+)/i.exec(cmakeText)?.[1] ?? null;
    c.evidence.push({ file: cmake, reason: `CMake project${c.name ? ` ${c.name}` : ''}${project.match(/\bCXX\b|\bC\b/) ? ` (LANGUAGES ${project.match(/LANGUAGES\s+([\w ]+)/)?.[1]?.trim() ?? project.match(/\bCXX\b|\bC\b/)![0]})` : ''}` });
  } else {
    c.pm = makefile ? 'make' : null;
    c.pmExplicit = !!makefile;
    c.score = 6;
    c.evidence.push({ file: (autotools ?? meson ?? makefile)!, reason: autotools ? 'autotools build' : meson ? 'Meson build' : 'Makefile that compiles C/C++' });
  }
  c.score += sourceBonus(sources, 4);
  if (sources) c.evidence.push({ file: dir || '.', reason: `${cCount} C and ${cppCount} C++ source files, ${headers} headers` });
  const exe = /add_executable\s*\(/i.test(cmakeText);
  c.role = cmake && !exe && /add_library\s*\(/i.test(cmakeText) ? 'library' : 'app';
  let dev: DevCommand | null = ownScripts(ctx, dir);
  if (!dev && cmake) dev = { command: 'cmake -S . -B build && cmake --build build', source: 'CMake default (configure and build)' };
  if (!dev && makefile) dev = { command: 'make', source: `${makefile} default target` };
  c.dev = dev;
  c.ports = portsFor(dev, null);
  return c;
}
