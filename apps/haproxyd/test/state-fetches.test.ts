// The fetches of the proxies' state and identity (avg_queue, connslots, be_conn_free,
// srv_conn, srv_conn_free, the per-second rates, be_id, fe_id, srv_id, fe_defbe and the
// configured timeouts), differential: the same configuration runs in HAProxy 2.6 and in
// haproxyd, the same traffic goes through each, and what the rules print is compared. Loads
// are made deterministic by requests a slow backend holds; rates are compared through the
// bounds a burst of N sessions must give on both sides (a sliding second is not exact).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  type Binary,
  checkConfig,
  freePorts,
  oneShot,
  request,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { cli } from './stats-harness.ts';

useTestkit();
requireHaproxy();

const BURST = 12;

function config(port: number, ratePort: number, app: number, sock: string): string {
  const text = (s: string) => `http-request return status 200 content-type text/plain lf-string "${s}"`;
  return [
    'global',
    `  stats socket ${sock} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 7s',
    '  timeout server 9s',
    '  timeout queue 20s',
    'frontend fe',
    '  id 7',
    `  bind 127.0.0.1:${port}`,
    `  ${text('ids %[fe_id] %[fe_defbe] %[fe_client_timeout]')} if { path /ids }`,
    `  ${text('load %[avg_queue(be)] %[connslots(be)] %[be_conn_free(be)] %[srv_conn(be/s1)] %[srv_conn_free(be/s1)] %[srv_conn(be/s2)] %[srv_conn_free(be/s2)] %[queue(be)]')} if { path /load }`,
    '  default_backend be',
    'backend be',
    '  id 20',
    '  balance first',
    '  timeout tunnel 11s',
    // the stream's own timeouts are 0 until it has a server connection
    '  http-request set-var(txn.cur) cur_server_timeout',
    '  http-response set-header x-ids "%[srv_id] %[be_id] %[fe_id] %[be_server_timeout] %[be_tunnel_timeout]"',
    '  http-response set-header x-cur "%[var(txn.cur)] %[cur_server_timeout] %[cur_tunnel_timeout]"',
    '  http-response set-header x-weights "%[srv_weight(s1)] %[srv_iweight(s1)] %[srv_uweight(s1)] %[srv_weight(be/s2)] %[srv_iweight(be/s2)] %[srv_uweight(be/s2)]"',
    `  server s1 127.0.0.1:${app} maxconn 2 maxqueue 5 id 4`,
    `  server s2 127.0.0.1:${app} maxconn 3 maxqueue 4 id 9`,
    'frontend fr',
    `  bind 127.0.0.1:${ratePort}`,
    `  ${text('rate %[fe_sess_rate] %[fe_req_rate] %[be_sess_rate(br)] %[srv_sess_rate(br/r1)]')} if { path /rate }`,
    '  default_backend br',
    'backend br',
    `  server r1 127.0.0.1:${app}`,
    '',
  ].join('\n');
}

interface Run {
  ids: string;
  idsHeader: string;
  curHeader: string;
  weights: string;
  loadIdle: string;
  loadFull: string;
  loadQueued: string;
  rate: number[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(binary: Binary): Promise<Run> {
  // /slow is held until released; everything else is answered at once
  const held: ServerResponse[] = [];
  const app = await startHttpBackend((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/slow') {
      held.push(res);
      return;
    }
    res.writeHead(200, { 'content-length': 2 });
    res.end('ok');
  });
  const [port, ratePort] = (await freePorts(2)) as [number, number];
  const sock = join(tempDir(), `state-fetches-${binary}.sock`);
  const cfg = writeConfig(config(port, ratePort, app.port, sock), `state-fetches-${binary}.cfg`);
  const proxy = await startProxy(binary, cfg, { readyPorts: [port, ratePort] });
  const pending: Promise<unknown>[] = [];
  try {
    const body = async (path: string) => (await oneShot(port, { path })).body;
    const ids = await body('/ids');
    const r = await request(`http://127.0.0.1:${port}/fast`);
    const idsHeader = String(r.headers['x-ids']);
    const curHeader = String(r.headers['x-cur']);
    // the runtime API changes a weight: srv_weight and srv_uweight follow, srv_iweight stays
    await cli(sock, 'set weight be/s2 7');
    const weights = String((await request(`http://127.0.0.1:${port}/fast`)).headers['x-weights']);
    const loadIdle = await body('/load');
    // four held requests: s1 takes two (its maxconn), s2 the next two (balance first)
    for (let i = 0; i < 4; i++) pending.push(oneShot(port, { path: '/slow', timeoutMs: 30_000 }));
    await waitFor('4 held requests', async () => (held.length === 4 ? true : undefined));
    const loadFull = await body('/load');
    // two more: s2 takes its third, the last one waits in the backend's queue
    for (let i = 0; i < 2; i++) pending.push(oneShot(port, { path: '/slow', timeoutMs: 30_000 }));
    await waitFor('5 held requests', async () => (held.length === 5 ? true : undefined));
    let last = '';
    const loadQueued = await waitFor(`a queued request (${binary})`, async () => {
      last = await body('/load');
      return last.endsWith(' 1') ? last : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; last /load: ${last}; full: ${loadFull}`);
    });
    // a burst of sessions, each a request forwarded to br/r1, then the rates
    for (let i = 0; i < BURST; i++) await oneShot(ratePort, { path: '/fast' });
    const rateText = (await oneShot(ratePort, { path: '/rate' })).body;
    const rate = rateText.split(' ').slice(1).map(Number);
    for (const res of held) {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }
    // the queued one is served once a slot frees
    await waitFor('the queued request served', async () => (held.length === 6 ? true : undefined));
    held[5]!.writeHead(200, { 'content-length': 2 });
    held[5]!.end('ok');
    await Promise.all(pending);
    return { ids, idsHeader, curHeader, weights, loadIdle, loadFull, loadQueued, rate };
  } finally {
    for (const res of held) if (!res.writableEnded) res.destroy();
    await proxy.stop();
    await app.close();
  }
}

/** Requests written at once on one connection (the last one closes it): everything that came back. */
function pipelined(port: number, requests: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end of the answer; got ${JSON.stringify(got)}`));
    }, 10_000);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.write(requests.join(''));
  });
}

