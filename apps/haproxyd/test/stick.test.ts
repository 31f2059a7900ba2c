// End-to-end: `stick-table` + `stick on|match|store-request` persistence in real HAProxy 2.6
// and in haproxyd, the same configuration and the same sequence of connections from several
// client addresses (127.0.0.x): the same server must answer each one.
import net from 'node:net';
import {
  type Binary,
  freePorts,
  oneShot,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';

useTestkit();
beforeAll(() => void requireHaproxy());

interface Scenario {
  name: string;
  mode: 'tcp' | 'http';
  lines: string[];
  /** client address (last byte) and path of each request, in order */
  requests: [number, string][];
  /** Client .2 is stored on its first request: all its requests land on one server. */
  sticksFromFirst?: boolean;
}

const CLIENTS: [number, string][] = [2, 3, 4, 2, 5, 3, 2, 4, 6, 5, 2, 3].map((c, i) => [c, `/r${i}`]);

const SCENARIOS: Scenario[] = [
  {
    name: 'mode tcp, stick on src',
    mode: 'tcp',
    lines: ['stick-table type ip size 100 expire 1m', 'stick on src'],
    requests: CLIENTS,
    sticksFromFirst: true,
  },
  {
    name: 'mode tcp, stick match + store-request in another table',
    mode: 'tcp',
    lines: ['stick match src table st', 'stick store-request src table st'],
    requests: CLIENTS,
    sticksFromFirst: true,
  },
  {
    name: 'mode http, stick on src',
    mode: 'http',
    lines: ['stick-table type ip size 100 expire 1m', 'stick on src'],
    requests: CLIENTS,
    sticksFromFirst: true,
  },
  {
    name: 'mode http, stick match src, stored only for some paths',
    mode: 'http',
    lines: [
      'stick-table type ip size 100',
      'stick match src',
      'stick store-request src if { path_beg /r1 /r2 /r4 }',
    ],
    requests: CLIENTS,
  },
  {
    name: 'mode tcp, stick on src if a condition',
    mode: 'tcp',
    lines: ['stick-table type ip size 100', 'stick on src if { src 127.0.0.2 127.0.0.3 }'],
    requests: CLIENTS,
    sticksFromFirst: true,
  },
];

async function sequence(binary: Binary, sc: Scenario, backends: { port: number }[]): Promise<string[]> {
  const [port] = (await freePorts(1)) as [number];
  const cfg = writeConfig(
    [
      'defaults',
      `  mode ${sc.mode}`,
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      ...sc.lines.map((l) => `  ${l}`),
      ...backends.map((b, i) => `  server s${i + 1} 127.0.0.1:${b.port}`),
      'backend st',
      '  stick-table type ip size 100',
      '',
    ].join('\n'),
    `${binary}-${sc.name.replace(/\W+/g, '-')}.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  const got: string[] = [];
  for (const [c, path] of sc.requests) {
    const a = await oneShot(port, { path, from: `127.0.0.${c}` });
    got.push(a.body || a.statusLine);
  }
  await proxy.stop();
  return got;
}

describe('stick tables: the same server for the same client as HAProxy', () => {
  for (const sc of SCENARIOS) {
    it(sc.name, async () => {
      const backends = await Promise.all(
        [1, 2, 3].map((i) =>
          startHttpBackend((_req, res) => {
            res.end(`s${i}`);
          }),
        ),
      );
      const want = await sequence('haproxy', sc, backends);
      const got = await sequence('haproxyd', sc, backends);
      expect(got).toEqual(want);
      // persistence shows: client .2 always lands on one server while roundrobin moves on
      const of2 = want.filter((_, i) => sc.requests[i]![0] === 2);
      if (sc.sticksFromFirst) expect(new Set(of2).size).toBe(1);
      expect(new Set(want).size).toBeGreaterThan(1);
    });
  }
});

/** `n` requests on one keep-alive connection from `from`; each answer's status line and body. */
function askMany(port: number, from: string, paths: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let buf = '';
    const answers: string[] = [];
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`stalled after ${answers.length} answers; got ${JSON.stringify(buf)}`));
    }, 5000);
    const next = () => {
      const p = paths[answers.length];
      if (p === undefined) {
        clearTimeout(t);
        s.end();
        resolve(answers);
        return;
      }
      s.write(`GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`);
    };
    s.on('error', reject);
    s.on('connect', next);
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        answers.push(`${buf.slice(0, buf.indexOf('\r\n'))} ${buf.slice(end + 4, end + 4 + len)}`);
        buf = buf.slice(end + 4 + len);
        next();
      }
    });
    s.on('close', () => {
      clearTimeout(t);
      if (answers.length < paths.length) resolve([...answers, 'closed']);
    });
  });
}

describe('stick counters: track-sc, sc_* fetches and rate limiting as HAProxy', () => {
  it('http-request track-sc0, sc-inc-gpc0, tcp-request connection track-sc1, a rate limit', async () => {
    const [be] = await Promise.all([
      startHttpBackend((_req, res) => {
        res.end('ok');
      }),
    ]);
    const run = async (binary: Binary): Promise<string[]> => {
      const [port] = (await freePorts(1)) as [number];
      const cfg = writeConfig(
        [
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  stick-table type ip size 100 expire 60s store http_req_rate(60s),http_req_cnt,gpc0,conn_cnt,conn_cur,http_err_cnt',
          '  tcp-request connection track-sc1 src table conns',
          '  http-request track-sc0 src',
          '  http-request sc-inc-gpc0(0) if { path_beg /count }',
          '  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 6 }',
          '  http-request return status 200 content-type text/plain lf-string "rate=%[sc_http_req_rate(0)] cnt=%[sc0_http_req_cnt] gpc0=%[sc_get_gpc0(0)] conn=%[sc_conn_cnt(0)] cur1=%[sc1_conn_cur] conns1=%[sc_conn_cnt(1)] src=%[src_http_req_cnt] tbl=%[table_cnt]" if { path_beg /show }',
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${be.port}`,
          'backend conns',
          '  stick-table type ip size 100 expire 60s store conn_cnt,conn_cur,sess_cnt,http_req_cnt',
          '',
        ].join('\n'),
        `${binary}-track.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const out: string[] = [];
      out.push(...(await askMany(port, '127.0.0.2', ['/show', '/count', '/count', '/show'])));
      out.push(...(await askMany(port, '127.0.0.3', ['/x', '/show'])));
      out.push(...(await askMany(port, '127.0.0.2', ['/show', '/a', '/b', '/show', '/c'])));
      out.push(...(await askMany(port, '127.0.0.3', ['/show'])));
      await proxy.stop();
      return out;
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got).toEqual(want);
    // the limit was reached in the sequence: a 429 was seen
    expect(want.some((a) => a.startsWith('HTTP/1.1 429'))).toBe(true);
  });
});
