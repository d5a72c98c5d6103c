// Ruby (Gemfile, Rails and Sinatra layouts) and PHP (composer.json, Laravel and Symfony layouts).
import type { FrameworkId } from '../../../protocol';
import { FRAMEWORKS } from '../ids';
import * as m from '../manifests';
import { joinRel } from '../snapshot';
import { emptyCandidate, ownScripts, portsFor, procfileWeb, sourceBonus, versionOf, type Candidate, type DevCommand, type RuleContext } from '../context';

export function analyzeRuby(ctx: RuleContext, dir: string): Candidate | null {
  const f = (n: string) => joinRel(dir, n);
  const gemfile = ctx.has(f('Gemfile')) ? f('Gemfile') : null;
  const gemspec = ctx.files(dir).find((n) => n.endsWith('.gemspec'));
  if (!gemfile && !gemspec) return null;
  const c = emptyCandidate('ruby', 'ruby');
  const counts = ctx.sourceCounts(dir);
  c.pm = 'bundler';
  c.pmExplicit = !!gemfile;
  c.score = (gemfile ? 10 : 8) + (ctx.has(f('Gemfile.lock')) ? 2 : 0) + sourceBonus(counts.rb ?? 0);
  c.evidence.push(gemfile ? { file: gemfile, reason: 'Gemfile → Bundler' } : { file: f(gemspec!), reason: 'Ruby gem specification' });
  const text = gemfile ? ctx.text(gemfile) ?? '' : '';
  const gems = m.gemfileGems(text);
  const railsApp = ctx.has(f('config/application.rb')) || ctx.has(f('bin/rails'));
  let fw: FrameworkId | null = null;
  if (gems.has('rails') || gems.has('railties') || railsApp) {
    fw = 'rails';
    c.evidence.unshift(gems.has('rails') || gems.has('railties') ? { file: gemfile!, reason: 'gem "rails" → Rails' } : { file: f('config/application.rb'), reason: 'Rails application layout' });
  } else if (gems.has('sinatra')) {
    fw = 'sinatra';
    c.evidence.unshift({ file: gemfile!, reason: 'gem "sinatra" → Sinatra' });
  }
  c.framework = fw;
  if (fw) c.score += 3 + (railsApp ? 2 : 0);
  c.role = fw || ctx.has(f('config.ru')) ? 'app' : gemspec ? 'library' : 'app';
  let dev: DevCommand | null = ownScripts(ctx, dir) ?? procfileWeb(ctx, dir);
  if (!dev && fw === 'rails') dev = { command: ctx.has(f('bin/rails')) ? 'bin/rails server' : 'bundle exec rails server', source: 'Rails default' };
  if (!dev && fw === 'sinatra') {
    const app = ['app.rb', 'server.rb', 'main.rb'].find((n) => ctx.has(f(n)));
    dev = ctx.has(f('config.ru'))
      ? { command: 'bundle exec rackup', source: 'Sinatra default (config.ru)' }
      : app
        ? { command: `bundle exec ruby ${app}`, source: 'Sinatra default' }
        : null;
  }
  c.dev = dev;
  const defaultPort = fw === 'sinatra' && dev?.command.includes('rackup') ? 9292 : fw ? FRAMEWORKS[fw].port : null;
  c.ports = fw ? portsFor(dev, defaultPort) : [];
  for (const d of ctx.upwards(dir)) {
    const v = versionOf(ctx.text(joinRel(d, '.ruby-version'))?.replace(/^ruby-/, ''), 2);
    if (v) {
      c.version = v;
      break;
    }
  }
  c.version ??= versionOf(/^\s*ruby\s+["']([^"']+)["']/m.exec(text)?.[1], 2);
  return c;
}

export function analyzePhp(ctx: RuleContext, dir: string): Candidate | null {
  const f = (n: string) => joinRel(dir, n);
  const composer = ctx.has(f('composer.json')) ? f('composer.json') : null;
  if (!composer) return null;
  const c = emptyCandidate('php', 'php');
  const counts = ctx.sourceCounts(dir);
  c.pm = 'composer';
  c.pmExplicit = true;
  const json = ctx.json(composer);
  c.score = (json ? 10 : 2) + (ctx.has(f('composer.lock')) ? 2 : 0) + sourceBonus(counts.php ?? 0);
  c.evidence.push({ file: composer, reason: json ? 'composer.json → Composer' : `present but not usable: ${ctx.problem(composer)}` });
  const require = { ...m.asRecord(json?.require), ...m.asRecord(json?.['require-dev']) };
  c.name = m.asString(json?.name);
  let fw: FrameworkId | null = null;
  if ('laravel/framework' in require || 'laravel/lumen-framework' in require || ctx.has(f('artisan'))) {
    fw = 'laravel';
    c.evidence.unshift('laravel/framework' in require ? { file: composer, reason: 'requires laravel/framework → Laravel' } : { file: f('artisan'), reason: 'artisan → Laravel' });
    if (ctx.has(f('artisan'))) c.score += 2;
  } else if ('symfony/framework-bundle' in require || 'symfony/symfony' in require || ctx.has(f('symfony.lock'))) {
    fw = 'symfony';
    c.evidence.unshift({ file: composer, reason: 'requires symfony/framework-bundle → Symfony' });
  }
  c.framework = fw;
  if (fw) c.score += 3;
  const publicIndex = ctx.has(f('public/index.php'));
  c.role = fw || publicIndex || ctx.has(f('index.php')) ? 'app' : m.asString(json?.type) === 'library' ? 'library' : 'app';
  const scripts = m.asRecord(json?.scripts);
  const script = ['dev', 'start', 'serve'].find((s) => scripts[s] !== undefined);
  let dev: DevCommand | null = script ? { command: `composer run ${script}`, source: `${composer} scripts.${script}`, body: JSON.stringify(scripts[script]) } : null;
  dev ??= ownScripts(ctx, dir) ?? procfileWeb(ctx, dir);
  if (!dev && fw === 'laravel') dev = { command: 'php artisan serve', source: 'Laravel default' };
  if (!dev && (fw === 'symfony' || publicIndex)) dev = { command: 'php -S localhost:8000 -t public', source: fw ? 'Symfony default (PHP built-in server)' : 'public/index.php' };
  if (!dev && ctx.has(f('index.php'))) dev = { command: 'php -S localhost:8000', source: 'index.php' };
  c.dev = dev;
  c.ports = c.role === 'app' && dev ? portsFor(dev, fw ? FRAMEWORKS[fw].port : 8000) : [];
  c.version = versionOf(m.asString(require.php), 2);
  return c;
}
