// Configuration checking: `haproxyd -c` against `haproxy -c` (cold process, start to exit)
// on a small and a generated 20,000-line configuration, and the in-process parse of the
// big one (@hap/config alone). Targets from issue 2.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function median(/** @type {number[]} */ xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A generated configuration of about `lines` lines: many backends, a routing frontend. */
function generateConfig(/** @type {number} */ lines) {
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

/**
 * @param {{ root: string, dir: string, haproxyd: string, runs: number, cpu: number | null, haveHaproxy: boolean }} o
 * @returns {Promise<string[]>} the markdown section
 */
export async function runCheckTiming(o) {
  const haproxyd = o.haproxyd;
  const pinned = (/** @type {string} */ cmd, /** @type {string[]} */ args) =>
    o.cpu == null ? [cmd, args] : ['taskset', ['-c', String(o.cpu), cmd, ...args]];

  /** Wall time of a whole process, start to exit, in ms (median of o.runs). */
  function timeProcess(/** @type {string} */ cmd, /** @type {string[]} */ args, expectCode) {
    const [c, a] = pinned(cmd, args);
    const times = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(/** @type {string} */ (c), /** @type {string[]} */ (a), {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 60_000,
      });
      const t1 = process.hrtime.bigint();
      if (r.status !== expectCode) {
        throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
      }
      times.push(Number(t1 - t0) / 1e6);
    }
    return median(times);
  }

  const big = join(o.dir, 'big.cfg');
  const text = generateConfig(20_000);
  writeFileSync(big, text);
  const lineCount = text.split('\n').length - 1;
  const small = join(o.root, 'examples/quickstart.cfg');

  // in-process parse of the big file (the library alone)
  const { loadConfig } = await import(join(o.root, 'packages/config/dist/index.js'));
  const parseTimes = [];
  for (let i = 0; i < Math.min(o.runs, 9); i++) {
    const t0 = performance.now();
    const r = loadConfig([big], { env: {} });
    parseTimes.push(performance.now() - t0);
    if (!r.ok)
      throw new Error(
        `generated config rejected: ${r.diagnostics.find((/** @type {any} */ d) => d.level === 'alert')?.message}`,
      );
  }
  const parseMs = median(parseTimes);

  const hapdBig = timeProcess(haproxyd, ['-c', '-q', '-f', big], 0);
  const hapdSmall = timeProcess(haproxyd, ['-c', '-q', '-f', small], 0);
  const hapBig = o.haveHaproxy ? timeProcess('haproxy', ['-c', '-q', '-f', big], 0) : Number.NaN;
  const hapSmall = o.haveHaproxy ? timeProcess('haproxy', ['-c', '-q', '-f', small], 0) : Number.NaN;
  const ratio = (/** @type {number} */ a, /** @type {number} */ b) =>
    Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : 'n/a';
  /** @type {[string, number, number][]} */
  const rows = [
    ['`-c` on a small config (examples/quickstart.cfg), cold process, start to exit', hapdSmall, hapSmall],
    [`\`-c\` on a generated ${lineCount}-line config, whole process`, hapdBig, hapBig],
  ];
  return [
    '## Configuration checking',
    '',
    `Median of ${o.runs} runs${o.cpu == null ? '' : `, each process pinned to core ${o.cpu}`}.`,
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
  ];
}
