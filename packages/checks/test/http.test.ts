// HTTP checks: the request bytes (as HAProxy 2.6 writes them, observed on the wire), the
// response parser, expect rules and disable-on-404, over real sockets.
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHttpRequest, type CheckRule, HealthChecker, parseHttpResponse } from '../src/index.ts';
import { HTTP_OK, http, record, scripted, spec } from './helpers.ts';

useTestkit();
let checker: HealthChecker | undefined;
afterEach(async () => {
  await checker?.stop();
  checker = undefined;
});

const req = (over: Partial<Parameters<typeof buildHttpRequest>[0]>) => {
  const r = buildHttpRequest({
    method: 'OPTIONS',
    uri: '/',
    version: 'HTTP/1.0',
    headers: [],
    body: '',
    ...over,
  });
  return r.head + r.tail.toString('latin1');
};

describe('HTTP check requests', () => {
  it.each([
    [{}, 'OPTIONS / HTTP/1.0\r\n\r\n'],
    [
      { method: 'GET', uri: '/x', version: 'HTTP/1.1', headers: [['Host', 'a']] },
      'GET /x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n',
    ],
    [
      {
        method: 'POST',
        uri: '/p',
        version: 'HTTP/1.1',
        headers: [
          ['Host', 'x.y'],
          ['X-A', 'b'],
        ],
        body: 'hello',
      },
      'POST /p HTTP/1.1\r\nhost: x.y\r\nx-a: b\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello',
    ],
    [
      { method: 'HEAD', uri: '/h', headers: [['Connection', 'keep-alive']] },
      'HEAD /h HTTP/1.0\r\nconnection: keep-alive\r\n\r\n',
    ],
    [
      {
        method: 'GET',
        version: 'HTTP/1.1',
        headers: [
          ['Connection', 'Keep-Alive'],
          ['X-Y', 'Z'],
        ],
      },
      'GET / HTTP/1.1\r\nx-y: Z\r\n\r\n',
    ],
    [
      { method: 'GET', headers: [['connection', 'close']], body: 'abc' },
      'GET / HTTP/1.0\r\ncontent-length: 3\r\n\r\nabc',
    ],
    [
      {
        method: 'GET',
        version: 'HTTP/1.1',
        headers: [
          ['Content-Length', '7'],
          ['Transfer-Encoding', 'chunked'],
        ],
      },
      'GET / HTTP/1.1\r\nconnection: close\r\n\r\n',
    ],
    [{ method: 'GET', uri: '/z', version: 'HTTP/2.0' }, 'GET /z HTTP/1.1\r\nconnection: close\r\n\r\n'],
    [{ method: 'GET', version: 'FOO/1.1' }, 'GET / FOO/1.1\r\n\r\n'],
    [
      {
        method: 'POST',
        uri: '/p',
        headers: [
          ['Connection', 'keep-alive'],
          ['X-A', 'b'],
        ],
      },
      'POST /p HTTP/1.0\r\nx-a: b\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n',
    ],
    [
      {
        method: 'POST',
        uri: '/p',
        version: 'HTTP/1.1',
        headers: [
          ['Connection', 'Upgrade'],
          ['X-A', 'b'],
        ],
      },
      'POST /p HTTP/1.1\r\nconnection: Upgrade\r\nx-a: b\r\ncontent-length: 0\r\n\r\n',
    ],
    [{ method: 'DELETE', uri: '/p', version: 'HTTP/1.1' }, 'DELETE /p HTTP/1.1\r\nconnection: close\r\n\r\n'],
    [
      { method: 'PUT', uri: '/p', version: 'HTTP/1.1' },
      'PUT /p HTTP/1.1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
    ],
  ] as const)('%j', (parts, bytes) => {
    expect(req(parts as Partial<Parameters<typeof buildHttpRequest>[0]>)).toBe(bytes);
  });
});

