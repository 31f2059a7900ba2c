// End-to-end, differential: the runtime API's CA and CRL file commands (`show|new|set|commit|
// abort|del ssl ca-file` and `… crl-file`, `show ssl ca-file <file>:<index>`), a CA file made at
// run time and used by a crt-list line added at run time, and the OCSP commands' answers when
// no response is stapled (responses made by `openssl ocsp`, each refused for its own reason). The same configuration and commands run in the real HAProxy 2.6 and
// in haproxyd; every answer is compared byte for byte (only the configuration file's path would
// differ, and no answer names it), then which client certificates new handshakes accept on the
// `verify required` binds after each commit.

import { readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { type Binary, freePorts, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { cliWithPayload as cli, waitUntil } from './stats-harness.ts';
import { openssl, tlsRequest, usePki } from './tls-fixtures.ts';

useTestkit();
const pki = usePki(() => {
  // revocation lists of the test CA: an empty one, then one revoking the good client
  writeFileSync(
    pki.path('ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      'dir = .',
      'database = index.txt',
      'crlnumber = crlnumber',
      'default_md = sha256',
      'default_crl_days = 30',
      'certificate = ca.crt',
      'private_key = ca.key',
      '',
    ].join('\n'),
  );
  writeFileSync(pki.path('index.txt'), '');
  writeFileSync(pki.path('crlnumber'), '01\n');
  openssl(pki.dir, ['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl-empty.pem']);
  openssl(pki.dir, ['ca', '-config', 'ca.cnf', '-revoke', 'client.crt']);
  openssl(pki.dir, ['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl-revoked.pem']);
  // OCSP responses of the test CA: the (revoked) client, without a next update, a certificate
  // the CA does not know, two certificates at once
  const ocsp = (req: string, resp: string, certs: string[], days: boolean) => {
    openssl(pki.dir, [
      'ocsp',
      '-issuer',
      'ca.crt',
      ...certs.flatMap((c) => ['-cert', c]),
      '-no_nonce',
      '-reqout',
      req,
    ]);
    openssl(pki.dir, [
      'ocsp',
      '-index',
      'index.txt',
      '-rsigner',
      'ca.crt',
      '-rkey',
      'ca.key',
      '-CA',
      'ca.crt',
      '-reqin',
      req,
      '-respout',
      resp,
      ...(days ? ['-ndays', '1'] : []),
    ]);
  };
  ocsp('req-client.der', 'ocsp-client.der', ['client.crt'], true);
  ocsp('req-client.der', 'ocsp-nonext.der', ['client.crt'], false);
  ocsp('req-www.der', 'ocsp-unknown.der', ['www.crt'], true);
  ocsp('req-two.der', 'ocsp-two.der', ['www.crt', 'client.crt'], true);
  // the CA again under another name, so that its CRL bind is not touched by the CA commit
  writeFileSync(pki.path('ca-copy.crt'), pki.read('ca.crt'));
  writeFileSync(pki.path('srvca.crt'), pki.read('ca.crt'));
  // both CAs in one file, written in the order OpenSSL does not keep
  writeFileSync(pki.path('both.crt'), pki.read('otherca.crt') + pki.read('ca.crt') + pki.read('otherca.crt'));
  // OpenSSL sorts its store before each addition: the last one added stays last
  writeFileSync(pki.path('pair.crt'), pki.read('otherca.crt') + pki.read('ca.crt'));
  writeFileSync(
    pki.path('ca-list.txt'),
    'def.pem\nwww.pem [verify required ca-file otherca.crt] www.example.test\n',
  );
});

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

/** Whether a new connection presenting `who`'s certificate gets an answer. */
async function outcome(port: number, who: 'client' | 'rogue', servername?: string): Promise<string> {
  const r = await tlsRequest(port, {
    cert: pki.read(`${who}.crt`),
    key: pki.read(`${who}.key`),
    ...(servername !== undefined ? { servername } : {}),
  });
  return r.response.startsWith('HTTP/1.1 200') ? 'accepted' : 'refused';
}

/** The status line of one plain HTTP request (the connection closed after it). */
function statusVia(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const s = netConnect({ host: '127.0.0.1', port }, () => {
      s.write('GET / HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n');
    });
    s.setEncoding('latin1');
    s.setTimeout(10_000, () => s.destroy());
    s.on('data', (d: string) => {
      text += d;
    });
    s.on('error', () => {});
    s.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
  });
}

