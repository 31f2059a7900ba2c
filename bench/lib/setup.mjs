// What the traffic bench needs from the machine: wrk, nginx, haproxy (installed with
// apt-get when missing and allowed, as scripts/test.sh does for haproxy), taskset,
// the fd limit it may give the proxies, and the facts printed above the results.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import { join } from 'node:path';

const has = (/** @type {string} */ cmd) => spawnSync('bash', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Makes sure wrk, nginx and haproxy are there; installs the missing ones with apt-get
 * when running as root on Debian/Ubuntu. Returns what is still missing afterwards.
 */
export function ensureTools(/** @type {(msg: string) => void} */ log) {
  const want = { wrk: 'wrk', nginx: 'nginx', haproxy: 'haproxy', taskset: 'util-linux' };
  let missing = Object.keys(want).filter((c) => !has(c));
  if (missing.length === 0) return [];
  const pkgs = [...new Set(missing.map((c) => want[/** @type {keyof typeof want} */ (c)]))];
  if (process.getuid?.() === 0 && has('apt-get')) {
    log(`installing ${pkgs.join(' ')} with apt-get (missing: ${missing.join(', ')})`);
    const r = spawnSync(
      'bash',
      ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs.join(' ')}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    if (r.status !== 0) log(`apt-get install ${pkgs.join(' ')} failed (exit ${r.status})`);
    missing = missing.filter((c) => !has(c));
  } else {
    log(
      `missing ${missing.join(', ')}: install with \`apt-get install ${pkgs.join(' ')}\` (as root); ` +
        'the rows that need them are skipped',
    );
  }
  return missing;
}

/**
 * The open-files limit the proxies are started with: 65536 when this user may raise the
 * hard limit that far, else the current hard limit (a container without CAP_SYS_RESOURCE).
 */
export function chooseFdLimit() {
  const wanted = 65536;
  const ok = spawnSync('bash', ['-c', `ulimit -n ${wanted}`]).status === 0;
  if (ok) return { limit: wanted, raised: true };
  const hard = spawnSync('bash', ['-c', 'ulimit -Hn']).stdout.toString().trim();
  return { limit: hard === 'unlimited' ? wanted : Number(hard), raised: false };
}

/** The CPU cores the bench pins to: proxy on one, nginx + wrk + clients on another. */
export function chooseCores(/** @type {boolean} */ haveTaskset) {
  if (!haveTaskset) return { proxy: null, load: null, note: 'not pinned (no taskset)' };
  const n = availableParallelism();
  if (n < 2) return { proxy: 0, load: 0, note: 'one core only: proxy and load share core 0' };
  return { proxy: 1, load: 0, note: 'proxy pinned to core 1; nginx, wrk and the idle clients to core 0' };
}

/** When bin/haproxyd's bundle was built (the work tree may be ahead of it). */
function built(/** @type {string} */ root, /** @type {string} */ haproxyd) {
  const bundle = join(root, 'apps/haproxyd/dist/bundle/main.js');
  if (haproxyd !== join(root, 'bin/haproxyd') || !existsSync(bundle)) return '';
  return `; bundle built ${statSync(bundle)
    .mtime.toISOString()
    .replace(/\.\d+Z$/, 'Z')}`;
}

function firstLine(/** @type {string[]} */ argv) {
  const r = spawnSync(argv[0], argv.slice(1));
  if (r.error) return 'not installed';
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim() !== '') ?? '?';
}

/** Machine and versions, for the head of the results. */
export function describe(/** @type {string} */ root, /** @type {string} */ haproxyd) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'packages', 'apps'])
      .toString()
      .trim();
    if (dirty) commit += ' + uncommitted changes in packages/apps';
  } catch {
    // not a git checkout
  }
  let httpProxy = 'not installed (pnpm install)';
  try {
    const pj = JSON.parse(readFileSync(join(root, 'bench/node_modules/http-proxy/package.json'), 'utf8'));
    httpProxy = `http-proxy ${pj.version}`;
  } catch {
    // reported as not installed
  }
  return {
    nproc: availableParallelism(),
    cpu: model,
    kernel: release(),
    node: process.version,
    haproxy: firstLine(['haproxy', '-v']).replace(/ - https:.*/, ''),
    haproxyd: `${firstLine([haproxyd, '-v'])} (commit ${commit}${built(root, haproxyd)})`,
    nginx: firstLine(['nginx', '-v']).replace(/^nginx version: /, ''),
    wrk: firstLine(['wrk', '-v']).replace(/ Copyright.*/, ''),
    httpProxy,
  };
}
