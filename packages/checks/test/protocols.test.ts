// tcp-check rules and the protocol checks (redis, mysql, pgsql, smtp, ldap, ssl-hello)
// against fake servers speaking their bytes; statuses, codes and info texts as HAProxy's.
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckKind, HealthChecker } from '../src/index.ts';
import { deadPort, type Reply, record, scripted, spec } from './helpers.ts';

useTestkit();
let checker: HealthChecker | undefined;
afterEach(async () => {
  await checker?.stop();
  checker = undefined;
});

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const mysqlPkt = (seq: number, payload: Buffer) => {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
};
const MYSQL_HS = mysqlPkt(
  0,
  Buffer.concat([Buffer.from([10]), Buffer.from('8.0.1-test\0'), Buffer.alloc(20, 1)]),
);
const MYSQL_OK = mysqlPkt(2, hex('00000002000000'));
const MYSQL_ERR = mysqlPkt(2, Buffer.concat([hex('ff1504'), Buffer.from('#28000Access denied')]));

async function run(kind: CheckKind, replies: readonly Reply[], over: Record<string, unknown> = {}) {
  const srv = await scripted(replies);
  const rec = record();
  checker = new HealthChecker(
    [spec({ port: srv.port, inter: 30, rise: 1, fall: 1, kind, ...over })],
    rec.hooks,
  );
  checker.start();
  await rec.waitFor(() => rec.results.length >= replies.length);
  await checker.stop();
  return { srv, results: rec.results.slice(0, replies.length).map((r) => [r.status, r.code, r.info]) };
}

describe('tcp-check', () => {
  it('send / expect string: success, mismatch, empty answer, partial answer', async () => {
    const { results, srv } = await run(
      {
        type: 'tcp-check',
        rules: [
          { action: 'send', data: 'PING\r\n' },
          { action: 'expect', match: { kind: 'string', value: '+PONG' } },
        ],
      },
      [{ answer: '+PONG\r\n' }, { answer: '-ERR x\r\n' }, 'read-close', { answer: '+PO' }],
    );
    expect(results).toEqual([
      ['L7OK', 0, '(tcp-check)'],
      ['L7RSP', 0, "TCPCHK did not match content '+PONG' at step 2"],
      ['L7RSP', 0, 'TCPCHK got an empty response at step 2'],
      ['L7RSP', 0, "TCPCHK did not match content '+PONG' at step 2"],
    ]);
    expect(srv.received[0]?.toString()).toBe('PING\r\n');
  });

  it('comments, negated matches, binary sends and a timeout that names the step', async () => {
    const { results } = await run(
      {
        type: 'tcp-check',
        rules: [
          { action: 'comment', text: 'hello' },
          { action: 'send', data: 'PING\r\n', comment: 'sending' },
          { action: 'expect', match: { kind: 'rstring', pattern: '^\\+PONG' }, comment: 'pong' },
          { action: 'send', data: hex('50494e470d0a') },
          { action: 'expect', match: { kind: 'string', value: 'ERR' }, negate: true },
        ],
      },
      [{ banner: '', next: ['+PONG\r\n', '-ERR\r\n'] }, 'hang'],
      { inter: 60 },
    );
    expect(results).toEqual([
      ['L7RSP', 0, "TCPCHK matched unwanted content 'ERR' at step 5"],
      ['L7TOUT', 0, " at step 3 of tcp-check (expect regex) comment: 'pong'"],
    ]);
  });

  it('connection errors name the connect step', async () => {
    const dead = await deadPort();
    const explicit = await run({ type: 'tcp-check', rules: [{ action: 'connect', port: dead }] }, ['close']);
    expect(explicit.results).toEqual([
      ['L4CON', 0, `Connection refused at step 1 of tcp-check (connect port ${dead})`],
    ]);
    const implicit = await run({ type: 'tcp-check', rules: [{ action: 'send', data: 'x' }] }, ['close'], {
      port: dead,
    });
    expect(implicit.results).toEqual([
      ['L4CON', 0, 'Connection refused at initial connection step of tcp-check'],
    ]);
  });

  it('sends the PROXY line first with check-send-proxy', async () => {
    const { srv } = await run({ type: 'redis' }, [{ answer: '+PONG\r\n' }], { sendProxy: true });
    expect(srv.received[0]?.toString()).toMatch(
      /^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+\r\n\*1\r\n\$4\r\nPING\r\n$/,
    );
  });
});