describe('runtime API: CA and CRL files', () => {
  it('answers as HAProxy does, and a commit changes which client certificates are accepted', async () => {
    const results = {} as Record<Binary, { answers: string[]; seen: string[] }>;
    for (const b of BINARIES) {
      const [pa, pb, pc, pd, pe, pf] = await freePorts(6);
      const admin = pki.path(`ca-admin-${b}.sock`);
      const oper = pki.path(`ca-oper-${b}.sock`);
      const user = pki.path(`ca-user-${b}.sock`);
      const cfg = [
        'global',
        `  stats socket ${admin} level admin`,
        `  stats socket ${oper} level operator`,
        `  stats socket ${user} level user`,
        `  crt-base ${pki.dir}`,
        `  ca-base ${pki.dir}`,
        'defaults',
        '  mode http',
        '  timeout client 5s',
        '  timeout server 5s',
        '  timeout connect 5s',
        'frontend fe',
        `  bind 127.0.0.1:${pa} ssl crt def.pem verify required ca-file ca.crt`,
        `  bind 127.0.0.1:${pb} ssl crt def.pem verify required ca-file ca-copy.crt crl-file crl-empty.pem`,
        `  bind 127.0.0.1:${pc} ssl crt def.pem verify none ca-file pair.crt`,
        `  bind 127.0.0.1:${pd} ssl crt-list ${pki.path('ca-list.txt')}`,
        `  bind 127.0.0.1:${pf} ssl crt def.pem`,
        '  http-request return status 200 content-type text/plain string ok',
        // a server with a client certificate: its CA file is linked to it, a commit reaches it
        'frontend relay',
        `  bind 127.0.0.1:${pe}`,
        '  default_backend be2',
        'backend be2',
        '  http-reuse never',
        `  server s1 127.0.0.1:${pf} ssl verify required ca-file srvca.crt crt client.pem`,
        // a server's CA file is listed too (no certificate instance uses it)
        'backend be',
        `  server s1 127.0.0.1:${pa} ssl verify required ca-file ca.crt`,
        `  server s2 127.0.0.1:${pa} ssl verify required ca-file both.crt`,
        '',
      ].join('\n');
      const proxy = await startProxy(b, writeConfig(cfg, `cafile-${b}.cfg`), {
        readyPorts: [pa!, pb!, pc!, pd!, pe!, pf!],
      });
      const answers: string[] = [];
      const seen: string[] = [];
      const say = async (command: string, payload?: string, socket = admin) => {
        answers.push(
          `${command}${payload !== undefined ? ' <<payload' : ''}\n${await cli(socket, command, payload)}`,
        );
      };
      const look = async (label: string, port: number, who: 'client' | 'rogue', name?: string) => {
        seen.push(
          `${label} ${who}${name !== undefined ? ` (${name})` : ''}: ${await outcome(port, who, name)}`,
        );
      };
      const CA = pki.path('ca.crt');
      const CRL = pki.path('crl-empty.pem');
      const NEW = pki.path('new.crt');
      try {
        await waitUntil('stats sockets', async () => (await cli(admin, 'show info')).includes('Name:'));
        await say('show ssl ca-file');
        await say('show ssl ca-file', undefined, oper);
        await say('show ssl ca-file', undefined, user);
        await say(`show ssl ca-file ${CA}`);
        await say(`show ssl ca-file ${pki.path('both.crt')}`);
        await say(`show ssl ca-file ${pki.path('both.crt')}:2`);
        await say(`show ssl ca-file ${pki.path('pair.crt')}`);
        // the system's store, as HAProxy's HTTP client loads it
        await say('show ssl ca-file @system-ca:1');
        await say(`show ssl ca-file ${pki.path('otherca.crt')}:1`);
        await say(`show ssl ca-file ${CA}:0`);
        await say(`show ssl ca-file ${CA}:x`);
        await say(`show ssl ca-file ${CA}:5`);
        await say('show ssl ca-file nothere.crt');
        await say(`show ssl ca-file ${CRL}`);
        await say('show ssl crl-file');
        await say(`show ssl crl-file ${CRL}`);
        await say(`show ssl crl-file ${CA}`);
        await look('A before', pa!, 'client');
        await look('A before', pa!, 'rogue');
        await look('B before', pb!, 'client');
        await look('D before', pd!, 'rogue', 'www.example.test');
        await look('D before', pd!, 'client', 'www.example.test');
        // refusals without a transaction
        await say('new ssl ca-file');
        await say(`new ssl ca-file ${CA}`);
        await say('set ssl ca-file');
        await say(`set ssl ca-file ${pki.path('nothere.crt')}`, pki.read('otherca.crt'));
        await say(`set ssl ca-file ${CA}`, 'not a certificate');
        await say(`set ssl ca-file ${CA}`, pki.read('otherca.crt'), oper);
        await say('commit ssl ca-file');
        await say(`commit ssl ca-file ${CA}`);
        await say(`abort ssl ca-file ${CA}`);
        await say('abort ssl ca-file');
        // a transaction: created, updated, shown, refused for another file, committed
        await say(`set ssl ca-file ${CA}`, pki.read('both.crt'));
        await say(`set ssl ca-file ${CA}`, pki.read('otherca.crt'));
        await say('show ssl ca-file');
        await say(`show ssl ca-file *${CA}`);
        await say(`show ssl ca-file *${CA}:2`);
        await say(`set ssl ca-file ${pki.path('both.crt')}`, pki.read('ca.crt'));
        await say(`commit ssl ca-file ${pki.path('both.crt')}`);
        await say(`abort ssl ca-file ${pki.path('both.crt')}`);
        await look('A during transaction', pa!, 'client');
        await say(`commit ssl ca-file ${CA}`);
        await look('A after commit', pa!, 'client');
        await look('A after commit', pa!, 'rogue');
        await look('B after CA commit', pb!, 'client');
        await say(`show ssl ca-file ${CA}`);
        await say(`del ssl ca-file ${CA}`);
        await say('del ssl ca-file nothere.crt');
        await say('del ssl ca-file');
        // the CRL: revoke the good client
        await say('new ssl crl-file');
        await say(`new ssl crl-file ${CRL}`);
        await say('set ssl crl-file');
        await say(`set ssl crl-file ${CRL}`, 'garbage');
        await say(`set ssl crl-file ${CRL}`, pki.read('crl-revoked.pem'));
        await say('show ssl crl-file');
        await say(`show ssl crl-file *${CRL}`);
        await say(`show ssl crl-file *${CRL}:1`);
        await say(`show ssl crl-file *${CRL}:2`);
        await say(`abort ssl crl-file ${pki.path('x.pem')}`);
        await say(`commit ssl crl-file ${pki.path('x.pem')}`);
        await look('B before CRL commit', pb!, 'client');
        await say(`commit ssl crl-file ${CRL}`);
        await look('B after CRL commit', pb!, 'client');
        await say(`show ssl crl-file ${CRL}`);
        await say(`del ssl crl-file ${CRL}`);
        await say(`del ssl crl-file ${CA}`);
        await say('new ssl crl-file c.crl');
        await say('show ssl crl-file c.crl');
        await say('del ssl crl-file c.crl');
        // a CA file made at run time, used by a crt-list line added at run time
        await say(`new ssl ca-file ${NEW}`);
        await say(`show ssl ca-file ${NEW}`);
        await say(`set ssl ca-file ${NEW}`, pki.read('otherca.crt'));
        await say(`show ssl ca-file *${NEW}`);
        await say(`commit ssl ca-file ${NEW}`);
        await say(
          `add ssl crt-list ${pki.path('ca-list.txt')}`,
          'www.pem [verify required ca-file new.crt] alt.example.test',
        );
        await say('show ssl ca-file');
        await look('D added line', pd!, 'rogue', 'alt.example.test');
        await look('D added line', pd!, 'client', 'alt.example.test');
        await say(`del ssl ca-file ${NEW}`);
        // the crt-list line's own CA file
        await say(`set ssl ca-file ${pki.path('otherca.crt')}`, pki.read('ca.crt'));
        await say(`commit ssl ca-file ${pki.path('otherca.crt')}`);
        await look('D after commit', pd!, 'rogue', 'www.example.test');
        await look('D after commit', pd!, 'client', 'www.example.test');
        await look('D untouched line', pd!, 'rogue', 'alt.example.test');
        // once no line uses it, the run-time CA file can go
        await say(`del ssl crt-list ${pki.path('ca-list.txt')} ${pki.path('www.pem')}:3`);
        await say(`show ssl ca-file ${NEW}`);
        await say(`del ssl ca-file ${NEW}`);
        await look('D deleted line', pd!, 'rogue', 'alt.example.test');
        // a server's CA file: the next connections to the server verify with the new one
        await say(`show ssl ca-file ${pki.path('srvca.crt')}`);
        seen.push(`relay before: ${await statusVia(pe!)}`);
        await say(`set ssl ca-file ${pki.path('srvca.crt')}`, pki.read('otherca.crt'));
        await say(`commit ssl ca-file ${pki.path('srvca.crt')}`);
        seen.push(`relay after: ${await statusVia(pe!)}`);
        // OCSP: none is stapled
        await say('show ssl ocsp-response');
        await say('show ssl ocsp-response 303b300906052b0e03021a05000414');
        await say(`show ssl ocsp-response ${'0'.repeat(300)}`);
        await say('set ssl ocsp-response');
        await say('set ssl ocsp-response AAAA');
        await say('set ssl ocsp-response AAA');
        await say('set ssl ocsp-response', 'AAAA');
        const b64 = (f: string) => readFileSync(pki.path(f)).toString('base64');
        for (const f of [
          'ocsp-client.der',
          'ocsp-nonext.der',
          'ocsp-unknown.der',
          'ocsp-two.der',
          'req-client.der',
        ])
          await say(`set ssl ocsp-response ${b64(f)}`);
        // a response whose status is not 'successful' (malformedRequest)
        await say('set ssl ocsp-response MAMKAQE=');
        await say('set ssl ocsp-response', b64('ocsp-client.der').replace(/(.{64})/g, '$1\n'));
        await say(`show ssl cert ${pki.path('def.pem')}.ocsp`);
        await say(`show ssl cert ${pki.path('nothere.pem')}.ocsp`);
        expect(proxy.exitStatus(), `${b} exited`).toBeNull();
      } finally {
        await proxy.stop();
      }
      results[b] = { answers, seen };
    }
    for (let i = 0; i < results.haproxy.answers.length; i++)
      expect(results.haproxyd.answers[i]).toBe(results.haproxy.answers[i]);
    expect(results.haproxyd.answers.length).toBe(results.haproxy.answers.length);
    expect(results.haproxyd.seen).toEqual(results.haproxy.seen);
    const all = results.haproxy.answers.join('');
    for (const why of [
      'OCSP single response: Certificate ID does not match any certificate or issuer.\n',
      'OCSP single response: missing nextupdate.\n',
      'OCSP single response: certificate status is unknown.\n',
      'OCSP response ignored because contains multiple single responses (2).\n',
      'OCSP response status not successful.\n',
    ])
      expect(all).toContain(why);
    // and the reference does what the manual says
    expect(results.haproxy.seen).toEqual(
      expect.arrayContaining([
        'A before client: accepted',
        'A before rogue: refused',
        'A after commit client: refused',
        'A after commit rogue: accepted',
        'B before CRL commit client: accepted',
        'B after CRL commit client: refused',
        'D added line rogue (alt.example.test): accepted',
        'D after commit client (www.example.test): accepted',
        'relay before: HTTP/1.1 200 OK',
        'relay after: HTTP/1.1 503 Service Unavailable',
      ]),
    );
  });
});
