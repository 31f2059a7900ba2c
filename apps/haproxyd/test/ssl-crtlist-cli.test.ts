// End-to-end, differential: the runtime API's crt-list commands (`show ssl crt-list [-n]`,
// `add ssl crt-list <list> <cert>` and its one-line payload form, `del ssl crt-list
// <list> <cert[:line]>`) on a crt-list shared by two bind lines, a certificate directory and a
// strict-sni bind. The same configuration and commands run in the real HAProxy 2.6 and in
// haproxyd; every answer is compared byte for byte (only the configuration file's own path,
// named in one refusal, is normalised), then which certificate new handshakes get for each
// server name after the lines were added and deleted.

import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { type Binary, freePorts, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { cliWithPayload as cli, waitUntil } from './stats-harness.ts';
import { issue, usePki } from './tls-fixtures.ts';

useTestkit();
const pki = usePki(() => {
  // the certificate pushed at run time, and one for the strict-sni bind
  issue(pki.dir, 'extra', '/CN=extra.test', 'DNS:extra.test,DNS:more.test', 'ca');
  issue(pki.dir, 'strict', '/CN=strict.test', 'DNS:strict.test', 'ca');
  // comments, blank lines, options in any order, filters as written
  writeFileSync(
    pki.path('rt-list.txt'),
    [
      '# the default certificate first',
      'def.pem',
      'www.pem [ssl-min-ver TLSv1.2 alpn http/1.1 verify none] WWW.example.test !no.example.test',
      '',
      'wild.pem [] *.wild.test',
      '',
    ].join('\n'),
  );
  writeFileSync(pki.path('strict-list.txt'), 'strict.pem\nwww.pem\n');
});

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

/** The subject of the certificate a new handshake gets for `name` (or that there is none). */
function served(port: number, name?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      ...(name !== undefined ? { servername: name } : {}),
    });
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('secureConnect', () => {
      const c = s.getPeerX509Certificate();
      resolve(c ? c.subject.replaceAll('\n', '/') : 'no certificate');
      s.destroy();
    });
    s.on('error', () => resolve('handshake refused'));
  });
}