describe('HTTP response parser', () => {
  it('reads length-delimited, chunked and close-delimited bodies', () => {
    expect(parseHttpResponse(Buffer.from(HTTP_OK), false)).toMatchObject({
      state: 'headers',
      status: 200,
      reason: 'OK',
      complete: true,
    });
    const chunked = parseHttpResponse(
      Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'),
      false,
    );
    expect(chunked.body.toString()).toBe('ok');
    expect(chunked.complete).toBe(true);
    expect(parseHttpResponse(Buffer.from('HTTP/1.0 302 Found\r\n\r\nabc'), true)).toMatchObject({
      status: 302,
      complete: true,
    });
    expect(parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'), false).state).toBe('partial');
    expect(parseHttpResponse(Buffer.from('HELLO WORLD\r\n\r\n'), false).state).toBe('error');
    expect(parseHttpResponse(Buffer.from('HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n'), false)).toMatchObject({
      status: 500,
      reason: '',
    });
  });
});

async function run(rules: CheckRule[], replies: Parameters<typeof scripted>[0], n: number, extra = {}) {
  const srv = await scripted(replies);
  const rec = record();
  checker = new HealthChecker(
    [spec({ port: srv.port, inter: 30, rise: 1, fall: 1, kind: { type: 'http', rules }, ...extra })],
    rec.hooks,
  );
  checker.start();
  await rec.waitFor(() => rec.results.length >= n);
  await checker.stop();
  return { rec, srv, results: rec.results.slice(0, n).map((r) => [r.status, r.code, r.info]) };
}

describe('HTTP checks', () => {
  it('default: OPTIONS / HTTP/1.0, 2xx and 3xx pass, others are L7STS with the reason as info', async () => {
    const { results, srv } = await run(
      [],
      [
        { answer: HTTP_OK },
        { answer: http('503 Service Unavailable') },
        { answer: http('302 Found') },
        { answer: 'nope\r\n\r\n' },
        'close',
        'reset',
      ],
      6,
    );
    expect(results).toEqual([
      ['L7OK', 200, ''],
      ['L7STS', 503, 'Service Unavailable'],
      ['L7OK', 302, ''],
      ['L7RSP', 0, ''],
      ['L7RSP', 0, ''],
      ['SOCKERR', 0, 'Connection reset by peer'],
    ]);
    expect(srv.received[0]?.toString()).toBe('OPTIONS / HTTP/1.0\r\n\r\n');
  });

  it('expect string / ! string / rstatus / hdr, with their failure texts', async () => {
    const body = await run(
      [{ action: 'expect', match: { kind: 'string', value: 'ok' } }],
      [{ answer: HTTP_OK }, { answer: http('200 OK', 'error') }, { answer: http('200 OK') }],
      3,
    );
    expect(body.results).toEqual([
      ['L7OK', 200, ''],
      ['L7RSP', 200, 'HTTP content check did not match'],
      ['L7RSP', 200, 'HTTP content check could not find a response body'],
    ]);
    await checker?.stop();
    const neg = await run(
      [
        { action: 'comment', text: 'hello' },
        { action: 'expect', match: { kind: 'rstatus', pattern: '^5' }, negate: true },
      ],
      [{ answer: HTTP_OK }, { answer: http('500 Boom') }],
      2,
    );
    expect(neg.results).toEqual([
      ['L7OK', 200, ''],
      ['L7STS', 500, 'Boom comment: hello'],
    ]);
    await checker?.stop();
    const hdr = await run(
      [
        {
          action: 'expect',
          match: { kind: 'hdr', name: 'x-a', nameMethod: 'str', value: 'bar', valueMethod: 'str' },
        },
      ],
      [{ answer: http('200 OK', '', 'X-A: foo, bar\r\n') }, { answer: HTTP_OK }],
      2,
    );
    expect(hdr.results).toEqual([
      ['L7OK', 200, ''],
      ['L7STS', 200, 'OK'],
    ]);
  });

  it('disable-on-404 turns a running server to NOLB (stopping) and a 2xx brings it back', async () => {
    const srv = await scripted([{ answer: HTTP_OK }, { answer: http('404 Not Found') }, { answer: HTTP_OK }]);
    const rec = record();
    checker = new HealthChecker(
      [spec({ port: srv.port, inter: 30, disableOn404: true, kind: { type: 'http', rules: [] } })],
      rec.hooks,
    );
    checker.start();
    await rec.waitFor(() => rec.changes.length >= 2);
    expect(rec.changes.map((c) => [c.current.oper, c.current.effective])).toEqual([
      ['stopping', 'drain'],
      ['up', 'up'],
    ]);
    expect(rec.texts()).toEqual([
      'Server be/s1 is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: _ms. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'backend be has no server available!',
      'Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: _ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    ]);
  });

  it('send-state adds x-haproxy-server-state', async () => {
    const srv = await scripted([{ answer: HTTP_OK }]);
    const rec = record();
    checker = new HealthChecker(
      [spec({ port: srv.port, sendState: true, kind: { type: 'http', rules: [] } })],
      rec.hooks,
    );
    checker.start();
    await rec.waitFor(() => rec.results.length >= 1);
    expect(srv.received[0]?.toString()).toMatch(
      new RegExp(
        `^OPTIONS / HTTP/1.0\\r\\nx-haproxy-server-state: UP 1/2; address=127.0.0.1; port=${srv.port}; name=be/s1; node=[^;]+; weight=1/1; scur=0/0; qcur=0\\r\\n\\r\\n$`,
      ),
    );
  });
});
