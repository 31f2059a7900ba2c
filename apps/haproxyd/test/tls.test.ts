// End-to-end, differential: TLS termination. Every case runs the same configuration in the
// real HAProxy 2.6 (the reference) and in haproxyd, with certificates made by openssl at
// set-up (tls-fixtures.ts), and compares what a client sees: the certificate presented for
// each server name (exact names, wildcards, crt-list filters incl. `!name`, the default
// certificate, strict-sni), the ALPN protocol, client-certificate outcomes (verify
// required/optional with a good, a foreign and no certificate) with the ssl_* fetches,
// `redirect scheme https if !{ ssl_fc }`, passthrough routing by `req.ssl_sni` in mode tcp,
// and what `-c` says of certificate files. Bad input (garbage ClientHello, plain HTTP on a
// TLS port, a stalled handshake) is closed and the daemon serves on.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer, connect as tlsConnect } from 'node:tls';
import {
  type Binary,
  checkConfig,
  freePorts,
  type ProxyHandle,
  startProxy,
  startRawBackend,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { runBinary } from './helpers.ts';
import { rawExchange, tlsRequest, usePki } from './tls-fixtures.ts';

useTestkit();
const pki = usePki();

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];
const TIMEOUT_CLIENT_MS = 500;

function config(lines: readonly string[]): string {
  return `${[
    'global',
    `  crt-base ${pki.dir}`,
    `  ca-base ${pki.dir}`,
    'defaults',
    '  mode http',
    `  timeout client ${TIMEOUT_CLIENT_MS}ms`,
    '  timeout server 2s',
    '  timeout connect 2s',
    ...lines,
  ].join('\n')}\n`;
}

/** One runtime API command over a unix stats socket: its whole answer. */
function cliCommand(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = netConnect(path);
    let text = '';
    c.setEncoding('latin1');
    c.on('data', (d: string) => {
      text += d;
    });
    c.on('error', reject);
    c.on('close', () => resolve(text));
    c.end(`${command}\n`);
  });
}

/** Runs `probe` against the same configuration in each binary; results by binary. */
async function both<T>(
  nPorts: number,
  cfgOf: (ports: number[]) => string,
  probe: (ports: number[], binary: Binary, proxy: ProxyHandle) => Promise<T>,
): Promise<Record<Binary, T>> {
  const out = {} as Record<Binary, T>;
  for (const b of BINARIES) {
    const ports = await freePorts(nPorts);
    const proxy = await startProxy(b, writeConfig(cfgOf(ports)), { readyPorts: ports });
    try {
      out[b] = await probe(ports, b, proxy);
      // the daemon is still there after every case
      expect(proxy.exitStatus(), `${b} exited`).toBeNull();
    } finally {
      await proxy.stop();
    }
  }
  return out;
}

const ECHO_FETCHES =
  'sni=%[ssl_fc_sni] fc=%[ssl_fc] alpn=%[ssl_fc_alpn] used=%[ssl_c_used] verify=%[ssl_c_verify] dn=%[ssl_c_s_dn] proto=%[ssl_fc_protocol]';

/** The body of a `http-request return` answer (after the head). */
function bodyOf(response: string): string {
  const at = response.indexOf('\r\n\r\n');
  return at < 0 ? `(no response: ${JSON.stringify(response.slice(0, 40))})` : response.slice(at + 4);
}

