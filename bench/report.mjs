// The markdown of bench/results/latest.md: what ran where, the measurements of each
// proxy side by side, and the ratios haproxyd / HAProxy against issue 4's targets.
import { idleCount, SCENARIOS } from './traffic.mjs';

const f = (/** @type {number | undefined} */ n, digits = 1) =>
  n == null || !Number.isFinite(n) ? '—' : n.toFixed(digits);
const esc = (/** @type {string} */ s) => String(s ?? '').replace(/\|/g, '\\|');

/** One measure of a scenario: how to read it from a result, and the target of issue 4. */
const MEASURES = {
  cpuUs: { name: 'CPU µs/request', digits: 1, lowerIsBetter: true },
  rps: { name: 'requests/s', digits: 0, lowerIsBetter: false },
  p50ms: { name: 'p50 latency ms', digits: 2, lowerIsBetter: true },
  p99ms: { name: 'p99 latency ms', digits: 2, lowerIsBetter: true },
  mibps: { name: 'throughput MiB/s', digits: 0, lowerIsBetter: false },
  rssMiB: { name: 'RSS MiB', digits: 1, lowerIsBetter: true },
};

/** Rows of the ratio table: scenario, measure, the target (issue 4) when there is one. */
const RATIO_ROWS = [
  ['http-ka', 'cpuUs', { maxRatio: 1.25 }],
  ['http-ka', 'rps'],
  ['http-ka', 'p99ms'],
  ['http-close', 'cpuUs'],
  ['http-close', 'rps'],
  ['http-close', 'p99ms'],
  ['tcp', 'cpuUs', { maxRatio: 1.1 }],
  ['tcp', 'rps'],
  ['tcp', 'p99ms'],
  ['body-1m', 'mibps'],
  ['body-1m', 'cpuUs'],
  ['https-ka', 'cpuUs', { maxRatio: 1.3, issue: 9 }],
  ['tls-handshake', 'rps', { minRatio: 0.8, issue: 9 }],
  ['tls-handshake', 'cpuUs'],
  ['idle-http', 'rssMiB', { maxBytes: 100e6 }],
  ['idle-tcp', 'rssMiB'],
];

function cellOf(/** @type {any} */ r, /** @type {string} */ key, digits = 1) {
  if (!r) return 'not run';
  if (r.status !== 'ok') return r.status;
  return f(r[key], digits);
}

/**
 * @param {{ results: Map<string, Map<string, any>>, ctx: any, info: any, command: string,
 *   date: string, notes: string[] }} o
 */
