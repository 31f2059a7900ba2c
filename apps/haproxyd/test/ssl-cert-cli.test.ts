// End-to-end, differential: the runtime API's certificate transactions (`show ssl cert`,
// `set ssl cert <file> <<`, `commit`, `abort`, `new`, `del`). The same configuration and the
// same command sequence run in the real HAProxy 2.6 and in haproxyd; every answer is compared
// byte for byte (the certificates are the same files, so nothing needs normalising), then what
// a TLS client is presented after the commit (serial and subject) on each bind using the file,
// with and without SNI, and that a connection opened before the commit is served to its end.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type Binary, freePorts, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { cliWithPayload as cli } from './stats-harness.ts';
import { issue, openssl, usePki } from './tls-fixtures.ts';

useTestkit();
const pki = usePki(() => {
  // the replacement for www.pem: same name, another subject, serial and key
  issue(pki.dir, 'www2', '/C=FR/O=New Org/CN=www.example.test', 'DNS:www.example.test', 'ca');
  // an EC certificate, and one with its chain
  openssl(pki.dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key']);
  openssl(pki.dir, ['req', '-new', '-key', 'ec.key', '-out', 'ec.csr', '-subj', '/O=Test/CN=ec.test']);
  writeFileSync(join(pki.dir, 'ec.ext'), 'subjectAltName=DNS:ec.test,IP:127.0.0.1,DNS:ec2.test\n');
  openssl(pki.dir, [
    'x509',
    '-req',
    '-in',
    'ec.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'ec.crt',
    '-days',
    '30',
    '-extfile',
    'ec.ext',
  ]);
  writeFileSync(pki.path('ec.pem'), pki.read('ec.crt') + pki.read('ec.key'));
  writeFileSync(pki.path('chain.pem'), pki.read('wild.crt') + pki.read('ca.crt') + pki.read('wild.key'));
  writeFileSync(pki.path('cli-list.txt'), 'www.pem\nchain.pem *.wild.test\n');
});

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

interface Presented {
  readonly serial: string;
  readonly subject: string;
}

/** The certificate a new handshake gets. */
function presented(port: number, servername?: string): Promise<Presented | string> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      ...(servername !== undefined ? { servername } : {}),
    });
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('secureConnect', () => {
      const c = s.getPeerX509Certificate();
      resolve(c ? { serial: c.serialNumber, subject: c.subject.replaceAll('\n', '/') } : 'no certificate');
      s.destroy();
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** A TLS connection kept open across the commit: its certificate, then one request. */
function openConnection(port: number): Promise<{ socket: TLSSocket; cert: Presented }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      servername: 'www.example.test',
    });
    s.on('secureConnect', () => {
      const c = s.getPeerX509Certificate()!;
      resolve({ socket: s, cert: { serial: c.serialNumber, subject: c.subject.replaceAll('\n', '/') } });
    });
    s.on('error', reject);
  });
}

function requestOn(s: TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      text += d;
    });
    s.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    s.on('error', () => resolve(`error: ${text}`));
    s.write('GET / HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n');
  });
}

