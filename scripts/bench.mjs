// Benchmarks, side by side with the real HAProxy in the same run. Never part of the tests.
// Usage: pnpm bench [--only KEY,KEY…] [--duration S] [--warmup S] [--rounds N] [--idle N] [--runs N] [--out FILE]
// What is measured and how: docs/bench.md. The code: bench/ (traffic.mjs, check-timing.mjs).
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCheckTiming } from '../bench/check-timing.mjs';
import { killAll } from '../bench/lib/procs.mjs';
import { chooseCores, chooseFdLimit, describe, ensureTools } from '../bench/lib/setup.mjs';
import { renderTraffic } from '../bench/report.mjs';
import { idleCount, runTraffic, SCENARIOS } from '../bench/traffic.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEYS = [...SCENARIOS.map((s) => s.key), 'check'];
const USAGE = `usage: pnpm bench [options]
  --only KEY,KEY…  run a subset: ${KEYS.join(', ')} (default: all)
  --duration S     seconds of each measured wrk run (default 5)
  --warmup S       seconds of the warm-up wrk run before it (default 1)
  --rounds N       rounds of the wrk rows, proxies interleaved; the median CPU/request run is kept (default 3)
  --idle N         idle connections for idle-http / idle-tcp (default 10000)
  --runs N         runs of each \`-c\` timing, median kept (default 21)
  --out FILE       where the markdown goes (default bench/results/latest.md)
`;

