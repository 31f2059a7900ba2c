// Traffic benchmarks: the same scenario against the real HAProxy, haproxyd and (for
// HTTP keep-alive) node-http-proxy, one proxy at a time on the proxy core, nginx behind
// it and wrk (or the idle clients) on the load core. See docs/bench.md.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { BIG_BYTES, SMALL_BODY, startNginx } from './lib/nginx.mjs';
import {
  CLK_TCK,
  cpuTicks,
  freePort,
  machineBusyTicks,
  rssKiB,
  run,
  selfTicks,
  sleep,
  socketCount,
  start,
  stop,
  threadCount,
  waitForPort,
} from './lib/procs.mjs';

/**
 * @typedef {{ key: string, title: string, kind: 'wrk' | 'idle', mode: 'http' | 'tcp',
 *   path?: string, connections?: number, headers?: string[], throughput?: boolean,
 *   tls?: boolean, proxies: string[] }} Scenario
 */

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    key: 'http-ka',
    title: 'HTTP keep-alive, 64 connections, 64-byte page',
    kind: 'wrk',
    mode: 'http',
    path: '/',
    connections: 64,
    headers: [],
    proxies: ['haproxy', 'haproxyd', 'node-http-proxy'],
  },
  {
    key: 'http-close',
    title: 'HTTP, a new connection per request (`Connection: close`), 64 connections',
    kind: 'wrk',
    mode: 'http',
    path: '/',
    connections: 64,
    headers: ['Connection: close'],
    proxies: ['haproxy', 'haproxyd'],
  },
  {
    key: 'tcp',
    title: 'TCP mode (keep-alive HTTP through `mode tcp`), 64 connections',
    kind: 'wrk',
    mode: 'tcp',
    path: '/',
    connections: 64,
    headers: [],
    proxies: ['haproxy', 'haproxyd'],
  },
  {
    key: 'https-ka',
    title: 'HTTPS keep-alive (TLS 1.3 terminated by the proxy), 64 connections, 64-byte page',
    kind: 'wrk',
    mode: 'http',
    path: '/',
    connections: 64,
    headers: [],
    tls: true,
    proxies: ['haproxy', 'haproxyd', 'node-tls-pipe'],
  },
  {
    key: 'tls-handshake',
    title: 'TLS handshakes: HTTPS with a new connection per request (`Connection: close`), 64 connections',
    kind: 'wrk',
    mode: 'http',
    path: '/',
    connections: 64,
    headers: ['Connection: close'],
    tls: true,
    proxies: ['haproxy', 'haproxyd', 'node-tls-pipe'],
  },
  {
    key: 'body-1m',
    title: '1 MiB response body, HTTP keep-alive, 16 connections',
    kind: 'wrk',
    mode: 'http',
    path: '/1m.bin',
    connections: 16,
    headers: [],
    throughput: true,
    proxies: ['haproxy', 'haproxyd'],
  },
  {
    key: 'idle-http',
    title: 'idle client connections, `mode http` (half silent, half with a partial request)',
    kind: 'idle',
    mode: 'http',
    proxies: ['haproxy', 'haproxyd'],
  },
  {
    key: 'idle-tcp',
    title: 'idle client connections, `mode tcp` (each also holds a server connection)',
    kind: 'idle',
    mode: 'tcp',
    proxies: ['haproxy', 'haproxyd'],
  },
];

/**
 * @typedef {object} Ctx
 * @property {string} root
 * @property {string} dir         private scratch directory
 * @property {string} node        the Node binary for the bench's own helpers
 * @property {string} haproxyd    the haproxyd executable (bin/haproxyd or $HAPROXYD_BIN)
 * @property {{ proxy: number | null, load: number | null }} cores
 * @property {{ limit: number, raised: boolean }} fd
 * @property {number} duration    seconds of each measured wrk run
 * @property {number} warmup      seconds of the warm-up wrk run before it
 * @property {number} [rounds]    rounds of each wrk row (proxies interleaved; median CPU/request kept)
 * @property {number} idle        idle connections (mode http)
 * @property {string[]} missing   tools that are not installed
 * @property {{ leftMs: number }} patience  time the run may still spend waiting for other load to pass
 * @property {Record<string, string>} labels  proxy key -> column label
 * @property {(msg: string) => void} log
 */