describe('runtime API: ssl certificate transactions', () => {
  it('answers as HAProxy does, and new handshakes get the committed certificate', async () => {
    const results = {} as Record<Binary, { answers: string[]; seen: string[] }>;
    const www = (dir: string) => `${dir}//www.pem`;
    for (const b of BINARIES) {
      const [pa, pb] = await freePorts(2);
      const admin = pki.path(`admin-${b}.sock`);
      const oper = pki.path(`oper-${b}.sock`);
      const user = pki.path(`user-${b}.sock`);
      // crt-base ends with '/': HAProxy joins it to the names with one more '/'
      const cfg = [
        'global',
        `  stats socket ${admin} level admin`,
        `  stats socket ${oper} level operator`,
        `  stats socket ${user} level user`,
        `  crt-base ${pki.dir}/`,
        'defaults',
        '  mode http',
        '  timeout client 5s',
        '  timeout server 5s',
        '  timeout connect 5s',
        'frontend fe',
        `  bind 127.0.0.1:${pa} ssl crt def.pem crt www.pem crt ec.pem`,
        `  bind 127.0.0.1:${pb} ssl crt www.pem crt-list ${pki.path('cli-list.txt')}`,
        '  http-request return status 200 content-type text/plain string ok',
        // a client certificate of a server is in the store too
        'backend be',
        `  server s1 127.0.0.1:${pa} ssl verify none crt client.pem`,
        '',
      ].join('\n');
      const proxy = await startProxy(b, writeConfig(cfg), { readyPorts: [pa!, pb!] });
      const answers: string[] = [];
      const seen: string[] = [];
      const say = async (command: string, payload?: string, socket = admin) => {
        answers.push(
          `${command}${payload !== undefined ? ' <<payload' : ''}\n${await cli(socket, command, payload)}`,
        );
      };
      const W = www(pki.dir);
      try {
        // the stats sockets may come a moment after the listeners
        for (let i = 0; i < 100 && ![admin, oper, user].every((f) => existsSync(f)); i++)
          await new Promise((r) => setTimeout(r, 50));
        await say('show ssl cert');
        for (const f of ['def.pem', 'www.pem', 'ec.pem', 'chain.pem'])
          await say(`show ssl cert ${pki.dir}//${f}`);
        await say('show ssl cert nothere.pem');
        await say('show ssl cert', undefined, user);
        await say('show ssl cert', undefined, oper);
        // errors without a transaction
        await say(`commit ssl cert ${W}`);
        await say(`abort ssl cert ${W}`);
        await say('commit ssl cert');
        await say('abort ssl cert');
        await say(`set ssl cert ${W}`);
        await say(`set ssl cert ${pki.dir}//nothere.pem`, pki.read('www2.pem'));
        await say(`set ssl cert ${W}`, pki.read('www2.pem'), oper);
        // a payload whose key is not the certificate's: accepted, refused at commit
        await say(`set ssl cert ${W}`, pki.read('www2.crt') + pki.read('def.key'));
        await say('show ssl cert');
        await say(`show ssl cert *${W}`);
        await say(`show ssl cert *${pki.dir}//def.pem`);
        await say(`commit ssl cert ${W}`);
        await say(`commit ssl cert ${pki.dir}//def.pem`);
        await say(`abort ssl cert ${pki.dir}//def.pem`);
        await say(`set ssl cert ${W}`, 'not a certificate');
        // the certificate alone, then its key with the '.key' extension
        await say(`set ssl cert ${W}`, pki.read('www2.crt'));
        await say(`commit ssl cert ${W}`);
        await say(`set ssl cert ${W}.key`, pki.read('www2.key'));
        await say(`show ssl cert *${W}`);
        const before = await openConnection(pb!);
        seen.push(`before commit: ${JSON.stringify(before.cert)}`);
        await say(`commit ssl cert ${W}`);
        await say(`show ssl cert ${W}`);
        await say('show ssl cert');
        // the connection opened before the commit is served to its end
        seen.push(`old connection: ${await requestOn(before.socket)}`);
        for (const [port, name] of [
          [pa!, 'www.example.test'],
          [pa!, 'alt.example.test'],
          [pa!, undefined],
          [pb!, 'www.example.test'],
          [pb!, undefined],
          [pb!, 'a.wild.test'],
        ] as const) {
          seen.push(
            `${port === pa ? 'A' : 'B'} ${name ?? '(no sni)'}: ${JSON.stringify(await presented(port, name))}`,
          );
        }
        // a new, unused certificate
        await say('new ssl cert extra.pem');
        await say('new ssl cert extra.pem');
        await say(`new ssl cert ${W}`);
        await say('show ssl cert extra.pem');
        await say('set ssl cert extra.pem', pki.read('def.pem'));
        await say('abort ssl cert extra.pem');
        await say('set ssl cert extra.pem', pki.read('def.pem'));
        await say('commit ssl cert extra.pem');
        await say('show ssl cert extra.pem');
        await say(`del ssl cert ${W}`);
        await say(`del ssl cert ${pki.dir}//client.pem`);
        // the server's certificate can be replaced as well (a commit with one instance)
        await say(`set ssl cert ${pki.dir}//client.pem`, pki.read('client.pem'));
        await say(`commit ssl cert ${pki.dir}//client.pem`);
        await say('del ssl cert nope.pem');
        await say('del ssl cert');
        await say('new ssl cert');
        await say('del ssl cert extra.pem');
        await say('show ssl cert');
        expect(proxy.exitStatus(), `${b} exited`).toBeNull();
      } finally {
        await proxy.stop();
      }
      results[b] = { answers, seen };
    }
    // answer by answer, so that a difference names its command
    for (let i = 0; i < results.haproxy.answers.length; i++)
      expect(results.haproxyd.answers[i]).toBe(results.haproxy.answers[i]);
    expect(results.haproxyd.seen).toEqual(results.haproxy.seen);
    // and the reference does what the manual says
    const newSerial = new (await import('node:crypto')).X509Certificate(readFileSync(pki.path('www2.crt')))
      .serialNumber;
    expect(results.haproxy.seen).toContain(
      `B www.example.test: ${JSON.stringify({ serial: newSerial, subject: 'C=FR/O=New Org/CN=www.example.test' })}`,
    );
    expect(results.haproxy.seen).toContain('old connection: HTTP/1.1 200 OK');
    expect(results.haproxy.answers.join('')).toContain('Committing');
  });
});
