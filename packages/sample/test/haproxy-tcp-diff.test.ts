// Differential test of "missing data" (HAProxy's ACL_TEST_MISS) in `tcp-request content`
// rules of a `mode tcp` frontend. Each case is one condition on its own bind port; the
// client sends its bytes in stages (nothing for a while, a first part, the rest, then the
// end of its side). HAProxy evaluates
//
//   tcp-request content set-var(sess.r) str(pass) if { dst_port P } <cond>
//   tcp-request content set-var(sess.r) str(fail) if { dst_port P } !<cond>
//   tcp-request content set-var(sess.len) req.len
//
// and waits for more data while <cond> is MISS; the stage it decided at shows in the
// buffer length it logs. Our side replays the same stages through the same conditions
// with `payload` / `payloadFinal`, stopping at the first rule whose condition is false with
// `missed` set, as tcp_inspect_request does.
import { connect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  freePorts,
  haproxyAvailable,
  type ProxyHandle,
  startProxy,
  startRawBackend,
  startSyslogSink,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompileOptions, compileCondition, type SampleEnv } from '../src/index.ts';
import { envOf, parseCondition } from './harness.ts';

const haproxy = haproxyAvailable();

/** A ClientHello as Node's TLS client sends it (SNI, ALPN h2 then http/1.1). */
function captureClientHello(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const srv = createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          s.destroy();
          srv.close();
          resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)));
        }
      });
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      const c = tlsConnect({
        host: '127.0.0.1',
        port,
        servername: 'example.com',
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      c.on('error', () => {});
      setTimeout(() => reject(new Error('no ClientHello')), 3000).unref();
    });
  });
}

interface Case {
  /** The condition after `if { dst_port P }`. */
  readonly cond: string[];
  /** The bytes sent at each stage after connecting (the last stage is the end of the client's side). */
  readonly parts: Buffer[];
}

const b = (s: string) => Buffer.from(s, 'latin1');

function cases(hello: Buffer): Case[] {
  const tls = [hello.subarray(0, 20), hello.subarray(20)];
  const http = [b('GET /api/x HTTP/1.1\r\nHo'), b('st: example.com\r\nX-A: 1\r\n\r\n')];
  const rdp = [
    b('\x03\x00\x00\x2c\x27\xe0\x00\x00\x00\x00\x00Cookie: msts'),
    b('hash=alice\r\n\x01\x00\x08\x00\x03\x00\x00\x00'),
  ];
  const junk = [b('xyz'), b('\r\n\r\n')];
  const c = (cond: string, parts: Buffer[]): Case => ({ cond: cond.split(' '), parts });
  return [
    c('{ req.ssl_hello_type 1 }', tls),
    c('{ req_ssl_hello_type 2 }', tls),
    c('{ req.ssl_sni -i example.com }', tls),
    c('{ req.ssl_sni -m end .org }', tls),
    c('{ req_ssl_sni -m found }', http),
    c('{ req.ssl_ver 3.3 }', tls),
    c('{ req_ssl_ver 3.0:3.2 }', tls),
    c('{ req.ssl_ver 3.0:3.3 }', junk),
    c('{ req.ssl_alpn h2 }', tls),
    c('{ req.ssl_alpn http/1.1 }', tls),
    c('{ req.ssl_alpn h3 }', tls),
    c('{ req.ssl_ec_ext }', tls),
    c('{ req.ssl_st_ext 1 2 }', tls),
    c('{ req.len ge 100 }', tls),
    c('{ req.len eq 0 }', tls),
    c('{ req.payload(0,1) -m bin 16 }', tls),
    c('{ req.payload(0,0) -m len 3 }', junk),
    c('{ req.payload_lv(3,2) -m found }', tls),
    c('{ payload_lv(0,1,+1) -m found }', junk),
    c('HTTP', tls),
    c('HTTP', http),
    c('HTTP', junk),
    c('{ hdr(host) -i example.com }', http),
    c('{ path_beg /api }', http),
    c('{ method GET }', http),
    c('{ req.ver 1.1 }', http),
    c('{ req.hdr_cnt eq 2 }', http),
    c('{ req.hdr_cnt eq 4 }', http),
    c('{ req.hdr(:method) -m str GET }', http),
    c('{ req.hdr(:path) -m str /api/x }', http),
    c('{ req.hdr_names -m str :method,:path,host,x-a }', http),
    c('{ req.hdr_names -m beg host }', http),
    c('{ req.body_len eq 0 }', http),
    c('{ req.ssl_hello_type 1 }', http),
    c('{ req.len gt 0 }', http),
    c('WAIT_END', http),
    c('REQ_CONTENT', junk),
    c('{ rand(100) lt 0 }', http),
    c('{ rand(100) ge 0 }', http),
    c('{ req.rdp_cookie(mstshash) -m str alice }', rdp),
    c('RDP_COOKIE', rdp),
    c('{ req_rdp_cookie_cnt(mstshash) eq 1 }', rdp),
    c('{ req.rdp_cookie_cnt(other) eq 0 }', rdp),
    c('{ req.rdp_cookie -m found }', http),
    c('{ src 127.0.0.1 } { req.ssl_sni -m found } || { req.len ge 5 }', tls),
    c('{ req.len ge 5 } || { src 127.0.0.1 }', tls),
  ];
}

const STAGE_MS = 400;

/** One client: connect, wait, send each part (waiting between), then end; resolves on close. */
function play(port: number, parts: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('data', () => {});
    s.on('connect', () => {
      let i = 0;
      const step = () => {
        if (i < parts.length) {
          s.write(parts[i++]!);
          setTimeout(step, STAGE_MS);
        } else s.end();
      };
      setTimeout(step, STAGE_MS);
    });
    setTimeout(() => s.destroy(), 8000).unref();
  });
}