describe('runtime API: crt-list commands', () => {
  it('answers as HAProxy does, and new handshakes follow the added and deleted lines', async () => {
    const results = {} as Record<Binary, { answers: string[]; seen: string[] }>;
    for (const b of BINARIES) {
      const [pa, pb, pc] = await freePorts(3);
      const admin = pki.path(`cl-admin-${b}.sock`);
      const oper = pki.path(`cl-oper-${b}.sock`);
      const list = pki.path('rt-list.txt');
      const strictList = pki.path('strict-list.txt');
      const dir = pki.path('certs');
      const cfg = [
        'global',
        `  stats socket ${admin} level admin`,
        `  stats socket ${oper} level operator`,
        `  crt-base ${pki.dir}`,
        'defaults',
        '  mode http',
        '  timeout client 5s',
        '  timeout server 5s',
        '  timeout connect 5s',
        'frontend fe',
        `  bind 127.0.0.1:${pa} ssl crt-list ${list}`,
        `  bind 127.0.0.1:${pb} ssl crt certs crt-list ${list}`,
        `  bind 127.0.0.1:${pc} ssl strict-sni crt-list ${strictList}`,
        '  http-request return status 200 content-type text/plain string ok',
        '',
      ].join('\n');
      const cfgPath = writeConfig(cfg, `crtlist-${b}.cfg`);
      const proxy = await startProxy(b, cfgPath, { readyPorts: [pa!, pb!, pc!] });
      const answers: string[] = [];
      const seen: string[] = [];
      const say = async (command: string, payload?: string, socket = admin) => {
        const answer = (await cli(socket, command, payload)).replaceAll(cfgPath, '<cfg>');
        answers.push(`${command}${payload !== undefined ? ` <<${payload}` : ''}\n${answer}`);
      };
      const look = async (label: string, port: number, name?: string) => {
        seen.push(`${label} ${name ?? '(no sni)'}: ${await served(port, name)}`);
      };
      const X = pki.path('extra.pem');
      try {
        await waitUntil('stats sockets', async () => (await cli(admin, 'show info')).includes('Name:'));
        await say('show ssl crt-list');
        await say(`show ssl crt-list ${list}`);
        await say(`show ssl crt-list -n ${list}`);
        await say(`show ssl crt-list ${dir}/`);
        await say(`show ssl crt-list -n ${dir}`);
        await say(`show ssl crt-list -n ${strictList}`);
        await say('show ssl crt-list -n');
        await say('show ssl crt-list nothere.txt');
        await say('show ssl crt-list', undefined, oper);
        // refusals before anything changes
        await say('add ssl crt-list');
        await say(`add ssl crt-list ${list}`);
        await say('add ssl crt-list nothere.txt www.pem');
        await say(`add ssl crt-list ${list} extra.pem`);
        await say(`add ssl crt-list ${list} www.pem`, undefined, oper);
        // a certificate pushed at run time: empty first, then filled
        await say(`new ssl cert ${X}`);
        await say(`add ssl crt-list ${list} ${X}`);
        await say(`set ssl cert ${X}`, pki.read('extra.pem').trimEnd());
        await say(`commit ssl cert ${X}`);
        await look('A before add', pa!, 'extra.test');
        // a relative name is joined to crt-base, as in the file
        await say(`add ssl crt-list ${list} extra.pem`);
        await say(`show ssl crt-list -n ${list}`);
        await look('A after add', pa!, 'extra.test');
        await look('B after add', pb!, 'more.test');
        await look('A after add', pa!, 'www.example.test');
        // the payload form: options in any order (dumped in HAProxy's order), filters as written
        await say(
          `add ssl crt-list ${list}`,
          `${X} [verify none ssl-max-ver TLSv1.3 alpn http/1.1] Only.extra.test`,
        );
        await say(`add ssl crt-list ${list}`, `${X}\n${X}`);
        await say(`add ssl crt-list ${list}`, `${X} [bogus 1]`);
        await say(`add ssl crt-list ${list}`, '[alpn http/1.1] x.pem');
        await say(`add ssl crt-list ${list}`, `${X} [alpn]`);
        await say(`add ssl crt-list ${list}`, `${X} [verify none] ]`);
        // values are checked before anything is inserted; a CA file must be in the store
        await say(`add ssl crt-list ${list}`, `${X} [ssl-min-ver TLSv9]`);
        await say(`add ssl crt-list ${list}`, `${X} [verify sometimes]`);
        await say(`add ssl crt-list ${list}`, `${X} [verify required ca-file ca.crt]`);
        await say(`add ssl crt-list ${list}`, `${X} [crl-file nothere.pem]`);
        await say(`show ssl crt-list -n ${list}`);
        await look('A after payload', pa!, 'only.extra.test');
        // a directory takes its own files only, without options
        await say(`add ssl crt-list ${dir} extra.pem`);
        await say(`add ssl crt-list ${dir} ${X}`);
        await say(`add ssl crt-list ${dir}/ ${dir}/www.pem`);
        await say(`add ssl crt-list ${dir}`, `${dir}/www.pem [verify none]`);
        await say(`show ssl crt-list ${dir}`);
        // deletions
        await say('del ssl crt-list');
        await say(`del ssl crt-list ${list}`);
        await say(`del ssl crt-list nothere.txt ${X}`);
        await say(`del ssl crt-list ${list} ${pki.path('nothere.pem')}`);
        await say(`del ssl crt-list ${list} extra.pem`);
        await say(`del ssl crt-list ${list} ${X}`);
        await say(`del ssl crt-list ${list} ${X}:99`);
        await say(`del ssl crt-list ${list} ${X}:x`);
        await say(`del ssl crt-list ${list} ${pki.path('def.pem')}`);
        await say(`del ssl crt-list ${list} ${pki.path('client.pem')}`);
        await say(`del ssl crt-list ${list} ${dir}/def.pem`);
        await say(`del ssl crt-list ${list} ${X}:6`, undefined, oper);
        await say(`del ssl crt-list ${list} ${X}:6`);
        await say(`del ssl cert ${X}`);
        await look('A after one del', pa!, 'extra.test');
        await look('A after one del', pa!, 'only.extra.test');
        await say(`del ssl crt-list ${list} ${X}`);
        await say(`del ssl cert ${X}`);
        await say(`show ssl crt-list -n ${list}`);
        await look('A after del', pa!, 'extra.test');
        await look('B after del', pb!, 'more.test');
        await look('A after del', pa!, 'a.wild.test');
        await say(`del ssl crt-list ${list} ${pki.path('wild.pem')}`);
        await look('A after wild del', pa!, 'a.wild.test');
        // the directory's default certificate stays; another one goes
        await say(`del ssl crt-list ${dir}/ ${dir}/def.pem`);
        await say(`del ssl crt-list ${dir}/ ${dir}/wild.pem`);
        await say(`show ssl crt-list ${dir}`);
        await say(`del ssl cert ${dir}/wild.pem`);
        // under strict-sni the first certificate is no default: it can go
        await look('C before del', pc!, 'strict.test');
        await say(`del ssl crt-list ${strictList} ${pki.path('strict.pem')}`);
        await look('C after del', pc!, 'strict.test');
        await look('C after del', pc!, 'www.example.test');
        await say('show ssl cert');
        expect(proxy.exitStatus(), `${b} exited`).toBeNull();
        if (b === 'haproxyd') {
          // per-certificate options haproxyd cannot serve are refused, never ignored
          expect(await cli(admin, `add ssl crt-list ${list}`, `${pki.path('www.pem')} [allow-0rtt]`)).toBe(
            "Can't edit the crt-list: crt-list option 'allow-0rtt' is not supported yet by haproxyd's runtime.\n\n",
          );
        }
      } finally {
        await proxy.stop();
      }
      results[b] = { answers, seen };
    }
    // answer by answer, so that a difference names its command
    for (let i = 0; i < results.haproxy.answers.length; i++)
      expect(results.haproxyd.answers[i]).toBe(results.haproxy.answers[i]);
    expect(results.haproxyd.answers.length).toBe(results.haproxy.answers.length);
    expect(results.haproxyd.seen).toEqual(results.haproxy.seen);
    // and the reference does what the manual says
    const extra = new X509Certificate(pki.read('extra.crt')).subject.replaceAll('\n', '/');
    expect(results.haproxy.seen).toContain(`A after add extra.test: ${extra}`);
    expect(results.haproxy.seen).toContain(`B after add more.test: ${extra}`);
    expect(results.haproxy.seen).toContain('A after del extra.test: CN=default.test');
    expect(results.haproxy.seen).toContain('C after del strict.test: handshake refused');
    expect(results.haproxy.answers.join('')).toContain('Inserting certificate');
  });
});
