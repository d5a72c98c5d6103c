// build.options: docker build flags mapped to Engine API build parameters with runArgs' parser;
// BuildKit-only flags noted (they send the build through the docker CLI), anything else unmappable
// an error that names the flag.
import { strict as assert } from 'node:assert';
import { parseBuildOptions } from '../../../src/engine/runtime/build/buildOptions';
import { RuntimeError } from '../../../src/engine/runtime/errors';
import { parseRunArgs } from '../../../src/engine/runtime/create/runArgs';

const parse = (options: unknown, env: NodeJS.ProcessEnv = {}) => parseBuildOptions(options, { baseDir: '/tmp', env });

describe('runtime: build.options', () => {
  it('maps build flags to build parameters, in both --flag value and --flag=value forms', () => {
    const p = parse([
      '--build-arg', 'A=1', '--build-arg=FROM_ENV', '--label', 'team=core', '--target=dev', '--network', 'host',
      '--add-host', 'db:10.0.0.2', '--add-host=cache:10.0.0.3', '--platform', 'linux/amd64', '--pull', '--no-cache',
      '--shm-size', '256m', '--ulimit', 'nofile=1024:2048', '--cache-from', 'img:cache', '-m', '1g', '--cpu-shares=512', '--progress=plain',
    ], { FROM_ENV: 'env-value' });
    assert.deepEqual(p.args, { A: '1', FROM_ENV: 'env-value' });
    assert.deepEqual(p.labels, { team: 'core' });
    assert.equal(p.target, 'dev');
    assert.equal(p.noCache, true);
    assert.deepEqual(p.extraHosts, ['db:10.0.0.2', 'cache:10.0.0.3']);
    assert.deepEqual(p.ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.deepEqual(p.cacheFrom, ['img:cache']);
    assert.deepEqual(p.query, { networkmode: 'host', platform: 'linux/amd64', pull: true, shmsize: 256 * 1024 ** 2, memory: 1024 ** 3, cpushares: 512 });
    assert.deepEqual(p.buildKitOnly, []);
  });

  it('a --build-arg NAME not set in the environment is left out, as docker does', () => {
    assert.deepEqual(parse(['--build-arg', 'UNSET_HERE']).args, {});
  });

  it('notes BuildKit-only flags as written', () => {
    const p = parse(['--secret', 'id=npm,src=/tmp/npmrc', '--ssh=default', '--network', 'host']);
    assert.deepEqual(p.buildKitOnly, ['--secret=id=npm,src=/tmp/npmrc', '--ssh=default']);
    assert.equal(p.query.networkmode, 'host');
  });

  it('names a flag it cannot apply, and says why for the ones it refuses', () => {
    const rejects = (options: string[], re: RegExp) =>
      assert.throws(() => parse(options), (e: unknown) => {
        assert.ok(e instanceof RuntimeError, String(e));
        assert.match(e.message, re);
        return true;
      });
    rejects(['--frobnicate'], /build\.options: --frobnicate is not a docker build flag HyperBox can map/);
    rejects(['-t', 'mine'], /build\.options: -t cannot be applied: HyperBox tags the image itself/);
    rejects(['--file=Other.Dockerfile'], /--file cannot be applied: the Dockerfile comes from build\.dockerfile/);
    rejects(['.'], /build\.options: "\." \(item 1\) is not a flag/);
    rejects(['--network'], /build\.options: --network needs a value, but it is the last item/);
    rejects(['--shm-size', 'lots'], /build\.options: --shm-size is "lots", which is not a size/);
    rejects(['--add-host', 'nocolon'], /build\.options: --add-host "nocolon" is not valid; expected HOST:IP/);
    assert.throws(() => parse('--network host'), /build\.options must be an array of strings/);
  });

  it('runArgs keep their own messages through the shared parser', () => {
    assert.throws(() => parseRunArgs(['--bogus'], { baseDir: '/tmp', env: {} }), /runArgs: --bogus is not a docker run flag/);
    assert.throws(() => parseRunArgs(['--memory', 'x'], { baseDir: '/tmp', env: {} }), /runArgs: --memory is "x", which is not a size/);
    const parts = parseRunArgs(['-it', '--ulimit', 'nproc=10'], { baseDir: '/tmp', env: {} });
    assert.equal(parts.config.Tty, true);
    assert.deepEqual(parts.hostConfig.Ulimits, [{ Name: 'nproc', Soft: 10, Hard: 10 }]);
  });
});