/** The configuration given to both HAProxy and haproxyd. */
export function proxyConfig(
  /** @type {{ mode: string, port: number, backendPort: number, strictLimits: boolean, crt?: string }} */ o,
) {
  return [
    'global',
    '    maxconn 20000',
    // without the right to raise RLIMIT_NOFILE to 2 x maxconn, both refuse to start unless told
    ...(o.strictLimits ? [] : ['    no strict-limits']),
    '',
    'defaults',
    `    mode ${o.mode}`,
    '    maxconn 20000',
    '    timeout connect 5s',
    '    timeout client 120s',
    '    timeout server 120s',
    ...(o.mode === 'http' ? ['    timeout http-request 120s', '    timeout http-keep-alive 120s'] : []),
    '',
    'frontend fe',
    `    bind 127.0.0.1:${o.port}${o.crt !== undefined ? ` ssl crt ${o.crt} alpn http/1.1` : ''}`,
    '    default_backend be',
    '',
    'backend be',
    `    server nginx 127.0.0.1:${o.backendPort}`,
    '',
  ].join('\n');
}

/**
 * Start one proxy for a scenario and wait until it accepts.
 * @returns {Promise<{ status: 'ok', proc: import('./lib/procs.mjs').Proc } | { status: string, reason: string }>}
 */
async function launch(/** @type {Ctx} */ ctx, /** @type {Scenario} */ sc, proxy, port, backendPort) {
  /** @type {string[]} */
  let argv;
  if (proxy === 'node-http-proxy') {
    argv = [ctx.node, join(ctx.root, 'bench/node-http-proxy.mjs'), String(port), String(backendPort)];
  } else if (proxy === 'node-tls-pipe') {
    const pem = benchCertificate(ctx);
    argv = [ctx.node, join(ctx.root, 'bench/node-tls-pipe.mjs'), String(port), String(backendPort), pem];
  } else {
    if (proxy === 'haproxy' && ctx.missing.includes('haproxy'))
      return { status: 'not installed', reason: 'haproxy is not installed' };
    const cfg = join(ctx.dir, `${sc.key}.${proxy}.cfg`);
    writeFileSync(
      cfg,
      proxyConfig({
        mode: sc.mode,
        port,
        backendPort,
        strictLimits: ctx.fd.limit >= 2 * 20000 + 100,
        ...(sc.tls ? { crt: benchCertificate(ctx) } : {}),
      }),
    );
    const bin = proxy === 'haproxy' ? 'haproxy' : ctx.haproxyd;
    argv = [bin, '-db', '-f', cfg];
  }
  const proc = start(proxy, argv, { cpu: ctx.cores.proxy, fdLimit: ctx.fd.limit, cwd: ctx.dir });
  const up = await waitForPort(port, proc, 15_000);
  if (up) return { status: 'ok', proc };
  await stop(proc);
  const out = proc.output();
  const alerts = out.split('\n').filter((l) => l.includes('[ALERT]'));
  const notServed = alerts.find((l) => /not served/i.test(l));
  if (notServed) return { status: 'not served', reason: clean(notServed) };
  if (/Cannot find module 'http-proxy'|ERR_MODULE_NOT_FOUND/.test(out))
    return { status: 'not installed', reason: 'http-proxy is not installed: run pnpm install' };
  const why = alerts[0] ?? out.trim().split('\n').slice(-1)[0] ?? '';
  return {
    status: 'failed',
    reason: `did not start (exit ${proc.exit?.code ?? proc.exit?.signal}): ${clean(why)}`,
  };
}

const clean = (/** @type {string} */ line) =>
  line
    .replace(/^\[ALERT\]\s+\(\d+\)\s*:\s*/, '')
    .replace(/\|/g, '\\|')
    .trim()
    .slice(0, 240);

/** A self-signed RSA 2048 certificate for the TLS rows (made once per run with openssl). */
function benchCertificate(/** @type {Ctx} */ ctx) {
  const pem = join(ctx.dir, 'bench-cert.pem');
  if (!existsSync(pem)) {
    const key = join(ctx.dir, 'bench-key.pem');
    const crt = join(ctx.dir, 'bench-crt.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '2',
        '-subj',
        '/CN=bench.test',
      ],
      { stdio: 'ignore' },
    );
    execFileSync('sh', ['-c', `cat '${crt}' '${key}' > '${pem}'`]);
  }
  return pem;
}

