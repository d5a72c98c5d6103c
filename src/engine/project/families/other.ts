// Ecosystems outside HyperBox's language list (Dart/Flutter, Elixir, Swift, Scala, Haskell, ...).
// Recognising their manifests keeps their sub-folders (a Flutter app's android/build.gradle, a
// Phoenix app's assets/package.json) from being mistaken for the project: the answer is "other".
import { joinRel } from '../snapshot';
import { emptyCandidate, ownScripts, type Candidate, type RuleContext } from '../context';

const MANIFESTS: [RegExp, string][] = [
  [/^pubspec\.yaml$/, 'Dart / Flutter'],
  [/^mix\.exs$/, 'Elixir'],
  [/^Package\.swift$/, 'Swift'],
  [/^build\.sbt$/, 'Scala'],
  [/^(stack\.yaml|cabal\.project|.+\.cabal)$/, 'Haskell'],
  [/^(project\.clj|deps\.edn)$/, 'Clojure'],
  [/^rebar\.config$/, 'Erlang'],
  [/^Project\.toml$/, 'Julia'],
  [/^build\.zig$/, 'Zig'],
  [/^gleam\.toml$/, 'Gleam'],
  [/^elm\.json$/, 'Elm'],
  [/^shard\.yml$/, 'Crystal'],
  [/^dub\.(json|sdl)$/, 'D'],
  [/^.+\.nimble$/, 'Nim'],
  [/^(cpanfile|Makefile\.PL|dist\.ini)$/, 'Perl'],
  [/^DESCRIPTION$/, 'R'],
  [/^.+\.rockspec$/, 'Lua'],
  [/^.+\.xcodeproj$/, 'Swift / Objective-C'],
];

export function analyzeOther(ctx: RuleContext, dir: string): Candidate | null {
  const entries = [...ctx.files(dir), ...ctx.subdirs(dir).filter((d) => d.endsWith('.xcodeproj'))];
  for (const [re, name] of MANIFESTS) {
    const file = entries.find((f) => re.test(f));
    if (!file) continue;
    if (name === 'R' && !/^Package:/m.test(ctx.text(joinRel(dir, file)) ?? 'Package:')) continue;
    const c = emptyCandidate('other', 'other');
    c.score = 12;
    c.evidence.push({ file: joinRel(dir, file), reason: `${name} project (not a language HyperBox profiles)` });
    c.dev = ownScripts(ctx, dir);
    return c;
  }
  return null;
}
