// `show errors` on the stats socket: the real haproxy 2.6 and haproxyd run the same
// configuration, receive the same malformed requests (bad header byte, bad version,
// conflicting Content-Length, a head larger than the buffer, a bad chunk size in a later read,
// an HTTP/1.0 GET with a body), a malformed response and a cut one from a raw server, and their
// `show errors` answers are compared after each one, then with every filter and level.
//
// Normalised before comparing: dates, the client's source port, the "H1 connection flags /
// H1 stream flags" line — flags of HAProxy's HTTP/1 multiplexer, which haproxyd does not
// have: it prints 0 for both — and the "H1 body len" of a response refused inside a chunked
// body: HAProxy sums the chunk sizes announced so far, haproxyd does not count a response's
// body (that would cost on every chunk) and prints 0. Everything else (the message state, its
// flags, positions, the dump) must be equal.
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  type Binary,
  freePorts,
  requireHaproxy,
  startProxy,
  startRawBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, waitUntil } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

/** What a raw client got back: the status (0: none) once the connection ended. */
function exchange(
  to: number | string,
  first: string,
  later?: { when: () => Promise<void>; data: string },
  onData?: (got: string) => void,
) {
  return new Promise<number>((resolve, reject) => {
    const s = typeof to === 'number' ? connect({ port: to, host: '127.0.0.1' }) : connect({ path: to });
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end of the exchange on ${to}; got ${JSON.stringify(got)}`));
    }, 15_000);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      onData?.(got);
    });
    // a proxy that answers before reading everything may reset the connection
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve(Number(got.slice(9, 12)) || 0);
    });
    s.write(Buffer.from(first, 'latin1'));
    if (later !== undefined)
      void later.when().then(
        () => s.write(Buffer.from(later.data, 'latin1')),
        (err: unknown) => reject(err),
      );
  });
}

const normalise = (text: string) =>
  text
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/g, '[DATE]')
    .replace(/src 127\.0\.0\.1:\d+/g, 'src 127.0.0.1:PORT')
    .replace(/H1 connection flags 0x[0-9a-f]{8}, H1 stream flags 0x[0-9a-f]{8}/g, 'H1 FLAGS')
    .replace(
      /(invalid response\n(?:.*\n){4} {2}H1 msg state MSG_CHUNK_SIZE\(26\).*\n {2}H1 chunk len \d+ bytes, H1 body len )\d+/g,
      '$1N',
    );

interface Run {
  /** Each step's status to the client and `show errors` after it. */
  steps: { name: string; status: number; errors: string }[];
  /** Answers to the filter and level commands. */
  answers: Record<string, string>;
  /** The `help` line of the command. */
  help: string;
}

const BAD_RESPONSE = 'HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n';

async function scenario(binary: Binary): Promise<Run> {
  const heads: string[] = [];
  // the server side of /bad-chunk, waiting to send its bad chunk
  let chunkTail: import('node:net').Socket | undefined;
  // the raw server: a bad response to /bad-response, half a head to /cut, no answer to
  // /hold, else 200
  const srv = await startRawBackend((socket) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = got.slice(0, end);
      got = got.slice(end + 4);
      heads.push(head);
      if (head.startsWith('GET /bad-response ')) socket.end(BAD_RESPONSE);
      else if (head.startsWith('GET /cut ')) socket.end('HTTP/1.1 200 OK\r\nX: y\r\n');
      else if (head.startsWith('GET /bad-status '))
        socket.end('HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n');
      else if (head.startsWith('GET /bad-chunk ')) {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
        chunkTail = socket;
      } else if (!head.startsWith('POST /hold '))
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
  });
  const [fePort, liPort] = (await freePorts(2)) as [number, number];
  const dir = tempDir();
  const admin = join(dir, `${binary}-admin.sock`);
  const oper = join(dir, `${binary}-oper.sock`);
  const user = join(dir, `${binary}-user.sock`);
  const feUnix = join(dir, `${binary}-fe.sock`);
  const cfg = writeConfig(
    [
      'global',
      `  stats socket ${admin} level admin`,
      `  stats socket ${oper} level operator`,
      `  stats socket ${user} level user`,
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 10s',
      '  timeout server 10s',
      'frontend fe',
      `  bind 127.0.0.1:${fePort}`,
      `  bind unix@${feUnix}`,
      '  default_backend be',
      'backend be',
      `  server s1 127.0.0.1:${srv.port}`,
      'listen li',
      `  bind 127.0.0.1:${liPort}`,
      `  server s2 127.0.0.1:${srv.port}`,
      '',
    ].join('\n'),
    `${binary}-errors.cfg`,
  );
  await startProxy(binary, cfg, { readyPorts: [fePort, liPort] });
  const run: Run = { steps: [], answers: {}, help: '' };
  const step = async (name: string, status: Promise<number>) => {
    const s = await status;
    run.steps.push({ name, status: s, errors: await cli(admin, 'show errors') });
  };

  // nothing captured yet
  run.steps.push({ name: 'start', status: 0, errors: await cli(admin, 'show errors') });
  await step('bad header byte', exchange(fePort, 'GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n'));
  await step(
    'bad version (replaces the previous one)',
    exchange(fePort, 'GET / HTTP/1.x\r\nHost: a\r\n\r\n'),
  );
  await step(
    'conflicting Content-Length on the listen',
    exchange(liPort, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'),
  );
  await step(
    'a malformed response',
    exchange(fePort, 'GET /bad-response HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
  );
  // a message cut short is refused (502) but not captured
  await step(
    'a response cut short',
    exchange(fePort, 'GET /cut HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
  );
  await step(
    'a bad header name, then bytes dumped escaped and a line too long for one output line',
    exchange(fePort, `GET / HTTP/1.1\r\nHost: a\r\nB@d: a\\b\tc\x1bd\x7fe\x01f${'x'.repeat(200)}\r\n\r\n`),
  );
  // refused once the buffer is full, whatever the size of the reads that filled it
  await step(
    'a head larger than the buffer',
    exchange(fePort, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(17000)}\r\n\r\n`),
  );
  // the head reaches the server first: the request is then known to its backend
  const held = heads.length;
  await step(
    'a bad chunk size in a later read',
    exchange(liPort, 'POST /hold HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', {
      when: () => waitUntil('the head at the server', async () => heads.length > held),
      data: '5\r\nhello\r\nzz\r\n',
    }),
  );
  await step(
    'an HTTP/1.0 GET with a body (413)',
    exchange(fePort, 'GET / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc'),
  );
  await step(
    'a response with a bad status code, on the listen',
    exchange(liPort, 'GET /bad-status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
  );
  // the bad chunk is sent once the client got the first one: the proxy reads it on its own
  await step(
    'a bad chunk size in a later read of a response',
    exchange(liPort, 'GET /bad-chunk HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', undefined, (got) => {
      if (got.includes('hello') && chunkTail !== undefined) {
        chunkTail.end('zz\r\n');
        chunkTail = undefined;
      }
    }),
  );
  await step('from a unix socket client', exchange(feUnix, 'GET / HTTP/1.1\r\nHo st: a\r\n\r\n'));

  for (const c of [
    'show errors fe',
    'show errors be',
    'show errors li',
    'show errors li request',
    'show errors li response',
    'show errors -1 response',
    'show errors -7 request',
    'show errors #3',
    'show errors 3',
    'show errors 4 response',
    'show errors 2x',
    'show errors 99',
    'show errors #99',
    'show errors nosuch',
    'show errors request',
    'show errors 0',
    'show errors fe bogus',
  ])
    run.answers[c] = await cli(admin, c);
  run.answers['operator level'] = await cli(oper, 'show errors');
  run.answers['user level'] = await cli(user, 'show errors');
  run.answers['operator session lowered to user'] = await cli(admin, 'user; show errors');
  run.answers['clear counters all'] = await cli(admin, 'clear counters all');
  run.answers['after clear counters all'] = await cli(admin, 'show errors');
  run.help = (await cli(user, 'help')).split('\n').find((l) => l.includes('show errors')) ?? '';
  return run;
}

describe('show errors', () => {
  it('captures and dumps refused requests and responses as HAProxy 2.6 does', async () => {
    const ref = await scenario('haproxy');
    const mine = await scenario('haproxyd');
    expect(mine.steps.map((s) => s.name)).toEqual(ref.steps.map((s) => s.name));
    for (let i = 0; i < ref.steps.length; i++) {
      const r = ref.steps[i]!;
      const m = mine.steps[i]!;
      expect({ step: m.name, status: m.status, errors: normalise(m.errors) }).toEqual({
        step: r.name,
        status: r.status,
        errors: normalise(r.errors),
      });
    }
    for (const [c, answer] of Object.entries(ref.answers)) {
      expect({ c, answer: normalise(mine.answers[c] ?? '') }).toEqual({ c, answer: normalise(answer) });
    }
    expect(mine.help).toBe(ref.help);

    // what the comparison stands on: HAProxy's own answers have these shapes
    const last = ref.steps.at(-1)!.errors;
    expect(last).toMatch(/^Total events captured on \[[^\]]+\] : 11\n/);
    expect(last).toContain(' frontend fe (#2): invalid request\n');
    expect(last).toContain(', event #10, src unix:0\n');
    expect(last).toContain(
      ' backend li (#4): invalid response\n  frontend li (#4), server s2 (#1), event #9',
    );
    expect(last).toContain(
      ' backend be (#3): invalid response\n  frontend fe (#2), server s1 (#1), event #3',
    );
    expect(last).toContain(' frontend li (#4): invalid request\n  backend li (#4), server <NONE> (#-1)');
    expect(ref.steps[1]!.errors).toContain('  00016  Ho\\x01st: a\\r\\n\n');
    expect(ref.answers['user level']).toBe('Permission denied\n\n');
    expect(ref.answers['show errors nosuch']).toBe('No such proxy.\n\n');
    expect(ref.answers['show errors be']).toContain('invalid response');
    expect(ref.answers['show errors be']).not.toContain('invalid request');
    expect(ref.answers['after clear counters all']).toMatch(/ : 11\n/);
  }, 120_000);
});