/** One GET through the proxy before measuring: the status and the body length must be right. */
function probe(/** @type {number} */ port, /** @type {string} */ path, tls = false) {
  return /** @type {Promise<{ status?: number, bytes: number, error?: string }>} */ (
    new Promise((resolve) => {
      const opts = { host: '127.0.0.1', port, path, agent: false, timeout: 5000, rejectUnauthorized: false };
      const req = (tls ? https : http).get(opts, (res) => {
        let bytes = 0;
        res.on('data', (c) => {
          bytes += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode, bytes }));
        res.on('error', (e) => resolve({ status: res.statusCode, bytes, error: e.message }));
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', (e) => resolve({ bytes: 0, error: e.message }));
    })
  );
}

async function wrk(/** @type {Ctx} */ ctx, /** @type {Scenario} */ sc, url, seconds) {
  const argv = [
    'wrk',
    '-t1',
    `-c${sc.connections}`,
    `-d${seconds}s`,
    '--latency',
    '--timeout',
    '5s',
    '-s',
    join(ctx.root, 'bench/wrk-report.lua'),
    ...(sc.headers ?? []).flatMap((h) => ['-H', h]),
    url,
  ];
  const r = await run('wrk', argv, { cpu: ctx.cores.load, timeoutMs: (seconds + 30) * 1000 });
  const m = /^WRKJSON (.*)$/m.exec(r.output);
  return { json: m ? JSON.parse(m[1]) : null, output: r.output };
}

/** A wrk scenario against one proxy. */
async function measureWrk(/** @type {Ctx} */ ctx, /** @type {Scenario} */ sc, proxy, nginx) {
  const port = await freePort();
  const l = await launch(ctx, sc, proxy, port, nginx.port);
  if (l.status !== 'ok' || !('proc' in l)) return l;
  const proc = l.proc;
  try {
    const path = sc.path ?? '/';
    const want = path === '/' ? Buffer.byteLength(SMALL_BODY) : BIG_BYTES;
    const p = await probe(port, path, sc.tls === true);
    if (p.error || p.status !== 200 || p.bytes !== want)
      return {
        status: 'failed',
        reason: `probe GET ${path}: ${p.error ?? `status ${p.status}, ${p.bytes} of ${want} body bytes`}`,
      };
    const url = `${sc.tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`;
    // what else ran meanwhile: all busy ticks of the machine less the proxy's, nginx's,
    // wrk's and the bench's own
    const known = () => {
      const p = cpuTicks(proc.pid);
      const n = cpuTicks(nginx.proc.pid);
      return p.user + p.sys + n.user + n.sys + selfTicks();
    };
    /** @type {any} */
    let best = null;
    for (let attempt = 0; ; attempt++) {
      await waitQuiet(ctx, known);
      await wrk(ctx, sc, url, ctx.warmup);
      if (proc.exit) return { status: 'failed', reason: `exited during the warm-up: ${tail(proc)}` };
      const b0 = machineBusyTicks();
      const k0 = known();
      const t0 = cpuTicks(proc.pid);
      const w0 = performance.now();
      const r = await wrk(ctx, sc, url, ctx.duration);
      const t1 = cpuTicks(proc.pid);
      const w1 = performance.now();
      const otherTicks = machineBusyTicks() - b0 - (known() - k0);
      const rss = rssKiB(proc.pid);
      const threads = threadCount(proc.pid);
      if (proc.exit) return { status: 'failed', reason: `exited during the run: ${tail(proc)}` };
      if (!r.json) return { status: 'failed', reason: `wrk gave no result: ${r.output.trim().slice(-300)}` };
      const j = r.json;
      if (j.requests === 0) return { status: 'failed', reason: 'no request completed' };
      const cpuSeconds = (t1.user + t1.sys - t0.user - t0.sys) / CLK_TCK;
      const seconds = j.duration_us / 1e6;
      const errors = j.connect + j.read + j.write + j.timeout + j.status;
      const result = {
        status: 'ok',
        requests: j.requests,
        cpuUs: (cpuSeconds * 1e6) / j.requests,
        userUs: ((t1.user - t0.user) / CLK_TCK / j.requests) * 1e6,
        sysUs: ((t1.sys - t0.sys) / CLK_TCK / j.requests) * 1e6,
        rps: j.requests / seconds,
        p50ms: j.p50_us / 1000,
        p99ms: j.p99_us / 1000,
        mibps: j.bytes / seconds / (1024 * 1024),
        cpuPct: (100 * cpuSeconds) / ((w1 - w0) / 1000),
        otherPct: Math.max(0, (100 * otherTicks) / CLK_TCK / ((w1 - w0) / 1000)),
        rssMiB: rss / 1024,
        threads,
        attempts: 1,
        errors,
        errorDetail: errors
          ? `connect ${j.connect}, read ${j.read}, write ${j.write}, timeout ${j.timeout}, non-2xx/3xx ${j.status}`
          : '',
      };
      // of the attempts, the one other processes disturbed least counts
      if (!best || result.otherPct < best.otherPct) best = result;
      best.attempts = attempt + 1;
      // disturbed by other processes: measure once more while the patience budget lasts
      if (best.otherPct <= DISTURBED_PCT || attempt >= 1 || ctx.patience.leftMs <= 0) return best;
      ctx.log(
        `${sc.key} ${ctx.labels[proxy]}: other processes used ${result.otherPct.toFixed(0)}% of a core, measuring again`,
      );
      ctx.patience.leftMs -= (ctx.warmup + ctx.duration) * 1000;
    }
  } finally {
    await stop(proc);
  }
}

/** Other load (% of a core) above which a measurement counts as disturbed. */
const DISTURBED_PCT = 25;
/** Other load (% of a core) under which the machine counts as quiet enough to start. */
const QUIET_PCT = 15;

/**
 * Before a measurement: sample the machine's busy time less ours for 0.5 s and wait,
 * within the run's patience budget, while other processes keep more than QUIET_PCT busy.
 */
async function waitQuiet(/** @type {Ctx} */ ctx, /** @type {() => number} */ known) {
  let told = false;
  for (;;) {
    const b0 = machineBusyTicks();
    const k0 = known();
    const w0 = performance.now();
    await sleep(500);
    const other =
      (100 * (machineBusyTicks() - b0 - (known() - k0))) / CLK_TCK / ((performance.now() - w0) / 1000);
    if (other <= QUIET_PCT || ctx.patience.leftMs <= 0) return;
    if (!told) ctx.log(`other processes keep ${other.toFixed(0)}% of a core busy: waiting for quiet`);
    told = true;
    ctx.patience.leftMs -= 500;
  }
}

const tail = (/** @type {import('./lib/procs.mjs').Proc} */ proc) =>
  clean(proc.output().trim().split('\n').slice(-1)[0] ?? '');

/** The number of idle connections a scenario opens (mode tcp needs two fds per connection). */
export function idleCount(/** @type {Ctx} */ ctx, /** @type {Scenario} */ sc) {
  if (sc.mode === 'http') return ctx.idle;
  return Math.min(ctx.idle, Math.floor((ctx.fd.limit - 200) / 2));
}

/** Idle connections against one proxy: RSS before and with them. */
async function measureIdle(/** @type {Ctx} */ ctx, /** @type {Scenario} */ sc, proxy, backendPort) {
  const n = idleCount(ctx, sc);
  const port = await freePort();
  const l = await launch(ctx, sc, proxy, port, backendPort);
  if (l.status !== 'ok' || !('proc' in l)) return l;
  const proc = l.proc;
  /** @type {import('./lib/procs.mjs').Proc | null} */
  let client = null;
  try {
    const p = await probe(port, '/');
    if (p.error || p.status !== 200)
      return { status: 'failed', reason: `probe GET /: ${p.error ?? `status ${p.status}`}` };
    await sleep(500);
    const baseKiB = rssKiB(proc.pid);
    const baseSockets = socketCount(proc.pid);
    client = start(
      'idle-clients',
      [ctx.node, join(ctx.root, 'bench/idle-clients.mjs'), String(port), String(n)],
      { cpu: ctx.cores.load, fdLimit: ctx.fd.limit },
    );
    const c = client;
    const readyBy = Date.now() + 60_000;
    while (!/^READY /m.test(c.output()) && !c.exit && !proc.exit && Date.now() < readyBy) await sleep(100);
    const ready = /^READY (.*)$/m.exec(c.output());
    if (!ready) return { status: 'failed', reason: `idle clients: ${c.output().trim().slice(-300)}` };
    // wait until the proxy has accepted them all (its socket count stops growing)
    const perConn = sc.mode === 'tcp' ? 2 : 1;
    let held = socketCount(proc.pid) - baseSockets;
    let still = 0;
    const heldBy = Date.now() + 20_000;
    while (held < n * perConn && still < 10 && Date.now() < heldBy && !proc.exit) {
      await sleep(200);
      const now = socketCount(proc.pid) - baseSockets;
      still = now === held ? still + 1 : 0;
      held = now;
    }
    await sleep(1000);
    if (proc.exit) return { status: 'failed', reason: `exited with idle connections open: ${tail(proc)}` };
    const kib = rssKiB(proc.pid);
    held = socketCount(proc.pid) - baseSockets;
    const statuses = [...c.output().matchAll(/^STATUS (.*)$/gm)];
    const st = JSON.parse(statuses.length ? statuses[statuses.length - 1][1] : ready[1]);
    return {
      status: 'ok',
      count: n,
      open: st.open,
      failedConns: st.failed,
      proxySockets: held,
      baseMiB: baseKiB / 1024,
      rssMiB: kib / 1024,
      perConnKiB: (kib - baseKiB) / Math.max(1, st.open),
      threads: threadCount(proc.pid),
    };
  } finally {
    if (client) await stop(client);
    await stop(proc);
  }
}

/**
 * Run the selected scenarios. Returns { results: Map<scenarioKey, Map<proxyKey, result>> }.
 * @param {Ctx} ctx
 * @param {string[]} keys
 */
export async function runTraffic(ctx, keys) {
  /** @type {Map<string, Map<string, any>>} */
  const results = new Map();
  const selected = SCENARIOS.filter((s) => keys.includes(s.key));
  const noLoad = ['wrk', 'nginx'].filter((t) => ctx.missing.includes(t));
  if (noLoad.length) {
    for (const sc of selected) {
      const reason = `${noLoad.join(' and ')} not installed`;
      const row = new Map(sc.proxies.map((p) => [p, { status: 'skipped', reason }]));
      if (sc.kind === 'wrk' || noLoad.includes('nginx')) results.set(sc.key, row);
    }
    if (noLoad.includes('nginx')) return results;
  }
  const nginx = await startNginx(join(ctx.dir, 'nginx'), { cpu: ctx.cores.load, fdLimit: ctx.fd.limit });
  try {
    for (const sc of selected) {
      if (results.has(sc.key)) continue;
      const row = new Map();
      results.set(sc.key, row);
      // wrk rows run in rounds with the proxies interleaved (A B C A B C …), so a slow spell of the
      // machine hits every proxy alike; the run with the median CPU/request of each proxy is kept
      const rounds = sc.kind === 'wrk' ? (ctx.rounds ?? 1) : 1;
      /** @type {Map<string, any[]>} */
      const runs = new Map(sc.proxies.map((p) => [p, []]));
      for (let round = 0; round < rounds; round++) {
        for (const proxy of sc.proxies) {
          const t0 = performance.now();
          const r =
            sc.kind === 'wrk'
              ? await measureWrk(ctx, sc, proxy, nginx)
              : await measureIdle(ctx, sc, proxy, nginx.port);
          runs.get(proxy)?.push(r);
          const took = ((performance.now() - t0) / 1000).toFixed(1);
          const of = rounds > 1 ? ` [round ${round + 1}/${rounds}]` : '';
          ctx.log(`${sc.key} ${ctx.labels[proxy]}${of}: ${summary(r)} (${took} s)`);
        }
      }
      for (const [proxy, rs] of runs) row.set(proxy, medianRun(rs));
    }
  } finally {
    await nginx.stop();
  }
  return results;
}

/** Of several runs, the one with the median CPU per request (a failed run wins: it is reported). */
function medianRun(/** @type {any[]} */ rs) {
  const failed = rs.find((r) => r.status !== 'ok');
  if (failed || rs.length === 1) return failed ?? rs[0];
  const sorted = [...rs].sort((a, b) => a.cpuUs - b.cpuUs);
  const m = sorted[Math.floor((sorted.length - 1) / 2)];
  m.rounds = rs.length;
  m.cpuUsAll = rs.map((r) => r.cpuUs);
  return m;
}

function summary(/** @type {any} */ r) {
  if (r.status !== 'ok') return `${r.status}: ${r.reason}`;
  if ('cpuUs' in r)
    return `${r.cpuUs.toFixed(1)} µs CPU/req, ${Math.round(r.rps)} req/s, p99 ${r.p99ms.toFixed(2)} ms, ${r.mibps.toFixed(0)} MiB/s${r.errors ? `, ${r.errors} errors` : ''}`;
  return `${r.open} idle connections open, RSS ${r.baseMiB.toFixed(1)} -> ${r.rssMiB.toFixed(1)} MiB`;
}