/** Our side: the stages replayed through the rules; "pass|fail <length at decision>". */
function ours(cond: string[], parts: Buffer[], opts: CompileOptions): string {
  const named = () => undefined;
  const pass = compileCondition(parseCondition(['if', ...cond]), named, opts);
  const neg = cond.length === 1 && !cond[0]!.startsWith('{') ? ['!' + cond[0]] : negateWords(cond);
  const fail = compileCondition(parseCondition(['if', ...neg]), named, opts);
  const stages: { buf: Buffer; final: boolean }[] = [{ buf: Buffer.alloc(0), final: false }];
  let acc = Buffer.alloc(0);
  for (const p of parts) {
    acc = Buffer.concat([acc, p]);
    stages.push({ buf: acc, final: false });
  }
  stages.push({ buf: acc, final: true });
  for (const st of stages) {
    const env: SampleEnv = envOf({
      src: '127.0.0.1',
      srcPort: 40000,
      dst: '127.0.0.1',
      dstPort: 1,
      proxy: 'ft',
    });
    env.payload = st.buf;
    env.payloadFinal = st.final;
    let r = '-';
    let waiting = false;
    for (const [c, v] of [
      [pass, 'pass'],
      [fail, 'fail'],
    ] as const) {
      env.missed = false;
      if (c.test(env)) r = v;
      else if (env.missed) {
        waiting = true;
        break;
      }
    }
    if (!waiting) return `${r} ${st.buf.length}`;
  }
  return 'undecided';
}

/** `!` of a condition made of one anonymous ACL; a rule that never applies for a longer one. */
function negateWords(cond: string[]): string[] {
  if (cond[0] === '{' && cond.indexOf('}') === cond.length - 1) return ['!{', ...cond.slice(1)];
  return ['{', 'always_false', '}'];
}

describe.skipIf(!haproxy.available)(
  `tcp-request content "missing data" against HAProxy (${haproxy.detail})`,
  () => {
    useTestkit();
    let proxy: ProxyHandle | undefined;
    const rows: { cond: string; parts: number[]; theirs: string; ours: string }[] = [];

    beforeAll(async () => {
      const hello = await captureClientHello();
      const all = cases(hello);
      const ports = await freePorts(all.length);
      const sink = await startSyslogSink();
      const backend = await startRawBackend((sock) => {
        sock.on('data', () => {});
        sock.on('end', () => sock.end());
      });
      const lines: string[] = [];
      all.forEach((k, i) => {
        const p = ports[i]!;
        const neg =
          k.cond.length === 1 && !k.cond[0]!.startsWith('{') ? ['!' + k.cond[0]] : negateWords(k.cond);
        const guard = `{ dst_port ${p} }`;
        // an OR condition is tested as a whole: the port guard applies to each branch
        const withGuard = (words: string[]) =>
          words
            .join(' ')
            .split(' || ')
            .map((g) => `${guard} ${g}`)
            .join(' || ');
        lines.push(`  tcp-request content set-var(sess.r) str(pass) if ${withGuard(k.cond)}`);
        lines.push(`  tcp-request content set-var(sess.r) str(fail) if ${withGuard(neg)}`);
      });
      const cfg = [
        'defaults',
        '  mode tcp',
        '  timeout client 5s',
        '  timeout server 5s',
        '  timeout connect 5s',
        'frontend ft',
        ...ports.map((p) => `  bind 127.0.0.1:${p}`),
        `  log ${sink.addr} format raw local0`,
        '  log-format "%[dst_port] %[var(sess.r)] %[var(sess.len)]"',
        '  tcp-request inspect-delay 5s',
        ...lines,
        '  tcp-request content set-var(sess.len) req.len',
        '  default_backend bk',
        'backend bk',
        `  server s ${backend.addr}`,
        '',
      ].join('\n');
      proxy = await startProxy('haproxy', writeConfig(cfg), { readyPorts: [ports[0]!] });
      await Promise.all(all.map((k, i) => play(ports[i]!, k.parts)));
      const deadline = Date.now() + 5000;
      while (sink.lines().length < all.length && Date.now() < deadline)
        await new Promise((ok) => setTimeout(ok, 20));
      const byPort = new Map<string, string>();
      for (const l of sink.lines()) {
        const sp = l.indexOf(' ');
        byPort.set(l.slice(0, sp), l.slice(sp + 1));
      }
      const opts: CompileOptions = { file: 'tcp', line: 1, resolvePath: (x) => x };
      all.forEach((k, i) => {
        rows.push({
          cond: k.cond.join(' '),
          parts: k.parts.map((x) => x.length),
          theirs: byPort.get(String(ports[i])) ?? '<no log line>',
          ours: ours(k.cond, k.parts, opts),
        });
      });
    }, 30_000);

    afterAll(async () => {
      await proxy?.stop();
    });

    it('decides at the same stage, with the same result, as HAProxy', () => {
      if (process.env['HAP_DEBUG_ROWS']) console.log(rows.map((r) => `${r.cond}: ${r.theirs}`).join('\n'));
      const diffs = rows
        .filter((r) => r.ours !== r.theirs)
        .map((r) => `${r.cond} (parts ${r.parts.join('+')}): haproxy "${r.theirs}", ours "${r.ours}"`);
      expect(diffs.join('\n')).toBe('');
      expect(rows.length).toBeGreaterThan(30);
    });
  },
);