describe('SNI selection', () => {
  const NAMES = [
    'www.example.test',
    'alt.example.test',
    'WWW.Example.TEST',
    'a.wild.test',
    'x.y.wild.test',
    'wild.test',
    'default.test',
    'unknown.test',
    undefined,
  ];

  it('crt files: exact names, SANs, wildcards, case, the default certificate', async () => {
    const r = await both(
      1,
      ([p]) =>
        config([
          'frontend fe',
          `  bind 127.0.0.1:${p} ssl crt def.pem crt www.pem crt wild.pem`,
          '  http-request return status 200 content-type text/plain lf-string "%[ssl_fc_sni]"',
        ]),
      async ([p]) => {
        const seen: string[] = [];
        for (const n of NAMES) {
          const a = await tlsRequest(p!, n !== undefined ? { servername: n } : {});
          seen.push(`${n ?? '(no sni)'} -> ${a.handshake} ${a.subject} ${bodyOf(a.response)}`);
        }
        return seen;
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    // and the reference does what the manual says
    expect(r.haproxy[0]).toBe('www.example.test -> ok www.example.test www.example.test');
    expect(r.haproxy[3]).toBe('a.wild.test -> ok *.wild.test a.wild.test');
    expect(r.haproxy[7]).toBe('unknown.test -> ok default.test unknown.test');
  });

  it('a directory of certificates, a crt-list with filters and !exclusions, strict-sni', async () => {
    const r = await both(
      3,
      ([a, b, c]) =>
        config([
          'frontend fe',
          `  bind 127.0.0.1:${a} ssl crt certs`,
          `  bind 127.0.0.1:${b} ssl crt-list ${pki.path('list.txt')}`,
          `  bind 127.0.0.1:${c} ssl strict-sni crt www.pem crt wild.pem`,
          '  http-request return status 200 content-type text/plain string ok',
        ]),
      async (ports) => {
        const seen: string[] = [];
        for (const p of ports) {
          for (const n of [...NAMES, 'only.example.test', 'bad.wild.test']) {
            const a = await tlsRequest(p, n !== undefined ? { servername: n } : {});
            seen.push(
              `${p === ports[0] ? 'dir' : p === ports[1] ? 'list' : 'strict'} ${n} -> ${a.handshake === 'ok' ? a.subject : 'refused'}`,
            );
          }
        }
        return seen;
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    // filters replace the certificate's own names; '!bad.wild.test' sends it to the default
    expect(r.haproxy).toContain('list www.example.test -> default.test');
    expect(r.haproxy).toContain('list only.example.test -> www.example.test');
    expect(r.haproxy).toContain('list bad.wild.test -> default.test');
    expect(r.haproxy).toContain('strict unknown.test -> refused');
    expect(r.haproxy).toContain('strict undefined -> refused');
  });
});

describe('ALPN and the ssl_fc fetches', () => {
  it('alpn http/1.1 is negotiated and seen by ssl_fc_alpn', async () => {
    const r = await both(
      1,
      ([p]) =>
        config([
          'frontend fe',
          `  bind 127.0.0.1:${p} ssl crt def.pem alpn http/1.1`,
          `  http-request return status 200 content-type text/plain lf-string "${ECHO_FETCHES}"`,
        ]),
      async ([p]) => {
        const out: string[] = [];
        for (const alpn of [['http/1.1'], undefined]) {
          const a = await tlsRequest(p!, { servername: 'default.test', ...(alpn ? { alpn } : {}) });
          out.push(`${a.handshake} alpn=${String(a.alpn)} ${bodyOf(a.response)}`);
        }
        return out;
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy[0]).toContain('alpn=http/1.1 sni=default.test fc=1 alpn=http/1.1');
  });
});

/** One HTTPS request offering `session` (a ticket from an earlier connection): what the client saw and the last ticket given. */
function resumingRequest(
  port: number,
  session: Buffer | undefined,
  maxVersion: 'TLSv1.2' | 'TLSv1.3',
): Promise<{ line: string; ticket: Buffer | undefined }> {
  return new Promise((resolve) => {
    let ticket: Buffer | undefined;
    let tickets = 0;
    let reused = false;
    const chunks: Buffer[] = [];
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'default.test',
      rejectUnauthorized: false,
      maxVersion,
      ...(session !== undefined ? { session } : {}),
    });
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('session', (t: Buffer) => {
      ticket = t;
      tickets++;
    });
    s.on('secureConnect', () => {
      reused = s.isSessionReused();
      s.write('GET / HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n\r\n');
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const body = bodyOf(Buffer.concat(chunks).toString('latin1'));
      // a TLS 1.3 server sends one or two tickets; what matters is that one comes
      resolve({ line: `reused=${reused} ${body} new-ticket=${tickets > 0}`, ticket });
    });
  });
}

describe('session resumption', () => {
  it('each resumed session brings a new ticket: a client using its tickets once resumes every time', async () => {
    const r = await both(
      2,
      ([p, noTickets]) =>
        config([
          'frontend fe',
          `  bind 127.0.0.1:${p} ssl crt def.pem`,
          `  bind 127.0.0.1:${noTickets} ssl crt def.pem no-tls-tickets`,
          '  http-request return status 200 content-type text/plain lf-string "resumed=%[ssl_fc_is_resumed] %[ssl_fc_protocol]"',
        ]),
      async ([p, noTickets]) => {
        const out: string[] = [];
        for (const port of [p!, noTickets!]) {
          for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
            let ticket: Buffer | undefined;
            for (let i = 0; i < 4; i++) {
              const a = await resumingRequest(port, ticket, version);
              out.push(`${port === p ? 'tickets' : 'no-tls-tickets'} ${version} #${i} ${a.line}`);
              ticket = a.ticket ?? ticket;
            }
          }
        }
        return out;
      },
    );
    // Known difference: without tickets, HAProxy resumes TLS 1.3 sessions from its cache
    // (stateful tickets); Node's server finds cached sessions by the ClientHello's TLS 1.2
    // session id only, so haproxyd makes full TLS 1.3 handshakes there.
    const stateful13 = (l: string) => l.startsWith('no-tls-tickets TLSv1.3');
    expect(r.haproxyd.filter((l) => !stateful13(l))).toEqual(r.haproxy.filter((l) => !stateful13(l)));
    expect(r.haproxyd.filter(stateful13)).toHaveLength(4);
    // the reference: resumed from the second connection on; TLS 1.3 with a fresh ticket each
    // time, TLS 1.2 on its first ticket (renewed or not), or on its cached session id
    expect(r.haproxy).toContain('tickets TLSv1.3 #3 reused=true resumed=1 TLSv1.3 new-ticket=true');
    expect(r.haproxy).toContain('tickets TLSv1.2 #3 reused=true resumed=1 TLSv1.2 new-ticket=false');
    expect(r.haproxy).toContain('no-tls-tickets TLSv1.2 #3 reused=true resumed=1 TLSv1.2 new-ticket=false');
  });
});

describe('tls-ticket-keys', () => {
  const key = (bytes: number, seed: number) => Buffer.alloc(bytes, seed).toString('base64');
  const FILES: Record<string, string> = {
    'keys3.txt': [1, 2, 3].map((i) => key(48, i)).join('\n'),
    'keys5.txt': [1, 2, 3, 4, 5].map((i) => key(48, i)).join('\n'),
    'keys2.txt': [1, 2].map((i) => key(48, i)).join('\n'),
    'mixed.txt': [key(48, 1), key(80, 2), key(48, 3)].join('\n'),
    'bad.txt': [key(48, 1), 'not base64!', key(48, 3)].join('\n'),
    'empty.txt': '',
  };

  it.each([...Object.keys(FILES), 'missing.txt'])('-c with %s', async (name) => {
    for (const [f, text] of Object.entries(FILES)) writeFileSync(join(pki.dir, f), `${text}\n`);
    const cfg = writeConfig(
      config([
        'frontend fe',
        `  bind 127.0.0.1:8443 ssl crt def.pem tls-ticket-keys ${join(pki.dir, name)}`,
        '  http-request return status 200',
      ]),
    );
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    const alerts = (x: typeof h) =>
      x.alerts.filter((a) => a.line != null).map((a) => `${a.file ?? ''}:${a.line ?? ''} ${a.message}`);
    expect({ code: d.code, alerts: alerts(d) }).toEqual({ code: h.code, alerts: alerts(h) });
  });

  it('tickets pass between HAProxy and haproxyd sharing a key file; renewal as in HAProxy', async () => {
    writeFileSync(join(pki.dir, 'shared.txt'), `${FILES['keys5.txt']}\n`);
    const ports = await freePorts(2);
    const text = (p: number) =>
      config([
        'frontend fe',
        `  bind 127.0.0.1:${p} ssl crt def.pem tls-ticket-keys ${join(pki.dir, 'shared.txt')}`,
        '  http-request return status 200 content-type text/plain lf-string "resumed=%[ssl_fc_is_resumed] %[ssl_fc_protocol]"',
      ]);
    const h = await startProxy('haproxy', writeConfig(text(ports[0]!)), { readyPorts: [ports[0]!] });
    const d = await startProxy('haproxyd', writeConfig(text(ports[1]!)), { readyPorts: [ports[1]!] });
    try {
      for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
        // a ticket from one resumes on the other, both ways
        const fromH = await resumingRequest(ports[0]!, undefined, version);
        const onD = await resumingRequest(ports[1]!, fromH.ticket, version);
        const fromD = await resumingRequest(ports[1]!, undefined, version);
        const onH = await resumingRequest(ports[0]!, fromD.ticket, version);
        expect(onD.line).toMatch(new RegExp(`^reused=true resumed=1 ${version} `));
        expect(onH.line).toMatch(new RegExp(`^reused=true resumed=1 ${version} `));
        // and a chain of single-use tickets behaves the same in both
        const chains: string[][] = [];
        for (const port of ports) {
          const lines: string[] = [];
          let ticket: Buffer | undefined;
          for (let i = 0; i < 3; i++) {
            const a = await resumingRequest(port, ticket, version);
            lines.push(a.line);
            ticket = a.ticket ?? ticket;
          }
          chains.push(lines);
        }
        expect(chains[1]).toEqual(chains[0]);
      }
      expect(d.exitStatus()).toBeNull();
    } finally {
      await h.stop();
      await d.stop();
    }
  });
});

describe('logs', () => {
  it("%ft ends with '~' on a TLS bind; %sslv and %sslc name the protocol and cipher", async () => {
    const r = await both(
      2,
      ([plain, tls]) =>
        config([
          'frontend fe',
          '  log stdout format raw local0',
          '  log-format "%ft %sslv %sslc %ST sni=%[ssl_fc_sni] proto=%[ssl_fc_protocol] fc=%[ssl_fc] resumed=%[ssl_fc_is_resumed]"',
          `  bind 127.0.0.1:${plain}`,
          `  bind 127.0.0.1:${tls} ssl crt def.pem`,
          '  http-request return status 200 content-type text/plain string ok',
        ]),
      async ([plain, tls], _b, proxy) => {
        await tlsRequest(tls!, { servername: 'default.test' });
        await rawExchange(
          plain!,
          Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
          5000,
        );
        const deadline = Date.now() + 5000;
        while (
          proxy
            .stdout()
            .split('\n')
            .filter((l) => l.startsWith('fe')).length < 2 &&
          Date.now() < deadline
        )
          await new Promise((res) => setTimeout(res, 50));
        return proxy
          .stdout()
          .split('\n')
          .filter((l) => l.startsWith('fe'));
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy[0]).toMatch(
      /^fe~ TLSv1\.3 TLS_\S+ 200 sni=default\.test proto=TLSv1\.3 fc=1 resumed=0$/,
    );
  });
});

describe('client certificates', () => {
  for (const verify of ['required', 'optional'] as const) {
    it(`verify ${verify}: a good, a foreign and no certificate`, async () => {
      const r = await both(
        1,
        ([p]) =>
          config([
            'frontend fe',
            `  bind 127.0.0.1:${p} ssl crt def.pem verify ${verify} ca-file ca.crt`,
            `  http-request return status 200 content-type text/plain lf-string "${ECHO_FETCHES}"`,
          ]),
        async ([p]) => {
          const out: string[] = [];
          const clients = [
            ['good', pki.read('client.crt'), pki.read('client.key')],
            ['foreign', pki.read('rogue.crt'), pki.read('rogue.key')],
            ['none', undefined, undefined],
          ] as const;
          for (const [what, cert, key] of clients) {
            const a = await tlsRequest(p!, {
              servername: 'default.test',
              ...(cert !== undefined ? { cert, key } : {}),
            });
            // TLS 1.3 clients learn of a refused certificate after their handshake: what counts
            // is whether a response came
            const answered = a.response.startsWith('HTTP/1.1 200');
            out.push(`${what}: ${answered ? bodyOf(a.response) : 'no response'}`);
          }
          return out;
        },
      );
      expect(r.haproxyd).toEqual(r.haproxy);
      expect(r.haproxy[0]).toContain('used=1 verify=0 dn=/C=FR/O=Clients/CN=good client');
      expect(r.haproxy[1]).toBe('foreign: no response');
    });
  }
});

describe('certificate fetches', () => {
  const FETCHES = [
    'ssl_c_s_dn',
    'ssl_c_s_dn(CN)',
    'ssl_c_s_dn(O)',
    'ssl_c_s_dn(commonName)',
    'ssl_c_s_dn(CN,-1)',
    'ssl_c_s_dn(CN,2)',
    'ssl_c_s_dn(,0,rfc2253)',
    'ssl_c_i_dn',
    'ssl_c_i_dn(CN)',
    'ssl_c_serial,hex',
    'ssl_c_sha1,hex',
    'ssl_c_der,base64',
    'ssl_c_notbefore',
    'ssl_c_notafter',
    'ssl_c_version',
    'ssl_c_sig_alg',
    'ssl_c_key_alg',
    'ssl_f_s_dn',
    'ssl_f_i_dn(CN)',
    'ssl_f_serial,hex',
    'ssl_f_sha1,hex',
    'ssl_f_version',
    'ssl_f_sig_alg',
    'ssl_f_key_alg',
    'ssl_f_notafter',
    'ssl_fc_use_keysize',
    'ssl_fc_alg_keysize',
  ];

  it('ssl_c_* (the client certificate) and ssl_f_* (the one presented) give what HAProxy gives', async () => {
    const r = await both(
      1,
      ([p]) =>
        config([
          'frontend fe',
          `  bind 127.0.0.1:${p} ssl crt def.pem verify optional ca-file ca.crt`,
          // `<index>=<value>` for each fetch; HAProxy's lf-string prints '-' for one without a sample
          `  http-request return status 200 content-type text/plain lf-string "${FETCHES.map((f, i) => `${i}=%[${f}]`).join('|')}"`,
        ]),
      async ([p]) => {
        const out: string[] = [];
        for (const cipher of ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256']) {
          for (const withCert of [true, false]) {
            const a = await tlsRequest(p!, {
              servername: 'default.test',
              ciphers: cipher,
              ...(withCert ? { cert: pki.read('client.crt'), key: pki.read('client.key') } : {}),
            });
            const body = bodyOf(a.response);
            for (const field of body.split('|')) {
              const eq = field.indexOf('=');
              out.push(
                `${cipher} cert=${withCert} ${FETCHES[Number(field.slice(0, eq))]} ${field.slice(eq + 1)}`,
              );
            }
          }
        }
        return out;
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy).toContain('TLS_AES_128_GCM_SHA256 cert=true ssl_c_s_dn(CN) good client');
    expect(r.haproxy).toContain(
      'TLS_AES_128_GCM_SHA256 cert=true ssl_c_s_dn(,0,rfc2253) CN=good client,O=Clients,C=FR',
    );
    expect(r.haproxy).toContain('TLS_AES_128_GCM_SHA256 cert=true ssl_c_sig_alg RSA-SHA256');
    expect(r.haproxy).toContain('TLS_AES_128_GCM_SHA256 cert=false ssl_c_s_dn(CN) ');
    expect(r.haproxy).toContain('TLS_CHACHA20_POLY1305_SHA256 cert=false ssl_fc_use_keysize 256');
  });

  it.each(['ssl_c_s_dn(CN,1,foo)', 'ssl_c_s_dn(CN,x)', 'ssl_c_sha1(1)'])('-c: %s', async (fetch) => {
    const cfg = writeConfig(
      config([
        'frontend fe',
        '  bind 127.0.0.1:8443 ssl crt def.pem',
        `  http-request set-header X %[${fetch}]`,
        '  http-request return status 200',
      ]),
    );
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    // the fetch's own words (the rule wrapper around them is compared by rules-check.test.ts)
    const reason = (x: typeof h) =>
      x.alerts
        .filter((a) => a.line != null)
        .map(
          (a) => `${a.line} ${/failed to parse sample expression <[^>]*> : (.*?)\.*$/.exec(a.message)?.[1]}`,
        );
    expect({ code: d.code, alerts: reason(d) }).toEqual({ code: h.code, alerts: reason(h) });
    expect(reason(h)).toHaveLength(1);
  });
});

describe('plain and TLS on one frontend', () => {
  it('redirect scheme https if !{ ssl_fc }', async () => {
    const r = await both(
      2,
      ([plain, tls]) =>
        config([
          'frontend fe',
          `  bind 127.0.0.1:${plain}`,
          `  bind 127.0.0.1:${tls} ssl crt def.pem`,
          '  redirect scheme https code 301 if !{ ssl_fc }',
          '  default_backend be',
          // the frontend's redirect runs after its own http-request rules: the answer is the backend's
          'backend be',
          '  http-request return status 200 content-type text/plain lf-string "secure %[ssl_fc]"',
        ]),
      async ([plain, tls]) => {
        const a = await rawExchange(
          plain!,
          Buffer.from('GET /p?q=1 HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n'),
          5000,
        );
        const head = a.received.toString('latin1').split('\r\n');
        const b = await tlsRequest(tls!, { servername: 'site.test' });
        return [head[0], head.find((h) => h.toLowerCase().startsWith('location:')), bodyOf(b.response)];
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy[1]).toBe('location: https://site.test/p?q=1');
  });
});

describe('TLS passthrough in mode tcp', () => {
  let servers: TlsServer[] = [];
  const sockets = new Set<import('node:net').Socket>();
  afterAll(async () => {
    for (const c of sockets) c.destroy();
    for (const s of servers) await new Promise((r) => s.close(r));
    servers = [];
  });

  it('routes by req.ssl_sni after tcp-request inspect-delay', async () => {
    // two TLS servers behind the proxy, each with its own certificate
    const ports: number[] = [];
    for (const name of ['www', 'wild']) {
      const s = createTlsServer({ cert: pki.read(`${name}.crt`), key: pki.read(`${name}.key`) }, (c) => {
        sockets.add(c);
        c.once('close', () => sockets.delete(c));
        c.on('error', () => {});
        c.end(`HTTP/1.1 200 OK\r\nContent-Length: ${name.length}\r\nConnection: close\r\n\r\n${name}`);
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      const a = s.address();
      ports.push(typeof a === 'object' && a !== null ? a.port : 0);
    }
    const r = await both(
      1,
      ([p]) =>
        config([
          'frontend fe',
          '  mode tcp',
          `  bind 127.0.0.1:${p}`,
          '  tcp-request inspect-delay 2s',
          '  tcp-request content accept if { req.ssl_hello_type 1 }',
          '  use_backend be_www if { req.ssl_sni -i www.example.test }',
          '  default_backend be_wild',
          'backend be_www',
          '  mode tcp',
          `  server s1 127.0.0.1:${ports[0]}`,
          'backend be_wild',
          '  mode tcp',
          `  server s1 127.0.0.1:${ports[1]}`,
        ]),
      async ([p]) => {
        const out: string[] = [];
        for (const n of ['www.example.test', 'a.wild.test', 'WWW.EXAMPLE.TEST']) {
          const a = await tlsRequest(p!, { servername: n });
          out.push(`${n} -> ${a.subject} ${bodyOf(a.response)}`);
        }
        return out;
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy[0]).toBe('www.example.test -> www.example.test www');
  });
});

describe('bad input on a TLS port', () => {
  it('garbage, plain HTTP and a stalled handshake are closed; the daemon serves on', async () => {
    // the stats socket tells whether a connection was left behind (show info's CurrConns)
    const sock = join(pki.dir, `stats-${process.pid}.sock`);
    const r = await both(
      1,
      ([p]) =>
        config([
          'frontend fe',
          `  bind 127.0.0.1:${p} ssl crt def.pem verify optional ca-file ca.crt`,
          '  http-request return status 200 content-type text/plain string ok',
        ]).replace('global\n', `global\n  stats socket ${sock} level admin\n`),
      async ([p], binary) => {
        const out: string[] = [];
        // a record header announcing a handshake, then noise
        const garbage = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), Buffer.alloc(64, 0xab)]);
        const g = await rawExchange(p!, garbage, 5000);
        out.push(`garbage: closed=${g.closedByPeer} http=${g.received.includes('HTTP/')}`);
        const h = await rawExchange(p!, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 5000);
        out.push(`plain http: closed=${h.closedByPeer} http=${h.received.includes('HTTP/')}`);
        // nothing at all: closed at 'timeout client' (the bound of this wait is 10x that)
        const s = await rawExchange(p!, undefined, TIMEOUT_CLIENT_MS * 10);
        out.push(`stalled: closed=${s.closedByPeer} bytes=${s.received.length}`);
        // a ClientHello cut short, then silence
        const cut = await rawExchange(
          p!,
          Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]),
          TIMEOUT_CLIENT_MS * 10,
        );
        out.push(`cut hello: closed=${cut.closedByPeer}`);
        // a certificate from another CA: refused
        const rogue = await tlsRequest(p!, {
          servername: 'default.test',
          cert: pki.read('rogue.crt'),
          key: pki.read('rogue.key'),
        });
        out.push(`foreign certificate: answered=${rogue.response.startsWith('HTTP/')}`);
        const ok = await tlsRequest(p!, { servername: 'default.test' });
        out.push(`after: ${ok.handshake} ${bodyOf(ok.response)}`);
        if (binary === 'haproxyd') {
          // nothing leaked: no connection is left (the last client's close may still be on its
          // way: asked again, for up to 5 s)
          let current = '';
          for (let n = 0; n < 50; n++) {
            current = /^CurrConns: (\d+)$/m.exec(await cliCommand(sock, 'show info'))?.[1] ?? '';
            if (current === '0') break;
            await new Promise((res) => setTimeout(res, 100));
          }
          expect(current).toBe('0');
        }
        return out;
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy).toEqual([
      'garbage: closed=true http=false',
      'plain http: closed=true http=false',
      'stalled: closed=true bytes=0',
      'cut hello: closed=true',
      'foreign certificate: answered=false',
      'after: ok ok',
    ]);
  });
});

describe('-c checks certificate files as HAProxy does', () => {
  const CASES = [
    'ssl crt def.pem',
    'ssl crt missing.pem',
    'ssl crt nokey.pem',
    'ssl crt mismatch.pem',
    'ssl crt garbage.pem',
    'ssl crt keyonly.pem',
    'ssl crt split.pem',
    'ssl crt certs',
    'ssl crt-list list.txt',
    'ssl crt-list @/list.txt',
    'ssl crt-list @/nolist.txt',
    'ssl crt-list @/list-missing.txt',
    'ssl crt def.pem ca-file nofile.crt',
    'ssl crt def.pem ca-file garbage.pem',
    'ssl crt def.pem crl-file nofile',
    'ssl',
    'crt def.pem',
    'ssl crt def.pem verify bogus',
    'ssl crt def.pem verify required',
    'ssl crt def.pem verify optional ca-file ca.crt',
    'ssl crt def.pem ssl-min-ver TLSv9',
    'ssl crt def.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 no-tlsv10',
    'ssl crt def.pem ciphers NOPE',
    'ssl crt def.pem ciphersuites NOPE',
    'ssl crt def.pem curves NOPE',
    'ssl crt def.pem curves X25519:P-256 ciphers ECDHE-RSA-AES128-GCM-SHA256',
    'ssl crt def.pem alpn h2,http/1.1',
    'ssl crt def.pem generate-certificates',
    'ssl crt def.pem\n  default_backend be\nbackend be\n  server s1 127.0.0.1:9 ssl',
    'ssl crt def.pem\n  default_backend be\nbackend be\n  server s1 127.0.0.1:9 ssl verify none crt nokey.pem',
    'ssl crt def.pem\n  default_backend be\nbackend be\n  server s1 127.0.0.1:9 ssl ca-file ca.crt verify required sni str(a.test)',
  ];
  it.each(CASES)('bind … %s', async (opts) => {
    const cfg = writeConfig(
      config([
        'frontend fe',
        `  bind 127.0.0.1:8443 ${opts.replace('@/', `${pki.dir}/`)}`,
        '  http-request return status 200 content-type text/plain string ok',
      ]),
    );
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    const alerts = (r: typeof h) => r.alerts.map((a) => `${a.file ?? ''}:${a.line ?? ''} ${a.message}`);
    expect({ code: d.code, alerts: alerts(d) }).toEqual({ code: h.code, alerts: alerts(h) });
  });
});

describe('-c checks the global TLS lines as HAProxy does', () => {
  const GLOBALS = [
    'ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
    'ssl-default-bind-options no-sslv3 no-tlsv10 no-tlsv11',
    'ssl-default-bind-options bogus',
    'ssl-default-bind-ciphers NOPE',
    'ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256',
    'ssl-dh-param-file @/nodh.pem',
  ];
  it.each(GLOBALS)('global %s', async (line) => {
    const text = config([
      'frontend fe',
      '  bind 127.0.0.1:8443 ssl crt def.pem',
      '  http-request return status 200 content-type text/plain string ok',
    ]);
    const cfg = writeConfig(text.replace('global\n', `global\n  ${line.replace('@/', `${pki.dir}/`)}\n`));
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    const alerts = (r: typeof h) => r.alerts.map((a) => `${a.file ?? ''}:${a.line ?? ''} ${a.message}`);
    expect({ code: d.code, alerts: alerts(d) }).toEqual({ code: h.code, alerts: alerts(h) });
  });
});

describe('what is not served yet is refused at start', () => {
  const REFUSED: [string, string][] = [
    // (alpn h2 and proto h2 on a bind line are served: h2.test.ts; alpn h2 on a server line: h2-server.test.ts)
    ['ssl crt def.pem npn http/1.1', "bind option 'npn' is not supported yet"],
    [
      'ssl crt def.pem ca-sign-file @/casign.pem generate-certificates',
      "bind option 'generate-certificates' is not supported yet",
    ],
    [
      'ssl crt def.pem\n  mode tcp\n  default_backend be\nbackend be\n  mode tcp\n  server s1 127.0.0.1:9 ssl verify none sni req.ssl_sni',
      "'sni req.ssl_sni' is not supported yet by haproxyd's runtime in mode tcp",
    ],
  ];
  it.each(REFUSED)("bind … %s: refused at start ('not supported yet'), -c passes", async (opts, message) => {
    const [p] = await freePorts(1);
    const cfg = writeConfig(
      config([
        'frontend fe',
        `  bind 127.0.0.1:${p} ${opts.replace('@/', `${pki.dir}/`)}`,
        '  http-request return status 200 content-type text/plain string ok',
      ]),
    );
    const run = runBinary('haproxyd', ['-db', '-f', cfg]);
    const st = await run.closed;
    expect(st.code).toBe(1);
    expect(run.stderr()).toContain(message);
    // the check alone passes, as HAProxy's does
    const [c, h] = await Promise.all([checkConfig('haproxyd', [cfg]), checkConfig('haproxy', [cfg])]);
    expect(h.code).toBe(0);
    expect(c.code).toBe(0);
  });

  it('a raw TCP backend is unaffected by a TLS frontend elsewhere', async () => {
    // a tcp listen without TLS next to a TLS one: the plain one pays nothing and forwards bytes
    const be = await startRawBackend((s) => s.pipe(s));
    const r = await both(
      2,
      ([a, b]) =>
        config([
          'listen plain',
          '  mode tcp',
          `  bind 127.0.0.1:${a}`,
          `  server s1 ${be.addr}`,
          'frontend secure',
          `  bind 127.0.0.1:${b} ssl crt def.pem`,
          '  http-request return status 200 content-type text/plain string ok',
        ]),
      async ([a]) => (await rawExchange(a!, Buffer.from('ping'), 1000)).received.toString(),
    );
    expect(r.haproxyd).toBe('ping');
    expect(r.haproxy).toBe('ping');
  });
});

describe('TLS to servers', () => {
  let server: TlsServer | undefined;
  const sockets = new Set<import('node:net').Socket>();
  afterAll(async () => {
    for (const c of sockets) c.destroy();
    if (server) await new Promise((r) => server!.close(r));
  });

  it('ssl, verify, ca-file, sni, alpn and a client certificate, in http and tcp mode', async () => {
    // a TLS server that says what it saw: the server name, ALPN, the client certificate
    server = createTlsServer(
      {
        cert: pki.read('www.crt'),
        key: pki.read('www.key'),
        ca: pki.read('ca.crt'),
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      },
      (c) => {
        sockets.add(c);
        c.once('close', () => sockets.delete(c));
        c.on('error', () => {});
        const peer = c.getPeerCertificate();
        const body = `sni=${c.servername || '-'} alpn=${c.alpnProtocol || '-'} client=${typeof peer.subject?.CN === 'string' ? peer.subject.CN : '-'}`;
        c.once('data', () =>
          c.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`),
        );
      },
    );
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const be = `127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
    const SERVERS = [
      `ssl verify required ca-file ca.crt sni str(www.example.test)`,
      `ssl verify required ca-file ca.crt sni str(wrong.example.test)`,
      `ssl verify required ca-file otherca.crt sni str(www.example.test)`,
      `ssl verify none`,
      `ssl verify none alpn http/1.1 crt client.pem`,
    ];
    const r = await both(
      SERVERS.length + 1,
      (ports) =>
        config([
          ...SERVERS.flatMap((opts, i) => [
            `listen l${i}`,
            `  bind 127.0.0.1:${ports[i]}`,
            `  server s1 ${be} ${opts}`,
          ]),
          'listen tcp',
          '  mode tcp',
          `  bind 127.0.0.1:${ports[SERVERS.length]}`,
          `  server s1 ${be} ssl verify required ca-file ca.crt sni str(www.example.test)`,
        ]),
      async (ports) => {
        const out: string[] = [];
        for (let i = 0; i < ports.length; i++) {
          const a = await rawExchange(
            ports[i]!,
            Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
            5000,
          );
          const text = a.received.toString('latin1');
          out.push(`${i < SERVERS.length ? SERVERS[i] : 'tcp'} -> ${text.split('\r\n')[0]} ${bodyOf(text)}`);
        }
        return out;
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy[0]).toContain('200 OK sni=www.example.test alpn=- client=-');
    expect(r.haproxy[1]).toContain('503');
    expect(r.haproxy[4]).toContain('alpn=http/1.1 client=good client');
  });

  it('sni <expr>: the name comes from each request, also on a kept-alive client connection', async () => {
    // a TLS server that answers with the server name its connection was opened with
    const named = createTlsServer({ cert: pki.read('www.crt'), key: pki.read('www.key') }, (c) => {
      sockets.add(c);
      c.once('close', () => sockets.delete(c));
      c.on('error', () => {});
      let buf = '';
      c.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        while (buf.includes('\r\n\r\n')) {
          buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
          const body = `sni=${c.servername || '-'}`;
          c.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        }
      });
    });
    await new Promise<void>((r) => named.listen(0, '127.0.0.1', r));
    const port = (named.address() as import('node:net').AddressInfo).port;
    try {
      const r = await both(
        2,
        ([a, b]) =>
          config([
            'listen host',
            `  bind 127.0.0.1:${a}`,
            `  server s1 127.0.0.1:${port} ssl verify required ca-file ca.crt sni req.hdr(host)`,
            'listen lower',
            `  bind 127.0.0.1:${b}`,
            '  http-reuse always',
            `  server s1 127.0.0.1:${port} ssl verify none sni req.hdr(host),lower`,
          ]),
        async ([a, b]) => {
          const out: string[] = [];
          // one client connection, three requests: each name reaches the server
          const names = ['www.example.test', 'other.example.test', 'www.example.test'];
          const pipelined = names
            .map((h) => `GET / HTTP/1.1\r\nHost: ${h}\r\n\r\n`)
            .join('')
            .concat('GET / HTTP/1.1\r\nHost: WWW.Example.TEST\r\nConnection: close\r\n\r\n');
          for (const port of [a!, b!]) {
            const x = await rawExchange(port, Buffer.from(pipelined), 5000);
            const text = x.received.toString('latin1');
            out.push(
              `${port === a ? 'host' : 'lower'}: ${text
                .split('HTTP/1.1 ')
                .slice(1)
                .map((r) => `${r.slice(0, 3)} ${r.slice(r.indexOf('\r\n\r\n') + 4)}`)
                .join(' | ')}`,
            );
          }
          return out;
        },
      );
      expect(r.haproxyd).toEqual(r.haproxy);
      // verify required: other.example.test is not in the certificate (503); the name is sent as received
      expect(r.haproxy[0]).toContain('200 sni=www.example.test | 503');
      expect(r.haproxy[1]).toContain('200 sni=other.example.test');
      expect(r.haproxy[1]).toContain('200 sni=www.example.test');
    } finally {
      await new Promise((res) => named.close(res));
    }
  });
});

describe('TLS under mode tcp and after a PROXY header', () => {
  it('mode tcp offload to a plain server; accept-proxy then TLS keeps the announced address', async () => {
    const echo = await startRawBackend((s) => s.pipe(s));
    const r = await both(
      2,
      ([tcp, pp]) =>
        config([
          'listen offload',
          '  mode tcp',
          `  bind 127.0.0.1:${tcp} ssl crt def.pem`,
          `  server s1 ${echo.addr}`,
          'listen pp',
          `  bind 127.0.0.1:${pp} accept-proxy ssl crt def.pem`,
          '  http-request return status 200 content-type text/plain lf-string "src=%[src] sni=%[ssl_fc_sni]"',
        ]),
      async ([tcp, pp]) => {
        const a = await tlsRequest(tcp!, { servername: 'default.test', request: 'ping over tls' });
        const b = await new Promise<string>((resolve) => {
          const raw = netConnect({ host: '127.0.0.1', port: pp! }, () => {
            raw.write('PROXY TCP4 192.0.2.7 198.51.100.1 4000 443\r\n');
            const t = tlsConnect({ socket: raw, servername: 'pp.test', rejectUnauthorized: false }, () =>
              t.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
            );
            let text = '';
            t.on('data', (d: Buffer) => {
              text += d.toString('latin1');
            });
            t.on('error', () => {});
            t.on('close', () => resolve(bodyOf(text)));
          });
          raw.on('error', () => resolve('connection failed'));
          setTimeout(() => raw.destroy(), 5000);
        });
        return [a.response, b];
      },
    );
    expect(r.haproxyd).toEqual(r.haproxy);
    expect(r.haproxy).toEqual(['ping over tls', 'src=192.0.2.7 sni=pp.test']);
  });
});

describe('large answers to a slow TLS client', () => {
  // the server's bytes are read into a buffer the proxy reuses when nothing still holds them:
  // a client that reads late makes writes queue behind each other, and every byte must arrive
  // as the server sent it
  // small chunks, sent one per turn of the server's loop, so that the proxy reads them one
  // by one while the client's socket is full
  const CHUNK = 1024;
  const CHUNKS = 8 * 1024;
  const body = Buffer.alloc(CHUNK * CHUNKS);
  for (let i = 0, x = 7; i < body.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    body[i] = x >>> 24;
  }
  const expected = createHash('sha256').update(body).digest('hex');

  /** GET over TLS, read nothing for a while, then everything: the sha256 of what follows the head. */
  function slowGet(port: number): Promise<string> {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      const t = tlsConnect(
        { host: '127.0.0.1', port, servername: 'default.test', rejectUnauthorized: false },
        () => {
          t.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
          t.pause();
          setTimeout(() => t.resume(), 1500);
        },
      );
      t.on('data', (d: Buffer) => parts.push(d));
      t.on('error', () => {});
      t.on('close', () => {
        const all = Buffer.concat(parts);
        const at = all.indexOf('\r\n\r\n');
        resolve(
          at < 0
            ? `(no response, ${all.length} bytes)`
            : createHash('sha256')
                .update(all.subarray(at + 4))
                .digest('hex'),
        );
      });
      setTimeout(() => t.destroy(), 20_000);
    });
  }

  it('mode http and mode tcp: every byte arrives in order', async () => {
    const server = await startRawBackend((s) => {
      s.once('data', () => {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        let i = 0;
        const next = (): void => {
          if (s.destroyed) return;
          if (i === CHUNKS) {
            s.end();
            return;
          }
          s.write(body.subarray(i * CHUNK, (i + 1) * CHUNK));
          i++;
          setImmediate(next);
        };
        next();
      });
      s.on('error', () => {});
    });
    const r = await both(
      2,
      ([http, tcp]) =>
        config([
          'listen web',
          // the client waits longer than the file's usual 'timeout client' before reading
          '  timeout client 10s',
          `  bind 127.0.0.1:${http} ssl crt def.pem`,
          `  server s1 ${server.addr}`,
          'listen offload',
          '  mode tcp',
          '  timeout client 10s',
          `  bind 127.0.0.1:${tcp} ssl crt def.pem`,
          `  server s1 ${server.addr}`,
        ]),
      async ([http, tcp]) => [await slowGet(http!), await slowGet(tcp!)],
    );
    expect(r.haproxy).toEqual([expected, expected]);
    expect(r.haproxyd).toEqual(r.haproxy);
  }, 60_000);
});