let args;
try {
  args = parseArgs({
    options: {
      only: { type: 'string' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      idle: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '21' },
      out: { type: 'string', default: join(root, 'bench/results/latest.md') },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (err) {
  process.stderr.write(`${/** @type {Error} */ (err).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const wholeNumber = (/** @type {string} */ name, /** @type {string} */ v, min) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} wants a whole number ≥ ${min}, not '${v}'\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const duration = wholeNumber('duration', args.duration, 1);
const warmup = wholeNumber('warmup', args.warmup, 1);
const rounds = wholeNumber('rounds', args.rounds, 1);
const idle = wholeNumber('idle', args.idle, 1);
const runs = wholeNumber('runs', args.runs, 1);
const only = args.only ? args.only.split(',').map((s) => s.trim()) : KEYS;
const unknown = only.filter((k) => !KEYS.includes(k));
if (unknown.length) {
  process.stderr.write(`unknown --only key: ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}

const log = (/** @type {string} */ msg) => process.stderr.write(`[bench] ${msg}\n`);
const dir = mkdtempSync(join(tmpdir(), 'hap-bench-'));
// nginx's worker may run as nobody: it must be able to reach the files under dir/nginx
chmodSync(dir, 0o711);
const cleanup = () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const [sig, code] of /** @type {const} */ ([
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
])) {
  process.on(sig, () => {
    log(`${sig}: stopping every process the bench started`);
    process.exit(code);
  });
}

const command = `${process.env['HAPROXYD_BIN'] ? `HAPROXYD_BIN=${process.env['HAPROXYD_BIN']} ` : ''}${process.env['npm_lifecycle_event'] === 'bench' ? 'pnpm bench' : 'node scripts/bench.mjs'}${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

// the haproxyd under test: the built one, or $HAPROXYD_BIN (as in @hap/testkit)
const haproxyd = process.env['HAPROXYD_BIN'] || join(root, 'bin/haproxyd');
if (!process.env['HAPROXYD_BIN'] && !existsSync(join(root, 'apps/haproxyd/dist/bundle/main.js'))) {
  log('haproxyd is not built: run `turbo run build` (or scripts/test.sh) first');
  process.exit(1);
}
const bundle = join(root, 'apps/haproxyd/dist/bundle/main.js');
const bundleTime = () => (existsSync(bundle) ? statSync(bundle).mtimeMs : 0);
const bundleAtStart = bundleTime();
const missing = ensureTools(log);
const cores = chooseCores(!missing.includes('taskset'));
const fd = chooseFdLimit();
const info = describe(root, haproxyd);
const node = existsSync(join(root, '.tools/bin/node')) ? join(root, '.tools/bin/node') : process.execPath;
const haproxyVersion = /version (\d+\.\d+\.\d+)/.exec(info.haproxy)?.[1];
const labels = {
  haproxy: haproxyVersion ? `HAProxy ${haproxyVersion}` : 'HAProxy',
  haproxyd: 'haproxyd',
  'node-http-proxy': 'node-http-proxy',
  'node-tls-pipe': 'node-tls-pipe (Node TLS floor)',
};

const notes = [];
const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
if (!fd.raised)
  notes.push(
    `This user may not raise the open-files limit above its hard limit (${fd.limit}), ` +
      'so the proxies run with that limit and the configuration has `no strict-limits` (both HAProxy and ' +
      'haproxyd refuse `maxconn 20000` under 40,000 files otherwise, and warn about it). ' +
      `idle-tcp opens ${idleCount(/** @type {any} */ ({ idle, fd }), { mode: 'tcp' }).toLocaleString('en-US')} connections so that its client and server sockets fit.`,
  );
for (const m of missing) notes.push(`${m} is not installed: the rows that need it are marked so.`);

const sections = [];
const trafficKeys = only.filter((k) => k !== 'check');
const started = performance.now();
let failed = false;
const failure = (/** @type {string} */ title, /** @type {unknown} */ err) => {
  failed = true;
  log(`${title} failed: ${/** @type {Error} */ (err)?.stack ?? err}`);
  return [
    `## ${title}`,
    '',
    `**failed**: ${String(/** @type {Error} */ (err)?.message ?? err).slice(0, 2000)}`,
    '',
  ];
};
if (trafficKeys.length) {
  try {
    /** @type {import('../bench/traffic.mjs').Ctx} */
    const ctx = {
      root,
      dir,
      node,
      haproxyd,
      cores,
      fd,
      duration,
      warmup,
      rounds,
      idle,
      missing,
      labels,
      log,
      patience: { leftMs: 30_000 },
    };
    const results = await runTraffic(ctx, trafficKeys);
    if (bundleTime() !== bundleAtStart)
      notes.push(
        "bin/haproxyd's bundle was rebuilt during this run (the work tree is shared): haproxyd rows may come from two builds.",
      );
    sections.push(...renderTraffic({ results, ctx, info, command, date, notes }));
  } catch (err) {
    sections.push(...failure('Traffic', err));
  }
}
if (only.includes('check')) {
  log(`configuration checking: ${runs} runs each`);
  try {
    sections.push(
      ...(await runCheckTiming({
        root,
        dir,
        haproxyd,
        runs,
        cpu: cores.proxy,
        haveHaproxy: !missing.includes('haproxy'),
      })),
    );
  } catch (err) {
    sections.push(...failure('Configuration checking', err));
  }
}

const md = [
  '# Benchmark results',
  '',
  `- Command: \`${command}\` (scripts/bench.mjs), ${((performance.now() - started) / 1000).toFixed(0)} s`,
  `- Date: ${date}`,
  `- Machine: ${info.nproc} CPUs (nproc), ${info.cpu}, Linux ${info.kernel}; load average at start ${loadavg}; open-files limit for the proxies ${fd.limit}${fd.raised ? '' : ' (the hard limit)'}`,
  `- Versions: haproxyd ${info.haproxyd.replace(/^haproxyd version /i, '')}; ${info.haproxy}; nginx ${info.nginx}; ${info.wrk}; Node ${info.node}; ${info.httpProxy}`,
  `- Placement: ${cores.note}; nginx has 1 worker, wrk 1 thread; all traffic on 127.0.0.1.`,
  '- CPU µs/request = (utime + stime of the proxy process and its children, from /proc/<pid>/stat, ' +
    'over the measured wrk run) / requests wrk completed in it. See docs/bench.md.',
  '',
  ...sections,
].join('\n');
const out = resolve(args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, md);
process.stdout.write(md);
log(`written to ${out}`);
process.exit(failed ? 1 : 0);
