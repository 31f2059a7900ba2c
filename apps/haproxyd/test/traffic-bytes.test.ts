// Bytes of HTTP traffic as HAProxy 2.6 counts them, in the log (%U, %B) and in `show stat`
// (bin, bout of the frontend, the backend and the server): the same raw requests, answered
// by the same raw server, through haproxy and haproxyd. HAProxy counts its internal message
// sizes, not the wire: start line parts plus a fixed overhead, names and values of headers
// without the close/keep-alive tokens of Connection, body payload, the end of a chunked body
// and its trailers, interim responses, tunnelled bytes, the server's response as it came
// (before the rules) and the replies it makes itself.
import { connect, type Socket } from 'node:net';
import { type Binary, requireHaproxy, startProxy, startRawBackend } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { exchange } from './helpers.ts';
import { cli, httpConfigWithSocket } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

/** The raw server's answers, by request path. */
const ANSWERS: Record<string, string> = {
  '/plain': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
  '/ka': 'HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi',
  '/conn-token': 'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Foo\r\nContent-Length: 2\r\n\r\nhi',
  '/chunked': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
  '/trailers': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n',
  '/until-close': 'HTTP/1.1 200 OK\r\n\r\nhi',
  '/reason': 'HTTP/1.1 200 Fine Thanks\r\nContent-Length: 2\r\n\r\nhi',
  '/no-content': 'HTTP/1.1 204 No Content\r\n\r\n',
  '/continue': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
  '/hints': 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi',
  '/refused': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
};

/** Requests sent one per connection, each logged on one line. */
const REQUESTS = [
  'GET /plain HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n',
  'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: A , close , B\r\n\r\n',
  'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: upgrade , keep-alive\r\n\r\n',
  'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: close, A,  B, keep-alive, C\r\n\r\n',
  'GET /plain HTTP/1.1\r\nHost: a\r\nConnection: X-Bar\r\nKeep-Alive: 300\r\n\r\n',
  'GET /plain HTTP/1.0\r\n\r\n',
  'GET /plain HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  'POST /plain HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
  'POST /plain HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'POST /plain HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 12\r\n\r\n',
  'GET /plain HTTP/1.1\r\nHost:    a   \r\nX-Empty:\r\n\r\n',
  'GET /ka HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /conn-token HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /trailers HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /until-close HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /reason HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /no-content HTTP/1.1\r\nHost: a\r\n\r\n',
  'HEAD /plain HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /continue HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /hints HTTP/1.1\r\nHost: a\r\n\r\n',
  // the rules' own answers, and a response they refuse after the server sent it
  'GET /add HTTP/1.1\r\nHost: a\r\nX-Del: 1\r\n\r\n',
  'GET /redir HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /deny HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /ret HTTP/1.1\r\nHost: a\r\n\r\n',
  'HEAD /ret HTTP/1.1\r\nHost: a\r\n\r\n',
  'GET /refused HTTP/1.1\r\nHost: a\r\n\r\n',
];

/** A connection that turns into a tunnel (101) and carries 10 bytes each way. */
const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n';

function rawServer(socket: Socket): void {
  let head = '';
  let tunnel = false;
  socket.on('data', (d: Buffer) => {
    if (tunnel) {
      socket.write(d);
      return;
    }
    head += d.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const path = head.split(' ')[1] ?? '';
    if (path === '/ws') {
      tunnel = true;
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n');
      return;
    }
    socket.end(ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  socket.on('end', () => socket.end());
}

/** bin and bout of each `show stat` line, by "proxy/server". */
function bytesColumns(csv: string): Record<string, string> {
  const lines = csv.split('\n').filter((l) => l !== '');
  const names = lines[0]!.slice(2).split(',');
  const bin = names.indexOf('bin');
  const bout = names.indexOf('bout');
  const out: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    out[`${c[0]}/${c[1]}`] = `${c[bin]} in, ${c[bout]} out`;
  }
  return out;
}

async function tunnelRound(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('latin1');
    s.on('error', reject);
    s.on('connect', () => s.write(UPGRADE));
    let sent = false;
    s.on('data', (d: string) => {
      got += d;
      if (!sent && got.includes('\r\n\r\n')) {
        sent = true;
        s.write('0123456789');
      } else if (got.endsWith('0123456789')) s.end();
    });
    s.on('close', () => resolve());
    setTimeout(() => s.destroy(new Error('tunnel timed out')), 5000).unref();
  });
}

describe('bytes counted as HAProxy counts them', () => {
  it('%U, %B and bin/bout of the frontend, backend and server equal HAProxy’s', async () => {
    const server = await startRawBackend(rawServer);
    const run = async (binary: Binary) => {
      const { port, sock, cfg } = await httpConfigWithSocket(
        binary,
        'bytes',
        ['log stdout format raw local0', 'log-format "%{+Q}r U=%U B=%B %ST"'],
        (p) => [
          'frontend fe',
          `  bind 127.0.0.1:${p}`,
          '  http-request set-var(txn.path) path',
          '  http-request set-header X-Add 12345 if { path /add }',
          '  http-request del-header X-Del if { path /add }',
          '  http-request redirect location /x if { path /redir }',
          '  http-request deny if { path /deny }',
          '  http-request return status 200 content-type text/plain string hello if { path /ret }',
          '  http-response set-header X-Resp abc',
          '  http-response deny if { var(txn.path) -m str /refused }',
          '  http-after-response set-header X-After 123456',
          '  option forwardfor',
          '  use_backend tunnel if { path /ws }',
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${server.port}`,
          'backend tunnel',
          `  server t1 127.0.0.1:${server.port}`,
        ],
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      for (const r of REQUESTS) await exchange(port, r);
      await tunnelRound(port);
      await proxy.waitForOutput(/"GET \/ws HTTP\/1\.1" U=/, 5000, 'stdout');
      const lines = proxy
        .stdout()
        .trim()
        .split('\n')
        .filter((l) => l.includes(' U='));
      const stats = bytesColumns(await cli(sock, 'show stat'));
      await proxy.stop();
      return { lines, stats };
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want.lines).toHaveLength(REQUESTS.length + 1);
    // line by line, so that a difference names its request
    for (let i = 0; i < want.lines.length; i++) expect(got.lines[i]).toBe(want.lines[i]);
    expect(got.stats).toEqual(want.stats);
    // the counters are not empty: HAProxy's own figures for this traffic
    expect(want.stats['be/s1']).not.toBe('0 in, 0 out');
    expect(want.stats['tunnel/t1']).toBe('75 in, 86 out');
  });
});