describe('protocol checks', () => {
  it('redis-check', async () => {
    const { results, srv } = await run({ type: 'redis' }, [
      { answer: '+PONG\r\n' },
      { answer: '-NOAUTH Authentication required.\r\n' },
      'read-close',
    ]);
    expect(srv.received[0]?.toString()).toBe('*1\r\n$4\r\nPING\r\n');
    expect(results).toEqual([
      ['L7OK', 0, 'Redis server is ok'],
      ['L7STS', 0, '-NOAUTH Authentication required.'],
      ['L7STS', 0, 'TCPCHK got an empty response at step 2'],
    ]);
  });

  it('mysql-check user (post-41 and pre-41 packets), error packets, truncated greeting', async () => {
    const post = await run({ type: 'mysql', user: 'haproxy', post41: true }, [
      { answer: Buffer.concat([MYSQL_HS, MYSQL_OK]) },
      { answer: Buffer.concat([MYSQL_HS, MYSQL_ERR]) },
      { answer: MYSQL_HS },
    ]);
    expect(post.srv.received[0]?.toString('hex')).toBe(
      '290000010082000000800001210000000000000000000000000000000000000000000000686170726f787900000100000001',
    );
    expect(post.results).toEqual([
      ['L7OK', 0, '8.0.1-test'],
      ['L7STS', 1045, '#28000Access denied'],
      ['L7RSP', 0, ''],
    ]);
    const pre = await run({ type: 'mysql', user: 'bob', post41: false }, [
      { answer: Buffer.concat([MYSQL_HS, MYSQL_OK]) },
    ]);
    expect(pre.srv.received[0]?.toString('hex')).toBe('0a0000010080000001626f6200000100000001');
    const greet = await run({ type: 'mysql', post41: true }, [{ banner: MYSQL_HS }]);
    expect(greet.results).toEqual([['L7OK', 0, '8.0.1-test']]);
    expect(greet.srv.received[0]?.length).toBe(0);
  });

  it('pgsql-check', async () => {
    const err = Buffer.concat([
      Buffer.from('E'),
      hex('00000030'),
      Buffer.from('SFATAL\0C28000\0Mrole "x" does not exist\0\0'),
    ]);
    const { results, srv } = await run({ type: 'pgsql', user: 'pguser' }, [
      { answer: hex('520000000800000000') },
      { answer: err },
      { answer: 'HTTP/1.0 400\r\n\r\n' },
      'read-close',
    ]);
    expect(srv.received[0]?.toString('hex')).toBe('000000150003000075736572007067757365720000');
    expect(results).toEqual([
      ['L7OK', 0, 'PostgreSQL server is ok'],
      ['L7RSP', 0, 'FATAL'],
      ['L7STS', 0, 'PostgreSQL unknown error'],
      ['L7RSP', 0, 'TCPCHK got an empty response at step 3'],
    ]);
  });

  it('smtpchk: HELO/EHLO, QUIT, codes and texts', async () => {
    const { results, srv } = await run({ type: 'smtp', hello: 'EHLO', domain: 'example.org' }, [
      { banner: '220 mx ready\r\n', next: ['250-mx hello\r\n250 SIZE 10\r\n', '221 bye\r\n'] },
      { banner: '554 no service\r\n' },
      { banner: 'hello\r\n' },
      { banner: '220 mx\r\n', next: ['250 hi\r\n', '500 what\r\n'] },
    ]);
    expect(srv.received[0]?.toString()).toBe('EHLO example.org\r\nQUIT\r\n');
    expect(results).toEqual([
      ['L7OK', 221, 'bye'],
      ['L7STS', 554, 'no service'],
      ['L7RSP', 0, 'hello'],
      ['L7STS', 500, 'what'],
    ]);
  });

  it('ldap-check', async () => {
    const { results, srv } = await run({ type: 'ldap' }, [
      { answer: hex('300c02010161070a010004000400') },
      { answer: hex('300c02010161070a013104000400') },
      { answer: 'HTTP/1.1 400 Bad\r\n\r\n' },
    ]);
    expect(srv.received[0]?.toString('hex')).toBe('300c020101600702010304008000');
    expect(results).toEqual([
      ['L7OK', 0, 'Success'],
      ['L7STS', 49, 'See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9'],
      ['L7RSP', 0, 'Not LDAPv3 protocol'],
    ]);
  });

  it('ssl-hello-chk: an SSLv3 hello with the time, handshake or alert records pass', async () => {
    const { results, srv } = await run({ type: 'ssl-hello' }, [
      { answer: hex('160301002a020000260301') },
      { answer: hex('15030100020228') },
      { answer: 'HTTP/1.1 400 Bad\r\n\r\n' },
      'read-close',
    ]);
    const hello = srv.received[0] ?? Buffer.alloc(0);
    expect(hello.length).toBe(126);
    expect(hello.subarray(0, 11).toString('hex')).toBe('1603000079010000750300');
    expect(Math.abs(hello.readUInt32BE(11) - Date.now() / 1000)).toBeLessThan(5);
    expect(hello.subarray(15, 43).toString('latin1')).toBe('HAPROXYSSLCHK\nHAPROXYSSLCHK\n');
    expect(results).toEqual([
      ['L6OK', 0, ''],
      ['L6OK', 0, ''],
      ['L6RSP', 0, ''],
      ['L6RSP', 0, 'TCPCHK got an empty response at step 2'],
    ]);
  });
});
