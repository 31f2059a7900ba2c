// @hap/ssl's crt-list and CA/CRL stores on their own: a crt-list line parsed as HAProxy's runtime
// parses it, a line added and deleted through the store changing a bind's SNI table, the
// default certificate kept, a CA file committed changing the CA of the bind's contexts, and a
// revocation list printed field by field as `openssl crl -text` reads the same file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '@hap/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateStore,
  compileBindTls,
  contextPem,
  crlDetails,
  parseCrtListLine,
  type TlsDefaults,
} from '../src/index.ts';
import { bindLine, issueCertificate, testDefaults } from './fixtures.ts';

let dir: string;
const p = (n: string) => join(dir, n);
const read = (n: string) => readFileSync(p(n), 'latin1');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hap-ssl-lists-'));
  issueCertificate(dir, 'a', '/CN=a.test', 'DNS:a.test');
  issueCertificate(dir, 'b', '/CN=b.test', 'DNS:b.test');
  issueCertificate(dir, 'x', '/CN=x.test', 'DNS:x.test,DNS:y.test');
  writeFileSync(p('list.txt'), '# first\na.pem\nb.pem [alpn http/1.1] B.test\n');
  // a revocation list of a's key (a is its own CA), revoking b's serial
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  writeFileSync(
    p('ca.cnf'),
    '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=3\ncertificate=a.crt\nprivate_key=a.key\n',
  );
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('crlnumber'), '01\n');
  run(['ca', '-config', 'ca.cnf', '-revoke', 'b.crt']);
  run(['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const defaults = (): TlsDefaults => testDefaults(dir);

describe('parseCrtListLine', () => {
  it('splits as HAProxy does: brackets anywhere, options, filters as written', () => {
    expect(parseCrtListLine('c.pem [alpn h2 verify none] A.test !b.test', 'CLI', 1)).toEqual({
      cert: 'c.pem',
      options: [
        ['alpn', 'h2'],
        ['verify', 'none'],
      ],
      filters: ['A.test', '!b.test'],
    });
    expect(parseCrtListLine('c.pem[allow-0rtt]x.test', 'CLI', 1)).toEqual({
      cert: 'c.pem',
      options: [['allow-0rtt', true]],
      filters: ['x.test'],
    });
    // no ']': the words after '[' are filters, the (empty) options are still there
    expect(parseCrtListLine('c.pem [alpn h2', 'CLI', 1)).toEqual({
      cert: 'c.pem',
      options: [],
      filters: ['alpn', 'h2'],
    });
    expect(parseCrtListLine('   ', 'CLI', 1)).toBeUndefined();
  });
  it("refuses in HAProxy's words", () => {
    expect(parseCrtListLine('[alpn h2] c.pem', 'CLI', 1)).toBe(
      'parsing [CLI:1]: file must start with a cert',
    );
    expect(parseCrtListLine('c.pem [a] [b]', 'CLI', 1)).toBe("parsing [CLI:1]: too many '['");
    expect(parseCrtListLine('c.pem ]', 'CLI', 1)).toBe("parsing [CLI:1]: missing '['");
    expect(parseCrtListLine('c.pem [nope 1]', 'CLI', 1)).toBe('parsing [CLI:1]: unknown ssl keyword nope');
    expect(parseCrtListLine('c.pem [alpn]', 'CLI', 1)).toBe("parsing [CLI:1]: ssl args out of '[]' for alpn");
  });
});

describe('crt-list store', () => {
  it('an added line is served for its names on the binds using the list; a deleted one is forgotten', () => {
    const store = new CertificateStore();
    store.crtLists.crtBase = dir;
    const out: Diagnostic[] = [];
    const { tls } = compileBindTls(
      bindLine([
        ['ssl', true],
        ['crt-list', p('list.txt')],
      ]),
      { kind: 'frontend', name: 'fe' },
      defaults(),
      out,
      store,
    );
    expect(out).toEqual([]);
    expect(store.crtLists.show(['-n', p('list.txt')])).toBe(
      `# ${p('list.txt')}\n${p('a.pem')}:2\n${p('b.pem')}:3 [alpn http/1.1\0] B.test\n`,
    );
    expect(tls!.select('x.test')).toBeUndefined();
    // a certificate must be in the store before a line can name it
    expect(store.crtLists.add(p('list.txt'), 'x.pem', undefined)).toBe(
      `Can't edit the crt-list: certificate '${p('x.pem')}' does not exist!\n`,
    );
    store.create(p('x.pem'));
    store.set(p('x.pem'), read('x.pem'));
    store.commit(p('x.pem'));
    expect(store.crtLists.add(p('list.txt'), undefined, 'x.pem [verify none] Y.test')).toBe(
      `Inserting certificate '${p('x.pem')}' in crt-list '${p('list.txt')}'.\nSuccess!\n`,
    );
    // its filter replaces its own names
    expect(tls!.select('y.test')?.cert.path).toBe(p('x.pem'));
    expect(tls!.select('x.test')).toBeUndefined();
    expect(store.delete(p('x.pem'))).toContain('in use');
    expect(store.crtLists.delete(p('list.txt'), `${p('a.pem')}:2`)).toContain(
      'cannot be deleted, it is used as default certificate by the following frontends:\n\t- x.cfg:7\n',
    );
    expect(store.crtLists.delete(p('list.txt'), p('x.pem'))).toBe(
      `Entry '${p('x.pem')}' deleted in crtlist '${p('list.txt')}'!\n`,
    );
    expect(tls!.select('y.test')).toBeUndefined();
    expect(store.delete(p('x.pem'))).toBe(`Certificate '${p('x.pem')}' deleted!\n`);
  });
});

describe('CA and CRL store', () => {
  it('a committed CA file reaches the contexts of the binds verifying with it', () => {
    const store = new CertificateStore();
    const out: Diagnostic[] = [];
    const { tls } = compileBindTls(
      bindLine([
        ['ssl', true],
        ['crt', 'a.pem'],
        ['verify', 'required'],
        ['ca-file', 'a.crt'],
      ]),
      { kind: 'frontend', name: 'fe' },
      defaults(),
      out,
      store,
    );
    expect(out).toEqual([]);
    const name = `${dir}/a.crt`;
    expect(store.caFiles.show('ca', undefined)).toContain(`${name} - 1 certificate(s)\n`);
    expect(store.caFiles.set('ca', name, read('b.crt'))).toBe(`transaction created for CA ${name}!\n`);
    // nothing changes before the commit
    expect(tls!.serverOptions().ca).toContain(read('a.crt').trim().split('\n')[1]);
    expect(store.caFiles.commit('ca', name)).toBe(`Committing ${name}.\nSuccess!\n`);
    const ca = tls!.serverOptions().ca as string[];
    expect(ca.join('')).toContain(read('b.crt').trim().split('\n')[1]);
    expect(ca.join('')).not.toContain(read('a.crt').trim().split('\n')[1]);
    expect(store.caFiles.delete('ca', name)).toContain('in use');
  });

  it('prints a revocation list as openssl reads it', () => {
    const text = execFileSync('openssl', ['crl', '-in', p('crl.pem'), '-noout', '-text'], {
      encoding: 'latin1',
    });
    const der = Buffer.from(
      read('crl.pem')
        .replace(/-----[A-Z0-9 ]+-----/g, '')
        .replace(/\s+/g, ''),
      'base64',
    );
    const mine = crlDetails(der);
    const field = (re: RegExp) => re.exec(text)?.[1];
    expect(mine).toContain(`Version ${field(/Version (\d+)/)}\n`);
    expect(mine).toContain(`Signature Algorithm: ${field(/Signature Algorithm: (\S+)/)}\n`);
    expect(mine).toContain(`Last Update: ${field(/Last Update: (.+)/)}\n`);
    expect(mine).toContain(`Next Update: ${field(/Next Update: (.+)/)}\n`);
    expect(mine).toContain('Issuer: /CN=a.test\n');
    expect(mine).toContain(`    Serial Number: ${field(/Serial Number: (\S+)/)}\n`);
    expect(mine).toContain(`        Revocation Date: ${field(/Revocation Date: (.+)/)}\n`);
    // what a secure context takes of a stored file
    expect(contextPem('crl', read('crl.pem'))).toContain('-----BEGIN X509 CRL-----');
    expect(contextPem('crl', read('a.crt'))).toBeUndefined();
    expect(contextPem('ca', read('crl.pem'))).toEqual([]);
  });
});