export function renderTraffic(o) {
  const { results, ctx } = o;
  const L = ctx.labels;
  const lines = [];
  const notes = [...o.notes];
  const noteFor = (/** @type {any} */ r) => {
    if (r && r.status !== 'ok') return esc(r.reason);
    const parts = [];
    if (r?.errors) parts.push(`${r.errors} errors (${r.errorDetail})`);
    if (r?.attempts > 1) parts.push('measured twice (other load), the less disturbed run shown');
    if (r?.rounds > 1)
      parts.push(
        `median of ${r.rounds} rounds (CPU µs/req ${r.cpuUsAll.map((x) => x.toFixed(1)).join(', ')})`,
      );
    return parts.join('; ');
  };

  const wrkScenarios = SCENARIOS.filter((s) => s.kind === 'wrk' && results.has(s.key));
  if (wrkScenarios.length) {
    lines.push(
      '## Traffic',
      '',
      `wrk: 1 thread, ${ctx.warmup} s warm-up, then ${ctx.duration} s measured; a fresh proxy process per run; ${ctx.rounds ?? 1} round(s) per row with the proxies interleaved, the run with the median CPU µs/request shown.`,
      '',
      '| scenario | proxy | CPU µs/req | user / sys µs | req/s | p50 ms | p99 ms | MiB/s | proxy CPU % | other load % | RSS MiB | note |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const sc of wrkScenarios) {
      const row = /** @type {Map<string, any>} */ (results.get(sc.key));
      for (const [proxy, r] of row) {
        const ok = r.status === 'ok';
        lines.push(
          `| ${sc.key}: ${sc.title} | ${L[proxy]} | ${ok ? f(r.cpuUs) : `**${r.status}**`} | ${ok ? `${f(r.userUs)} / ${f(r.sysUs)}` : '—'} | ${ok ? f(r.rps, 0) : '—'} | ${ok ? f(r.p50ms, 2) : '—'} | ${ok ? f(r.p99ms, 2) : '—'} | ${ok ? f(r.mibps, 1) : '—'} | ${ok ? f(r.cpuPct, 0) : '—'} | ${ok ? f(r.otherPct, 0) : '—'} | ${ok ? f(r.rssMiB) : '—'} | ${noteFor(r)} |`,
        );
      }
    }
    lines.push('');
  }

  const idleScenarios = SCENARIOS.filter((s) => s.kind === 'idle' && results.has(s.key));
  if (idleScenarios.length) {
    lines.push(
      '## Idle connections',
      '',
      'Connections opened by `bench/idle-clients.mjs` (raw `net` sockets, 200 connecting at a time); ' +
        'RSS read from /proc/<pid>/status 1 s after the proxy holds them all.',
      '',
      '| scenario | proxy | connections open | proxy sockets | RSS before MiB | RSS with them MiB | KiB per connection | note |',
      '|---|---|---:|---:|---:|---:|---:|---|',
    );
    for (const sc of idleScenarios) {
      const row = /** @type {Map<string, any>} */ (results.get(sc.key));
      for (const [proxy, r] of row) {
        const ok = r.status === 'ok';
        const title = `${sc.key}: ${idleCount(ctx, sc).toLocaleString('en-US')} ${sc.title}`;
        let note = noteFor(r);
        if (ok && r.failedConns) note = `${r.failedConns} connections failed`;
        lines.push(
          `| ${title} | ${L[proxy]} | ${ok ? r.open : `**${r.status}**`} | ${ok ? r.proxySockets : '—'} | ${ok ? f(r.baseMiB) : '—'} | ${ok ? f(r.rssMiB) : '—'} | ${ok ? f(r.perConnKiB, 2) : '—'} | ${note} |`,
        );
      }
    }
    lines.push('');
  }

  // haproxyd / HAProxy
  const ratioLines = [];
  for (const [key, m, target] of RATIO_ROWS) {
    const row = results.get(/** @type {string} */ (key));
    if (!row) continue;
    const meas = MEASURES[/** @type {keyof typeof MEASURES} */ (m)];
    const d = row.get('haproxyd');
    const h = row.get('haproxy');
    const dv = d?.status === 'ok' ? d[/** @type {string} */ (m)] : Number.NaN;
    const hv = h?.status === 'ok' ? h[/** @type {string} */ (m)] : Number.NaN;
    const ratio = dv / hv;
    let targetText = '';
    let met = '—';
    const t = /** @type {any} */ (target);
    if (t?.minRatio) {
      targetText = `≥ ${t.minRatio}× HAProxy (issue ${t.issue})`;
      if (Number.isFinite(ratio))
        met = ratio >= t.minRatio ? 'yes' : `no: ${((1 - ratio / t.minRatio) * 100).toFixed(0)}% short`;
    } else if (t?.maxRatio) {
      targetText = `≤ ${t.maxRatio}× HAProxy${t.issue ? ` (issue ${t.issue})` : ''}`;
      if (Number.isFinite(ratio))
        met = ratio <= t.maxRatio ? 'yes' : `no: ${((ratio / t.maxRatio - 1) * 100).toFixed(0)}% over`;
    } else if (t?.maxBytes) {
      targetText = `< ${t.maxBytes / 1e6} MB (10,000 connections)`;
      const sc = SCENARIOS.find((x) => x.key === key);
      if (sc && idleCount(ctx, sc) !== 10000) met = '— (not 10,000 connections)';
      else if (Number.isFinite(dv))
        met = dv * 1048576 < t.maxBytes ? 'yes' : `no: ${((dv * 1048576) / 1e6).toFixed(0)} MB`;
    }
    const better = Number.isFinite(ratio)
      ? meas.lowerIsBetter
        ? ratio <= 1
          ? ''
          : ' (worse)'
        : ratio >= 1
          ? ''
          : ' (worse)'
      : '';
    ratioLines.push(
      `| ${key} | ${meas.name} | ${cellOf(d, /** @type {string} */ (m), meas.digits)} | ${cellOf(h, /** @type {string} */ (m), meas.digits)} | ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×${better}` : '—'} | ${targetText} | ${met} |`,
    );
  }
  if (ratioLines.length) {
    lines.push(
      '## haproxyd / HAProxy',
      '',
      '| scenario | measure | haproxyd | HAProxy 2.6 | haproxyd / HAProxy | target (issue 4 unless named) | met |',
      '|---|---|---:|---:|---:|---|---|',
      ...ratioLines,
      '',
    );
  }

  // the Node baseline
  const ka = results.get('http-ka');
  if (ka?.has('node-http-proxy')) {
    const n = ka.get('node-http-proxy');
    const d = ka.get('haproxyd');
    const h = ka.get('haproxy');
    const rows = [];
    for (const m of ['cpuUs', 'rps', 'p99ms']) {
      const meas = MEASURES[/** @type {keyof typeof MEASURES} */ (m)];
      const nv = n?.status === 'ok' ? n[m] : Number.NaN;
      const dv = d?.status === 'ok' ? d[m] : Number.NaN;
      const hv = h?.status === 'ok' ? h[m] : Number.NaN;
      const ratioD = meas.lowerIsBetter ? nv / dv : dv / nv;
      const ratioH = meas.lowerIsBetter ? nv / hv : hv / nv;
      let target = '';
      let met = '—';
      if (m === 'cpuUs') {
        target = 'haproxyd ≥ 3× cheaper';
        if (Number.isFinite(ratioD))
          met =
            ratioD >= 3 ? 'yes' : `no: ${ratioD.toFixed(2)}×, ${((1 - ratioD / 3) * 100).toFixed(0)}% short`;
      }
      rows.push(
        `| ${meas.name} | ${cellOf(n, m, meas.digits)} | ${cellOf(d, m, meas.digits)} | ${cellOf(h, m, meas.digits)} | ${Number.isFinite(ratioD) ? `${ratioD.toFixed(2)}×` : '—'} | ${Number.isFinite(ratioH) ? `${ratioH.toFixed(2)}×` : '—'} | ${target} | ${met} |`,
      );
    }
    lines.push(
      '## The Node baseline: node-http-proxy, HTTP keep-alive',
      '',
      'Advantage columns: how many times better than node-http-proxy (cheaper, faster, lower latency).',
      '',
      '| measure | node-http-proxy | haproxyd | HAProxy 2.6 | haproxyd advantage | HAProxy advantage | target (issue 4) | met |',
      '|---|---:|---:|---:|---:|---:|---|---|',
      ...rows,
      '',
    );
  }

  // the Node TLS floor: TLS terminated by node:tls and piped, nothing else
  const floorRows = [];
  for (const key of ['https-ka', 'tls-handshake']) {
    const row = results.get(key);
    const n = row?.get('node-tls-pipe');
    if (n?.status !== 'ok') continue;
    const d = row?.get('haproxyd');
    const h = row?.get('haproxy');
    const cpu = (r) => (r?.status === 'ok' ? r.cpuUs : Number.NaN);
    const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
    floorRows.push(
      `| ${key} | ${f(cpu(n))} | ${cellOf(d, 'cpuUs', 1)} | ${cellOf(h, 'cpuUs', 1)} | ${x(cpu(n) / cpu(h))} | ${x(cpu(d) / cpu(n))} |`,
    );
  }
  if (floorRows.length) {
    lines.push(
      '## The Node TLS floor: node-tls-pipe',
      '',
      "node-tls-pipe terminates TLS with node:tls and pipes the bytes to nginx, with no HTTP work: no proxy built on node:tls costs less per connection. Its cost over HAProxy's is the part of the ratio that comes from Node's TLS layer.",
      '',
      '| scenario | node-tls-pipe CPU µs/req | haproxyd | HAProxy 2.6 | floor / HAProxy | haproxyd / floor |',
      '|---|---:|---:|---:|---:|---:|',
      ...floorRows,
      '',
    );
  }

  let busiest = 0;
  for (const [, row] of results) for (const [, r] of row) if (r.otherPct > busiest) busiest = r.otherPct;
  if (busiest > 10)
    notes.push(
      `Other processes (not the proxy, nginx, wrk or the bench) kept up to ${busiest.toFixed(0)}% of a core busy ` +
        'during some measured runs (column "other load %"): on a shared machine req/s and latency drop and vary; ' +
        "CPU µs/request counts only the proxy's own time and moves less, but rises too (smaller batches, " +
        'cold caches). Run on a quiet machine for figures to quote.',
    );
  /** @type {Map<string, Set<number>>} */
  const threads = new Map();
  for (const [, row] of results)
    for (const [proxy, r] of row) {
      if (r.status !== 'ok' || !r.threads) continue;
      const set = threads.get(proxy) ?? new Set();
      set.add(r.threads);
      threads.set(proxy, set);
    }
  if (threads.size)
    notes.push(
      `Threads of each proxy process while measured (/proc/<pid>/status): ${[...threads]
        .map(([p, s]) => `${L[p]} ${[...s].join('/')}`)
        .join('; ')}.`,
    );
  if (notes.length) lines.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return lines;
}