/** The bodies of consecutive responses, each sized by its content-length. */
function bodiesOf(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const len = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(at, end))?.[1] ?? 0);
    out.push(text.slice(end + 4, end + 4 + len));
    at = end + 4 + len;
  }
  return out;
}

const STREAM_FACTS =
  'm=%[capture.req.method] u=%[capture.req.uri] v=%[capture.req.ver] h0=%[capture.req.hdr(0)] ' +
  'h1=%[capture.req.hdr(1)] h2=%[capture.req.hdr(2)] h3=%[capture.req.hdr(3)] first=%[http_first_req] ' +
  'major=%[fc_http_major] local=%[src_is_local]%[dst_is_local]%[fc_src_is_local]%[fc_dst_is_local] path=%[path] ' +
  'so=%[so_id] sn=%[so_name] dc=%[dst_conn]';

async function streamFacts(binary: Binary): Promise<string[]> {
  const app = await startHttpBackend((_req, res) => {
    res.writeHead(200, { server: 'Simple', 'content-length': 2 });
    res.end('ok');
  });
  const [port] = (await freePorts(1)) as [number];
  const cfg = writeConfig(
    [
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend fe',
      `  bind 127.0.0.1:${port} name main id 4`,
      '  capture request header Host len 10',
      '  capture request header User-Agent len 5',
      '  capture response header Server len 3',
      '  http-request capture req.hdr(x) len 4',
      '  http-request set-uri /rewritten if { path /p }',
      `  http-request return status 200 content-type text/plain lf-string "${STREAM_FACTS}" if { path /rewritten } || { path /z }`,
      '  default_backend be',
      'backend be',
      '  http-response set-header x-cap "rv=%[capture.res.ver] rh=%[capture.res.hdr(0)] m=%[capture.req.method] u=%[capture.req.uri] first=%[http_first_req]"',
      `  server s1 127.0.0.1:${app.port}`,
      '',
    ].join('\n'),
    `state-fetches-stream-${binary}.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  try {
    const ua = ['User-Agent: abcdefgh', 'x: 123456'];
    const req = (path: string, extra: readonly string[] = []) =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra.map((h) => `${h}\r\n`).join('')}\r\n`;
    const local = await pipelined(port, [req('/p?q=1', ua), req('/z', [...ua, 'Connection: close'])]);
    const forwarded = await pipelined(port, [req('/a'), req('/b', ['Connection: close'])]);
    const bodies = bodiesOf(local);
    const caps = forwarded.split('\r\n').filter((l) => l.toLowerCase().startsWith('x-cap:'));
    return [...bodies, ...caps];
  } finally {
    await proxy.stop();
    await app.close();
  }
}

