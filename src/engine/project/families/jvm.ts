// Java and Kotlin: pom.xml, build.gradle(.kts), settings.gradle(.kts), wrappers (mvnw, gradlew).
import type { FrameworkId, LanguageId } from '../../../protocol';
import { FRAMEWORKS } from '../ids';
import * as m from '../manifests';
import { joinRel } from '../snapshot';
import { emptyCandidate, ownScripts, portsFor, procfileWeb, relativeCommand, sourceBonus, type Candidate, type DevCommand, type RuleContext } from '../context';

const FRAMEWORK_MARKERS: [FrameworkId, RegExp][] = [
  ['spring-boot', /org\.springframework\.boot|spring-boot-starter|libs\.plugins\.[\w.]*spring[\w.]*boot/i],
  ['quarkus', /io\.quarkus|libs\.plugins\.[\w.]*quarkus/i],
  ['micronaut', /io\.micronaut|libs\.plugins\.[\w.]*micronaut/i],
];
const KOTLIN = /kotlin\s*\(\s*["'](jvm|multiplatform|android|plugin\.spring)|org\.jetbrains\.kotlin|kotlin-maven-plugin|kotlin-stdlib|libs\.plugins\.kotlin/;

/** Sub-project folders a settings.gradle(.kts) includes (`include(":app", ":lib:core")`). */
export function gradleIncludes(text: string): string[] {
  const out: string[] = [];
  for (const line of m.stripCComments(text).split(/\r?\n/)) {
    if (!/^\s*include\b/.test(line)) continue;
    for (const s of line.matchAll(/["']([^"']+)["']/g)) out.push(s[1].replace(/^:/, '').replace(/:/g, '/'));
  }
  return out;
}

export function analyzeJvm(ctx: RuleContext, dir: string): Candidate | null {
  const f = (n: string) => joinRel(dir, n);
  const pom = ctx.has(f('pom.xml')) ? f('pom.xml') : null;
  const gradle = ['build.gradle.kts', 'build.gradle'].map(f).find((p) => ctx.has(p)) ?? null;
  const settings = ['settings.gradle.kts', 'settings.gradle'].map(f).find((p) => ctx.has(p)) ?? null;
  if (!pom && !gradle && !settings) return null;
  // both builds (samples that support either): the one the README uses, else Maven
  let useGradle = !!gradle || (!pom && !!settings);
  let bothReason: string | null = null;
  if (pom && gradle) {
    const readme = ctx.readme.file ? ctx.text(ctx.readme.file) ?? '' : '';
    const g = readme.search(/\bgradlew?\b/);
    const mv = readme.search(/\bmvnw?\b/);
    useGradle = g >= 0 && (mv < 0 || g < mv);
    bothReason = `both ${pom} and ${gradle}: ${useGradle ? 'the README uses Gradle' : mv >= 0 ? 'the README uses Maven' : 'Maven by default'}`;
  }
  const c = emptyCandidate('jvm', 'java');
  c.pm = useGradle ? 'gradle' : 'maven';
  c.pmExplicit = true;
  const buildFile = (useGradle ? gradle ?? settings : pom)!;
  const raw = ctx.text(buildFile);
  const counts = ctx.sourceCounts(dir);
  if (raw === null) {
    c.score = 2;
    c.evidence.push({ file: buildFile, reason: `present but not usable: ${ctx.problem(buildFile)}` });
    return c;
  }
  // plugins declared with `apply false` are for sub-projects, not this one
  const text = useGradle
    ? m.stripCComments(raw)
        .split(/\r?\n/)
        .filter((l) => !/apply\s*\(?\s*false/.test(l))
        .join('\n')
    : m.stripXmlComments(raw);
  c.evidence.push({ file: buildFile, reason: bothReason ?? (useGradle ? 'Gradle build' : 'Maven project') });
  c.score = 10 + sourceBonus((counts.java ?? 0) + (counts.kt ?? 0));
  const wrapper = ctx.findUp(dir, useGradle ? 'gradlew' : 'mvnw');
  if (wrapper) {
    c.score += 2;
    c.evidence.push({ file: wrapper, reason: `${useGradle ? 'Gradle' : 'Maven'} wrapper` });
  }
  if (pom) c.name = m.xmlValues(m.stripXmlComments(ctx.text(pom) ?? ''), 'artifactId')[0] ?? null;

  // language
  const kotlinDir = ctx.subdirs(joinRel(dir, 'src/main')).includes('kotlin');
  let language: LanguageId = 'java';
  if (KOTLIN.test(text) || kotlinDir || (counts.kt ?? 0) > (counts.java ?? 0)) {
    language = 'kotlin';
    c.evidence.push({ file: kotlinDir ? joinRel(dir, 'src/main/kotlin') : buildFile, reason: kotlinDir ? 'Kotlin sources' : 'applies the Kotlin plugin' });
  }
  c.language = language;

  // framework
  const fw = FRAMEWORK_MARKERS.find(([, re]) => re.test(text));
  if (fw) {
    c.framework = fw[0];
    c.score += 3;
    c.evidence.unshift({ file: buildFile, reason: `uses ${text.match(fw[1])![0]} → ${FRAMEWORKS[fw[0]].name}` });
  }

  // multi-project roots
  const modules = pom ? m.xmlValues(text, 'module') : [];
  const includes = settings ? gradleIncludes(ctx.text(settings) ?? '') : [];
  const isAndroid = /com\.android\.(application|library)/.test(text);
  const hasSrc = ctx.hasDir(joinRel(dir, 'src'));
  if (!fw && (modules.length || includes.length) && (!hasSrc || (pom && /<packaging>\s*pom\s*<\/packaging>/.test(text)))) {
    const members = modules.length ? modules : includes;
    c.aggregator = { kind: modules.length ? 'Maven modules' : 'Gradle multi-project', reason: `${modules.length ? buildFile : settings} lists ${members.join(', ')}` };
    c.role = 'tooling';
  } else {
    const application = /\bapplication\b\s*(\{|$)|id\s*\(?\s*["']application["']|mainClass|exec-maven-plugin/m.test(text);
    c.role = fw || application || isAndroid ? 'app' : 'library';
  }

  // dev command
  const tool = wrapper ? relativeCommand(dir, wrapper) : useGradle ? 'gradle' : 'mvn';
  let dev: DevCommand | null = ownScripts(ctx, dir) ?? procfileWeb(ctx, dir);
  if (!dev && c.role === 'app') {
    const label = c.framework ? `${FRAMEWORKS[c.framework].name} default` : useGradle ? 'Gradle application plugin' : 'Maven exec plugin';
    const task: Partial<Record<FrameworkId, [string, string]>> = {
      'spring-boot': ['spring-boot:run', 'bootRun'],
      quarkus: ['quarkus:dev', 'quarkusDev'],
      micronaut: ['mn:run', 'run'],
    };
    const pair = c.framework ? task[c.framework] : undefined;
    if (pair) dev = { command: `${tool} ${useGradle ? pair[1] : pair[0]}`, source: label };
    else if (!isAndroid) dev = { command: useGradle ? `${tool} run` : `${tool} compile exec:java`, source: label };
  }
  c.dev = dev;
  c.ports = c.framework ? portsFor(dev, FRAMEWORKS[c.framework].port) : [];
  const v =
    /<(?:java\.version|maven\.compiler\.release|maven\.compiler\.source|maven\.compiler\.target)>\s*(?:1\.)?(\d+)/.exec(text)?.[1] ??
    /JavaLanguageVersion\.of\(\s*(\d+)\s*\)|jvmToolchain\(\s*(\d+)\s*\)|JavaVersion\.VERSION_(?:1_)?(\d+)|JavaVersion\.toVersion\(\s*["']?(?:1\.)?(\d+)|sourceCompatibility\s*=\s*['"]?(?:1\.)?(\d+)/
      .exec(text)
      ?.slice(1)
      .find(Boolean);
  c.version = v ?? null;
  return c;
}
