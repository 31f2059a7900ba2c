// End-to-end, differential: health checks over TLS (`check-ssl`, `check-sni`, and TLS
// inherited from a server's `ssl`). The same backends are checked by the real HAProxy 2.6 and
// by haproxyd against a TLS-only service and a plain one; `show stat` must give the same
// state, check status and check description for each server (UP with L6OK/L7OK over TLS,
// DOWN with L6RSP "SSL handshake failure" against plain TCP, L6RSP for a certificate that
// does not carry the check-sni name).

import { type Binary, checkConfig, freePorts, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { cli } from './stats-harness.ts';
import { usePki } from './tls-fixtures.ts';

useTestkit();
const pki = usePki();

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

/** pxname,svname,status,check_status,last_chk,check_desc of each server. */
async function servers(sock: string): Promise<string[]> {
  const csv = await cli(sock, 'show stat');
  const lines = csv.split('\n').filter((l) => l !== '');
  const head = lines[0]!.slice(2).split(',');
  const col = (n: string) => head.indexOf(n);
  const out: string[] = [];
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    if (f[1] === 'FRONTEND' || f[1] === 'BACKEND' || f[0] === 'tlsonly' || f[0] === 'plain') continue;
    out.push(
      [f[0], f[1], f[col('status')], f[col('check_status')], f[col('last_chk')], f[col('check_desc')]].join(
        ',',
      ),
    );
  }
  return out;
}

describe('health checks over TLS', () => {
  it('check-ssl makes a server UP against a TLS-only service and DOWN against a plain one', async () => {
    const seen = {} as Record<Binary, string[]>;
    for (const b of BINARIES) {
      const [tlsPort, plainPort] = await freePorts(2);
      const sock = pki.path(`checks-${b}.sock`);
      const srv = (name: string, port: number, opts: string) =>
        `  server ${name} 127.0.0.1:${port} check inter 200 rise 1 fall 1 ${opts}`;
      const cfg = [
        'global',
        `  stats socket ${sock} level admin`,
        `  crt-base ${pki.dir}`,
        `  ca-base ${pki.dir}`,
        'defaults',
        '  mode http',
        '  timeout client 2s',
        '  timeout server 2s',
        '  timeout connect 2s',
        '  timeout check 1s',
        'frontend tlsonly',
        `  bind 127.0.0.1:${tlsPort} ssl crt www.pem`,
        '  http-request return status 200 content-type text/plain string ok',
        'frontend plain',
        `  bind 127.0.0.1:${plainPort}`,
        '  http-request return status 200 content-type text/plain string ok',
        'backend tcpchk',
        srv('tls', tlsPort!, 'check-ssl verify none'),
        srv('plain', plainPort!, 'check-ssl verify none'),
        srv('plaincheck', tlsPort!, 'verify none'),
        'backend httpchk',
        '  option httpchk GET /',
        srv('tls', tlsPort!, 'check-ssl verify none'),
        srv('plain', plainPort!, 'check-ssl verify none'),
        srv('verified', tlsPort!, 'check-ssl ca-file ca.crt check-sni www.example.test'),
        srv('othername', tlsPort!, 'check-ssl ca-file ca.crt check-sni nope.test'),
        srv('inherited', tlsPort!, 'ssl verify none'),
        '',
      ].join('\n');
      const proxy = await startProxy(b, writeConfig(cfg), { readyPorts: [tlsPort!, plainPort!] });
      try {
        // every server settled (UP or DOWN, each with a check result), bounded generously
        let last: string[] = [];
        for (let i = 0; i < 100; i++) {
          // the stats socket may come a moment after the listeners
          last = await servers(sock).catch((e: Error) => [e.message]);
          if (last.length === 8 && last.every((l) => /,(UP|DOWN),L\d/.test(l))) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        seen[b] = last;
        expect(proxy.exitStatus(), `${b} exited`).toBeNull();
      } finally {
        await proxy.stop();
      }
    }
    expect(seen.haproxyd).toEqual(seen.haproxy);
    expect(seen.haproxy).toContain('tcpchk,tls,UP,L6OK,,Layer6 check passed');
    expect(seen.haproxy).toContain('tcpchk,plain,DOWN,L6RSP,SSL handshake failure,Layer6 invalid response');
    expect(seen.haproxy).toContain('httpchk,verified,UP,L7OK,,Layer7 check passed');
  });

  it("check-ssl reads the server's TLS settings: -c refuses a check that would verify without a CA", async () => {
    const cfg = writeConfig(
      [
        'defaults',
        '  mode http',
        '  timeout client 2s',
        '  timeout server 2s',
        '  timeout connect 2s',
        'backend b',
        '  server s1 127.0.0.1:1 check check-ssl',
        '',
      ].join('\n'),
    );
    const alerts = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('[ALERT]'))
        .map((l) => l.replace(/\(\d+\)/, '(pid)'));
    const [c, h] = await Promise.all([checkConfig('haproxyd', [cfg]), checkConfig('haproxy', [cfg])]);
    expect(h.code).not.toBe(0);
    expect(c.code).toBe(h.code);
    expect(alerts(c.stderr)).toEqual(alerts(h.stderr));
  });
});
