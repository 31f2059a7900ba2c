// Benchmarks, side by side with the real HAProxy in the same run. Never part of
// the tests. Usage: pnpm bench  (or: node scripts/bench.mjs [--runs N])
// Each process is pinned to one core with taskset when available, so ratios stay stable.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 21;
const haproxyd = join(root, 'bin/haproxyd');
const haveTaskset = spawnSync('taskset', ['--version']).status === 0;
const haveHaproxy = spawnSync('haproxy', ['-v']).status === 0;

function pinned(cmd, args) {
  return haveTaskset ? ['taskset', ['-c', '1', cmd, ...args]] : [cmd, args];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall time of a whole process, start to exit, in ms (median of RUNS). */
function timeProcess(cmd, args, expectCode) {
  const [c, a] = pinned(cmd, args);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
    const t1 = process.hrtime.bigint();
    if (r.status !== expectCode) {
      throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
    }
    times.push(Number(t1 - t0) / 1e6);
  }
  return median(times);
}

/** A generated configuration of about `lines` lines: many backends, a routing frontend. */
function generateConfig(lines) {
  const out = [
    'global',
    '    maxconn 50000',
    '',
    'defaults',
    '    mode http',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    option httplog',
    '',
  ];
  const backends = Math.floor(lines / 16);
  out.push('frontend www', '    bind 127.0.0.1:28080');
  for (let b = 0; b < backends; b++) {
    out.push(`    acl is_b${b} path_beg /svc${b}/`, `    use_backend b${b} if is_b${b}`);
  }
  out.push('    default_backend b0', '');
  for (let b = 0; b < backends; b++) {
    out.push(
      `backend b${b}`,
      '    balance roundrobin',
      '    option httpchk GET /health',
      '    http-request set-header X-Backend b' + b,
      '    timeout server 20s',
    );
    for (let s = 0; s < 8; s++)
      out.push(`    server s${s} 127.0.0.${(s % 250) + 1}:${20000 + s} check inter 2s weight ${s + 1}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'hap-bench-'));
try {
  const big = join(dir, 'big.cfg');
  const text = generateConfig(20_000);
  writeFileSync(big, text);
  const lineCount = text.split('\n').length - 1;
  const small = join(root, 'examples/quickstart.cfg');

  // in-process parse of the big file (the library alone)
  const { loadConfig } = await import(join(root, 'packages/config/dist/index.js'));
  const parseTimes = [];
  for (let i = 0; i < Math.min(RUNS, 9); i++) {
    const t0 = performance.now();
    const r = loadConfig([big], { env: {} });
    parseTimes.push(performance.now() - t0);
    if (!r.ok)
      throw new Error(
        `generated config rejected: ${r.diagnostics.find((d) => d.level === 'alert')?.message}`,
      );
  }
  const parseMs = median(parseTimes);

  const rows = [];
  const hapdBig = timeProcess(haproxyd, ['-c', '-q', '-f', big], 0);
  const hapdSmall = timeProcess(haproxyd, ['-c', '-q', '-f', small], 0);
  const hapBig = haveHaproxy ? timeProcess('haproxy', ['-c', '-q', '-f', big], 0) : NaN;
  const hapSmall = haveHaproxy ? timeProcess('haproxy', ['-c', '-q', '-f', small], 0) : NaN;
  const ratio = (a, b) => (Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : 'n/a');
  rows.push([
    '`-c` on a small config (examples/quickstart.cfg), cold process, start to exit',
    hapdSmall,
    hapSmall,
  ]);
  rows.push([`\`-c\` on a generated ${lineCount}-line config, whole process`, hapdBig, hapBig]);

  const node = execFileSync(join(root, '.tools/bin/node'), ['--version']).toString().trim();
  const hv = haveHaproxy
    ? execFileSync('haproxy', ['-v']).toString().split('\n')[0]
    : 'haproxy not installed';
  const md = [
    '# Benchmark results',
    '',
    `Machine: ${process.arch}, Node ${node}; reference: ${hv}. ${haveTaskset ? 'Each process pinned to core 1 (taskset).' : 'Not pinned (no taskset).'}`,
    `Median of ${RUNS} runs. Command: \`pnpm bench\` (scripts/bench.mjs).`,
    '',
    '## Configuration checking',
    '',
    '| measure | haproxyd (ms) | HAProxy 2.6 (ms) | haproxyd / HAProxy |',
    '|---|---:|---:|---:|',
    ...rows.map(
      ([name, a, b]) =>
        `| ${name} | ${a.toFixed(1)} | ${Number.isFinite(b) ? b.toFixed(1) : 'n/a'} | ${ratio(a, b)} |`,
    ),
    `| parsing the ${lineCount}-line config in process (\`loadConfig\`, library only) | ${parseMs.toFixed(1)} | — | — |`,
    '',
    'Targets (issue 2): in-process parse of 20,000 lines under 1 s; cold `haproxyd -c` on a small file ≤ 150 ms.',
    '',
  ].join('\n');
  writeFileSync(join(root, 'bench/results/latest.md'), md);
  process.stdout.write(md);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