describe('state and identity fetches, compared with HAProxy', () => {
  it('prints the same ids, timeouts, loads and rate bounds', { timeout: 90_000 }, async () => {
    const a = await run('haproxy');
    const b = await run('haproxyd');
    // ids: the forced ones, the others in configuration order; timeouts in ms
    expect(a.ids).toBe('ids 7 be 7000');
    expect(b.ids).toBe(a.ids);
    expect(a.idsHeader).toBe('4 20 7 9000 11000');
    expect(b.idsHeader).toBe(a.idsHeader);
    expect(a.curHeader).toBe('0 9000 11000');
    expect(b.curHeader).toBe(a.curHeader);
    expect(a.weights).toBe('1 1 1 7 1 7');
    expect(b.weights).toBe(a.weights);
    // no load: (2+5)+(3+4) slots, 5 free connections
    expect(a.loadIdle).toBe('load 0 14 5 0 2 0 3 0');
    expect(b.loadIdle).toBe(a.loadIdle);
    expect(a.loadFull).toBe('load 0 10 1 2 0 2 1 0');
    expect(b.loadFull).toBe(a.loadFull);
    expect(a.loadQueued).toBe('load 1 9 0 2 0 3 0 1');
    expect(b.loadQueued).toBe(a.loadQueued);
    // rates after BURST sessions (+1 for the /rate one on the frontend): a sliding second
    // keeps at least most of a burst that took well under a second
    for (const r of [a.rate, b.rate]) {
      expect(r).toHaveLength(4);
      const [feSess, feReq, beSess, srvSess] = r as [number, number, number, number];
      expect(feSess).toBeGreaterThanOrEqual(BURST - 3);
      expect(feSess).toBeLessThanOrEqual(BURST + 1);
      expect(feReq).toBeGreaterThanOrEqual(BURST - 3);
      expect(feReq).toBeLessThanOrEqual(BURST + 1);
      expect(beSess).toBeGreaterThanOrEqual(BURST - 3);
      expect(beSess).toBeLessThanOrEqual(BURST);
      expect(srvSess).toBeGreaterThanOrEqual(BURST - 3);
      expect(srvSess).toBeLessThanOrEqual(BURST);
    }
  });

  it('prints the same captures, request line, first-request flag, locality and listener', {
    timeout: 60_000,
  }, async () => {
    const a = await streamFacts('haproxy');
    const b = await streamFacts('haproxyd');
    // the request line as received (set-uri changes path, not the capture); slots cut at their length
    expect(a).toEqual([
      'm=GET u=/p?q=1 v=HTTP/1.1 h0=127.0.0.1: h1=abcde h2=1234 h3= first=1 major=1 local=1111 path=/rewritten so=4 sn=main dc=1',
      'm=GET u=/z v=HTTP/1.1 h0=127.0.0.1: h1=abcde h2=1234 h3= first=0 major=1 local=1111 path=/z so=4 sn=main dc=1',
      'x-cap: rv=HTTP/1.1 rh=Sim m=GET u=/a first=1',
      'x-cap: rv=HTTP/1.1 rh=Sim m=GET u=/b first=0',
    ]);
    expect(b).toEqual(a);
  });

  it('refuses unknown backends, frontends and servers in arguments, as HAProxy does', async () => {
    const cfg = writeConfig(
      [
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 1s',
        '  timeout server 1s',
        'frontend fe',
        '  bind 127.0.0.1:10',
        '  http-request set-header a %[connslots(nope)]',
        '  http-request set-header b %[fe_sess_rate(be)]',
        '  http-request set-header c %[srv_conn(be/zz)]',
        '  http-request set-header d %[srv_sess_rate(nob/s1)]',
        '  http-request set-header e %[srv_conn_free]',
        '  http-request set-header f %[be_conn_free()]',
        '  default_backend be',
        'backend be',
        '  server s1 127.0.0.1:1',
        '',
      ].join('\n'),
      'state-fetches-bad.cfg',
    );
    const wanted = [
      "unable to find backend 'nope' referenced in arg 1 of sample fetch keyword 'connslots'",
      "unable to find frontend 'be' referenced in arg 1 of sample fetch keyword 'fe_sess_rate'",
      "unable to find server 'zz' in proxy 'be', referenced in arg 1 of sample fetch keyword 'srv_conn'",
      "unable to find proxy 'nob' referenced in arg 1 of sample fetch keyword 'srv_sess_rate'",
      "missing server name in arg 1 of sample fetch keyword 'srv_conn_free'",
      "proxy 'fe', referenced in arg 1 of sample fetch keyword 'be_conn_free'",
      'has not backend capability',
    ];
    for (const binary of ['haproxy', 'haproxyd'] as const) {
      const r = await checkConfig(binary, [cfg]);
      expect(r.code, binary).toBe(1);
      for (const w of wanted) expect(r.stderr, `${binary}: ${w}`).toContain(w);
    }
  });
});
