// End-to-end, differential: `tls-ticket-keys` files at run time. The same configuration (key
// files shared by several bind lines) and the same runtime API commands (`show tls-keys`,
// `set ssl tls-key`) run in the real HAProxy 2.6 and in haproxyd; every answer is compared
// byte for byte, then where the keys are used: both processes hold the same keys, so a ticket
// one of them gives after the change resumes in the other, and a ticket given before the
// change still resumes until its key leaves the file's three.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { type Binary, freePorts, type ProxyHandle, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { cli } from './stats-harness.ts';
import { usePki } from './tls-fixtures.ts';

useTestkit();
const pki = usePki(() => {
  writeFileSync(pki.path('a.keys'), `${[1, 2, 3, 4, 5].map((i) => key(i)).join('\n')}\n`);
  writeFileSync(pki.path('b.keys'), `${[11, 12, 13].map((i) => key(i)).join('\n')}\n`);
  writeFileSync(pki.path('c.keys'), `${[21, 22, 23].map((i) => key(i)).join('\n')}\n`);
});
const key = (seed: number, bytes = 48) => Buffer.alloc(bytes, seed).toString('base64');

/** One HTTPS request offering `session`: whether it resumed, and the last ticket it got. */
function request(port: number, session?: Buffer): Promise<{ resumed: boolean; ticket: Buffer | undefined }> {
  return new Promise((resolve) => {
    let ticket: Buffer | undefined;
    let resumed = false;
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'default.test',
      rejectUnauthorized: false,
      ...(session !== undefined ? { session } : {}),
    });
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('session', (t: Buffer) => {
      ticket = t;
    });
    s.on('secureConnect', () => {
      resumed = s.isSessionReused();
      s.write('GET / HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n\r\n');
    });
    s.on('error', () => {});
    s.resume();
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ resumed, ticket });
    });
  });
}

function config(sock: string, ports: readonly number[]): string {
  const [p0, p1, p2, p3] = ports;
  return `${[
    'global',
    `  stats socket ${sock} level user`,
    `  crt-base ${pki.dir}`,
    'defaults',
    '  mode http',
    '  timeout client 2s',
    '  timeout server 2s',
    '  timeout connect 2s',
    'frontend fe',
    `  bind 127.0.0.1:${p0} ssl crt def.pem tls-ticket-keys ${pki.path('a.keys')}`,
    `  bind 127.0.0.1:${p1} ssl crt def.pem tls-ticket-keys ${pki.path('b.keys')}`,
    // the same file again: the same keys (one id)
    `  bind 127.0.0.1:${p2} ssl crt def.pem tls-ticket-keys ${pki.path('a.keys')}`,
    `  bind 127.0.0.1:${p3} ssl crt def.pem tls-ticket-keys ${pki.path('c.keys')}`,
    '  http-request return status 200 content-type text/plain string ok',
  ].join('\n')}\n`;
}

describe('show tls-keys / set ssl tls-key', () => {
  it('answers as HAProxy does, and the keys set are the ones used', async () => {
    const procs: Partial<Record<Binary, { proxy: ProxyHandle; sock: string; ports: number[] }>> = {};
    try {
      for (const b of ['haproxy', 'haproxyd'] as const) {
        const ports = await freePorts(4);
        const sock = join(pki.dir, `${b}.sock`);
        const proxy = await startProxy(b, writeConfig(config(sock, ports)), { readyPorts: ports });
        procs[b] = { proxy, sock, ports };
      }
      const commands = [
        'show tls-keys',
        'show tls-keys *',
        'show tls-keys #1',
        `show tls-keys ${pki.path('c.keys')}`,
        'show tls-keys #3',
        'show tls-keys 0',
        'show tls-keys nope',
        'set ssl tls-key',
        `set ssl tls-key #1`,
        `set ssl tls-key #9 ${key(40)}`,
        `set ssl tls-key #1 @@@@`,
        `set ssl tls-key #1 ${key(41, 80)}`,
        `set ssl tls-key #2 ${key(42)}`,
        `set ssl tls-key ${pki.path('a.keys')} ${key(43)}`,
        'show tls-keys *',
      ];
      const answers: Record<string, string[]> = {};
      // a ticket from each before the change, sealed with a.keys's second to last key (4)
      const before: Record<string, Buffer | undefined> = {};
      for (const [b, p] of Object.entries(procs)) {
        before[b] = (await request(p!.ports[0]!)).ticket;
        const out: string[] = [];
        for (const c of commands) out.push(`> ${c}\n${await cli(p!.sock, c)}`);
        answers[b] = out.map((a) => a.replaceAll(pki.dir, '<dir>'));
      }
      expect(answers.haproxyd).toEqual(answers.haproxy);
      expect(answers.haproxy?.[0]).toBe(
        '> show tls-keys\n# id (file)\n0 (<dir>/c.keys)\n1 (<dir>/b.keys)\n2 (<dir>/a.keys)\n\n',
      );

      const h = procs.haproxy!;
      const d = procs.haproxyd!;
      // after two new keys (42 by id, 43 by path) on a.keys: its keys are 5, 42, 43; tickets are
      // sealed with 42.
      // Both processes hold the same: a ticket from either resumes in the other, on both binds
      // sharing the file.
      const fromD = await request(d.ports[2]!);
      const fromH = await request(h.ports[0]!);
      const crossed = [
        (await request(h.ports[0]!, fromD.ticket)).resumed,
        (await request(h.ports[2]!, fromD.ticket)).resumed,
        (await request(d.ports[0]!, fromH.ticket)).resumed,
        (await request(d.ports[2]!, fromH.ticket)).resumed,
      ];
      expect(crossed).toEqual([true, true, true, true]);
      // the tickets given before the change were sealed with key 4, now gone from the three
      expect([
        (await request(h.ports[0]!, before.haproxy)).resumed,
        (await request(d.ports[0]!, before.haproxyd)).resumed,
      ]).toEqual([false, false]);
      // the other files' binds were not touched: a.keys's tickets do not open there
      expect((await request(d.ports[1]!, fromD.ticket)).resumed).toBe(false);
      expect(d.proxy.exitStatus()).toBeNull();
    } finally {
      for (const p of Object.values(procs)) await p?.proxy.stop();
    }
  });
});
