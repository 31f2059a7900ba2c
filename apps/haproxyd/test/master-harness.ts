/**
 * Shared by the master-*.test.ts files: HTTP client loops (undici, keep-alive and one new
 * connection per request) that classify every outcome, and the reload series of issue 8
 * run against haproxyd -W, haproxy -W and the classic `-D -sf` reload, with the same
 * configurations (valid changes and invalid ones) and the same offered load.
 *
 * Everything is bounded (requests, time, waits); every process is started through the
 * testkit (process group killed at cleanup) or tracked by its unique config path.
 */

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import {
  type Binary,
  type ProxyHandle,
  renderConfig,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { Agent, request } from 'undici';
import {
  isAlive,
  processesWith,
  readPidfile,
  runLauncher,
  sleep,
  trackConfig,
  waitGone,
} from './reload-harness.ts';

// --- client loops ---------------------------------------------------------------------------

export type HttpOutcome = 'ok' | 'non2xx' | 'refused' | 'reset' | 'timeout' | 'other';

export type HttpCounts = Record<HttpOutcome, number>;

export function zeroHttpCounts(): HttpCounts {
  return { ok: 0, non2xx: 0, refused: 0, reset: 0, timeout: 0, other: 0 };
}

export function httpFailures(c: HttpCounts): number {
  return c.non2xx + c.refused + c.reset + c.timeout + c.other;
}

export interface LoadOptions {
  url: string;
  /** true: a pool of keep-alive connections; false: one new connection per request */
  keepAlive: boolean;
  workers: number;
  ratePerSec: number;
  maxRequests: number;
  maxMs: number;
  timeoutMs?: number;
}

export interface Load {
  readonly counts: HttpCounts;
  readonly samples: string[];
  /** performance.now() of each failure */
  readonly failedAt: number[];
  requests(): number;
  stop(): void;
  /** resolves once every worker stopped and the agent is closed */
  done: Promise<void>;
}

function classify(err: unknown): HttpOutcome {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'reset';
  if (code.includes('TIMEOUT') || e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  return 'other';
}

/** The keep-alive loop's idle timeout (HAP_MASTER_KEEPALIVE_MS, default 300 ms). */
const KEEPALIVE_MS = Number(process.env['HAP_MASTER_KEEPALIVE_MS'] ?? 300);

/** An open-loop client: `ratePerSec` requests/s shared by `workers`, bounded by count and time. */
export function startLoad(o: LoadOptions): Load {
  const timeoutMs = o.timeoutMs ?? 5000;
  const agent = new Agent({
    connections: o.keepAlive ? o.workers : null,
    // a client closes its idle connections before the server would (as it should, HTTP
    // clients use a keep-alive timeout below the server's): 300 ms, below the master's drain
    keepAliveTimeout: o.keepAlive ? KEEPALIVE_MS : 1,
    keepAliveMaxTimeout: KEEPALIVE_MS,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const counts = zeroHttpCounts();
  const samples: string[] = [];
  const failedAt: number[] = [];
  const t0 = performance.now();
  let stopped = false;
  let sent = 0;
  let nextSlot = 0;
  const interval = 1000 / o.ratePerSec;
  const running = () => !stopped && sent < o.maxRequests && performance.now() - t0 < o.maxMs;
  const worker = async () => {
    while (running()) {
      const now = performance.now() - t0;
      const slot = Math.max(nextSlot, now);
      nextSlot = slot + interval;
      if (slot - now > 1) await sleep(slot - now);
      if (!running()) break;
      sent++;
      let outcome: HttpOutcome;
      let detail = '';
      try {
        const res = await request(o.url, {
          dispatcher: agent,
          reset: !o.keepAlive,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.body.text();
        outcome = res.statusCode >= 200 && res.statusCode < 300 ? 'ok' : 'non2xx';
        if (outcome !== 'ok') detail = `status ${res.statusCode}`;
      } catch (err) {
        outcome = classify(err);
        const e = err as { code?: string; message?: string };
        detail = `${e.code ?? ''} ${e.message ?? ''}`.trim();
      }
      counts[outcome]++;
      if (outcome !== 'ok') failedAt.push(performance.now());
      if (outcome !== 'ok' && samples.length < 10)
        samples.push(`${outcome} at ${(performance.now() - t0).toFixed(0)} ms: ${detail}`);
    }
  };
  const done = Promise.all(Array.from({ length: o.workers }, worker)).then(async () => {
    await agent.close().catch(() => agent.destroy());
  });
  return {
    counts,
    samples,
    failedAt,
    requests: () => sent,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

// --- the reload series --------------------------------------------------------------------------

export type Setup = 'haproxyd -W' | 'haproxy -W' | 'haproxyd -sf' | 'haproxy -sf';

export interface SeriesOptions {
  setup: Setup;
  reloads: number;
  /** every n-th reload (n, 2n, ...) uses an invalid configuration */
  invalidEvery: number;
  /** ms between the end of a reload and the start of the next */
  spacingMs: number;
  ratePerSec: number;
  workers: number;
  port: number;
  /** a second port that some configurations bind and others do not */
  port2: number;
  backend: string;
}

export interface SeriesResult {
  setup: Setup;
  reloads: number;
  validReloads: number;
  invalidReloads: number;
  /** reloads whose outcome was not the expected one (a valid config refused, an invalid one taken) */
  unexpected: string[];
  keepAlive: HttpCounts;
  newConn: HttpCounts;
  samples: string[];
  durationMs: number;
  /** for each failure: ms since the last reload had completed (-1: before the first) */
  failedAfterReloadMs: number[];
  /** -W: SIGUSR2 sent again because no reload started within 1 s */
  lostSignals: number;
  /** processes left running this configuration after the final stop */
  leftover: number[];
}

const TEMPLATE = `global
\${GLOBAL}
defaults
  mode http
  timeout connect 5s
  timeout client \${TC}s
  timeout server 10s
frontend fe
  bind 127.0.0.1:\${PORT}
\${EXTRA}
  default_backend be
backend be
  server s1 \${BACKEND}
`;

/** The configuration of reload `i` (0 = the first start). */
export function configText(o: SeriesOptions, i: number, global = ''): string {
  const invalid = i > 0 && i % o.invalidEvery === 0;
  const extra = [
    i % 3 === 1 ? `  bind 127.0.0.1:${o.port2}` : '',
    invalid ? '  bogus-keyword-for-the-test on' : '',
  ]
    .filter((l) => l !== '')
    .join('\n');
  return renderConfig(TEMPLATE, {
    GLOBAL: global,
    TC: 10 + (i % 4),
    PORT: o.port,
    EXTRA: extra,
    BACKEND: o.backend,
  });
}

export function startPlainBackend() {
  return startHttpBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
    res.end('ok\n');
  });
}

function countMatches(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0;
}

/** Waits (bounded) until `get()` is at least `want`. */
async function waitFor(get: () => number, want: number, maxMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < maxMs) {
    if (get() >= want) return true;
    await sleep(10);
  }
  return get() >= want;
}

const RELOAD_DONE = /Loading success\.|Loading failure!/g;
const RELOAD_START = /Reloading (HAProxy|haproxyd)/g;

/** One series: start, run both client loops, reload `reloads` times, stop, count. */
export async function runSeries(o: SeriesOptions): Promise<SeriesResult> {
  const binary: Binary = o.setup.startsWith('haproxyd') ? 'haproxyd' : 'haproxy';
  const masterWorker = o.setup.endsWith('-W');
  const tag = o.setup.replace(/[^a-z]/g, '');
  const cfg = writeConfig(configText(o, 0), `series-${tag}-${o.port}.cfg`);
  trackConfig(cfg);
  const pidfile = `${tempDir()}/series-${tag}-${o.port}.pid`;
  let proxy: ProxyHandle | undefined;
  if (masterWorker) {
    proxy = await startProxy(binary, cfg, { baseArgs: ['-W'], readyPorts: [o.port], readyTimeoutMs: 20_000 });
  } else {
    const r = await runLauncher(binary, ['-D', '-p', pidfile, '-f', cfg]);
    if (r.code !== 0) throw new Error(`${o.setup} did not start: ${r.stderr}`);
  }
  const url = `http://127.0.0.1:${o.port}/`;
  const common = {
    url,
    workers: o.workers,
    ratePerSec: o.ratePerSec,
    maxRequests: 1_000_000,
    maxMs: 600_000,
  };
  const ka = startLoad({ ...common, keepAlive: true });
  const nc = startLoad({ ...common, keepAlive: false });
  const t0 = performance.now();
  await sleep(300);
  const unexpected: string[] = [];
  let valid = 0;
  let invalid = 0;
  let lostSignals = 0;
  const reloadedAt: number[] = [];
  for (let i = 1; i <= o.reloads; i++) {
    const isInvalid = i % o.invalidEvery === 0;
    writeFileSync(cfg, configText(o, i));
    if (isInvalid) invalid++;
    else valid++;
    if (masterWorker) {
      const before = countMatches(proxy!.stderr(), RELOAD_DONE);
      const started = countMatches(proxy!.stderr(), RELOAD_START);
      proxy!.signal('SIGUSR2');
      // HAProxy 2.6's master may lose a SIGUSR2 that arrives just after a reload: sent again
      // (and counted) when no reload started within 1 s
      for (let k = 0; k < 5; k++) {
        if (await waitFor(() => countMatches(proxy!.stderr(), RELOAD_START), started + 1, 1000)) break;
        lostSignals++;
        proxy!.signal('SIGUSR2');
      }
      const ok = await waitFor(() => countMatches(proxy!.stderr(), RELOAD_DONE), before + 1, 20_000);
      const last = proxy!.stderr().match(RELOAD_DONE)?.at(-1);
      if (!ok) unexpected.push(`reload ${i}: no outcome within 20 s; stderr: ${proxy!.stderr().slice(-800)}`);
      else if ((last === 'Loading failure!') !== isInvalid) unexpected.push(`reload ${i}: ${last}`);
    } else {
      const old = readPidfile(pidfile);
      const r = await runLauncher(binary, ['-D', '-p', pidfile, '-f', cfg, '-sf', ...old.map(String)]);
      if ((r.code !== 0) !== isInvalid)
        unexpected.push(`reload ${i}: exit ${r.code} ${r.stderr.slice(0, 300)}`);
    }
    reloadedAt.push(performance.now());
    await sleep(o.spacingMs);
  }
  await sleep(300);
  ka.stop();
  nc.stop();
  await Promise.all([ka.done, nc.done]);
  const durationMs = performance.now() - t0;
  if (proxy !== undefined) await proxy.stop(5000);
  else {
    for (const pid of processesWith(cfg)) {
      try {
        process.kill(pid, 'SIGUSR1');
      } catch {}
    }
    for (const pid of processesWith(cfg)) await waitGone(pid, 5000);
  }
  await sleep(100);
  return {
    setup: o.setup,
    reloads: o.reloads,
    validReloads: valid,
    invalidReloads: invalid,
    unexpected,
    keepAlive: { ...ka.counts },
    newConn: { ...nc.counts },
    samples: [...ka.samples.map((s) => `keep-alive ${s}`), ...nc.samples.map((s) => `new-conn ${s}`)],
    durationMs,
    lostSignals,
    failedAfterReloadMs: [...ka.failedAt, ...nc.failedAt].map((t) => {
      const last = reloadedAt.filter((r) => r <= t).at(-1);
      return last === undefined ? -1 : Math.round(t - last);
    }),
    leftover: processesWith(cfg),
  };
}

export const SERIES_HEADER = [
  '| setup | reloads (valid/invalid) | client | requests | ok | refused | reset | non-2xx | timeout | other | failed |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];

export function seriesRows(r: SeriesResult): string[] {
  const row = (client: string, c: HttpCounts) =>
    `| ${r.setup} | ${r.reloads} (${r.validReloads}/${r.invalidReloads}) | ${client} | ${c.ok + httpFailures(c)} | ${c.ok} | ${c.refused} | ${c.reset} | ${c.non2xx} | ${c.timeout} | ${c.other} | **${httpFailures(c)}** |`;
  return [row('keep-alive', r.keepAlive), row('new connection per request', r.newConn)];
}

// --- processes ----------------------------------------------------------------------------------

/** Children of `pid` (from /proc/<pid>/task/<pid>/children, else a /proc scan). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === pid) out.push(Number(name));
      } catch {}
    }
    return out;
  }
}

export { isAlive };

/** Sends `commands` (one line) to a master CLI socket; resolves with everything it answered. */
export function masterCli(path: string, commands: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path });
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`master CLI ${path}: no end of answer to '${commands}' within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.end(`${commands}\n`));
    s.on('data', (c: string) => {
      out += c;
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** `show proc` parsed: the master line and the pids of current and old workers. */
export function parseShowProc(text: string): {
  master: { pid: number; reloads: number; failed: number } | undefined;
  workers: { pid: number; reloads: number }[];
  old: { pid: number; reloads: number }[];
} {
  let section: 'master' | 'workers' | 'old' | 'other' = 'master';
  const r: ReturnType<typeof parseShowProc> = { master: undefined, workers: [], old: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('#<PID>')) continue;
    if (line === '# workers') section = 'workers';
    else if (line === '# old workers') section = 'old';
    else if (line.startsWith('#')) section = 'other';
    else {
      const f = line.trim().split(/\s+/);
      if (f.length < 3 || !/^\d+$/.test(f[0]!)) continue;
      if (section === 'master') {
        const m = /(\d+) \[failed: (\d+)\]/.exec(line);
        r.master = { pid: Number(f[0]), reloads: Number(m?.[1]), failed: Number(m?.[2]) };
      } else if (section === 'workers') r.workers.push({ pid: Number(f[0]), reloads: Number(f[2]) });
      else if (section === 'old') r.old.push({ pid: Number(f[0]), reloads: Number(f[2]) });
    }
  }
  return r;
}
