// @hap/ssl on its own: certificate files, crt-list lines, SNI choice, version ranges and the
// HAProxy-worded errors, with certificates made by openssl for the test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '@hap/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  compileBindTls,
  loadCertificate,
  readCrtList,
  type TlsDefaults,
} from '../src/index.ts';
import { emptySettings, versionRange } from '../src/settings.ts';
import { bindLine, issueCertificate, testDefaults } from './fixtures.ts';

let dir: string;
const p = (n: string) => join(dir, n);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hap-ssl-'));
  issueCertificate(dir, 'a', '/CN=a.test', 'DNS:a.test,DNS:b.test');
  issueCertificate(dir, 'w', '/CN=*.w.test', 'DNS:*.w.test');
  issueCertificate(dir, 'cn', '/CN=Only.CN.test', undefined);
  writeFileSync(p('nokey.pem'), readFileSync(p('a.crt')));
  writeFileSync(p('mismatch.pem'), readFileSync(p('a.crt'), 'latin1') + readFileSync(p('w.key'), 'latin1'));
  writeFileSync(p('split.pem'), readFileSync(p('a.crt')));
  writeFileSync(p('split.pem.key'), readFileSync(p('a.key')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const defaults = (): TlsDefaults => testDefaults(dir);

const bind = bindLine;

describe('certificate files', () => {
  it('reads names from SANs then CN, in lower case', () => {
    expect(loadCertificate(p('a.pem')).names).toEqual(['a.test', 'b.test']);
    expect(loadCertificate(p('cn.pem')).names).toEqual(['only.cn.test']);
  });
  it("takes the key from the '.key' sibling", () => {
    expect(loadCertificate(p('split.pem')).keyPem).toContain('PRIVATE KEY');
  });
  it('says why a file cannot serve, in HAProxy words', () => {
    const why = (f: string) => {
      try {
        loadCertificate(p(f), f);
        return 'loaded';
      } catch (e) {
        return e instanceof CertificateError ? e.message : String(e);
      }
    };
    expect(why('nokey.pem')).toBe("No Private Key found in 'nokey.pem.key'.");
    expect(why('mismatch.pem')).toBe(
      "inconsistencies between private key and certificate loaded 'mismatch.pem'.",
    );
    expect(why('a.key')).toBe("unable to load certificate from file 'a.key'.");
  });
});

describe('crt-list', () => {
  it('splits files, bracketed options and filters', () => {
    writeFileSync(p('l.txt'), '# c\n\na.pem [alpn http/1.1 ssl-min-ver TLSv1.2] X.test !y.test\nw.pem\n');
    expect(readCrtList(p('l.txt'), 'l.txt')).toEqual([
      {
        line: 3,
        file: 'a.pem',
        options: [
          ['alpn', 'http/1.1'],
          ['ssl-min-ver', 'TLSv1.2'],
        ],
        // as written: `show ssl crt-list` prints them so (the SNI table lower-cases them)
        filters: ['X.test', '!y.test'],
      },
      { line: 4, file: 'w.pem', options: [], filters: [] },
    ]);
  });
  it('refuses an unknown option with the file and line', () => {
    writeFileSync(p('bad.txt'), 'a.pem [nope 1]\n');
    expect(() => readCrtList(p('bad.txt'), 'bad.txt')).toThrow(
      "error processing line 1 in file 'bad.txt' : unknown ssl keyword nope.",
    );
  });
});

describe('SNI selection', () => {
  it('exact, wildcard (one label), filters with !exclusions, default, strict-sni', () => {
    writeFileSync(p('sni.txt'), 'a.pem\nw.pem *.w.test !no.w.test\ncn.pem EXTRA.test\n');
    const out: Diagnostic[] = [];
    const { tls } = compileBindTls(
      bind([
        ['ssl', true],
        ['crt-list', p('sni.txt')],
      ]),
      { kind: 'frontend', name: 'fe' },
      defaults(),
      out,
    );
    expect(out).toEqual([]);
    const pick = (n: string) => tls!.select(n)?.cert.names[0] ?? 'default';
    expect(pick('B.TEST')).toBe('a.test');
    expect(pick('x.w.test')).toBe('*.w.test');
    expect(pick('x.y.w.test')).toBe('default');
    expect(pick('no.w.test')).toBe('default');
    expect(pick('extra.test')).toBe('only.cn.test');
    expect(pick('only.cn.test')).toBe('default'); // its filters replace its own names
    expect(tls!.defaultEntry?.cert.names[0]).toBe('a.test');
    const strict = compileBindTls(
      bind([
        ['ssl', true],
        ['strict-sni', true],
        ['crt', 'a.pem'],
      ]),
      { kind: 'frontend', name: 'fe' },
      defaults(),
      [],
    ).tls!;
    expect(strict.serverOptions().cert).toBeUndefined();
    expect(
      compileBindTls(
        bind([
          ['ssl', true],
          ['crt', 'a.pem'],
        ]),
        { kind: 'frontend', name: 'fe' },
        defaults(),
        [],
      ).tls!.serverOptions().cert,
    ).toContain('CERTIFICATE');
  });

  it('alerts as HAProxy: no certificate, verify without CA, bad cipher list', () => {
    const msgs = (opts: [string, string | true][]) => {
      const out: Diagnostic[] = [];
      compileBindTls(bind(opts), { kind: 'frontend', name: 'fe' }, defaults(), out);
      return out.map((d) => d.message);
    };
    expect(msgs([['ssl', true]])).toEqual([
      "Proxy 'fe': no SSL certificate specified for bind '127.0.0.1:443' at [x.cfg:7] (use 'crt').",
    ]);
    expect(
      msgs([
        ['ssl', true],
        ['crt', 'a.pem'],
        ['verify', 'required'],
      ]),
    ).toEqual([
      "Proxy 'fe': verify is enabled but no CA file specified for bind '127.0.0.1:443' at [x.cfg:7].",
    ]);
    expect(
      msgs([
        ['ssl', true],
        ['crt', 'a.pem'],
        ['ciphers', 'NOPE'],
      ]),
    ).toEqual(["Proxy 'fe': unable to set SSL cipher list to 'NOPE' for bind '127.0.0.1:443' at [x.cfg:7]."]);
  });
});

describe('version ranges', () => {
  it('min/max, no-*, force-*, and a hole ending the range', () => {
    const s = emptySettings();
    expect(versionRange(s, 3)).toEqual({ min: 'TLSv1.2', max: 'TLSv1.3' });
    s.minVer = 1;
    s.disabled.add(2);
    expect(versionRange(s, 3)).toEqual({ min: 'TLSv1', max: 'TLSv1' });
    s.forced = 4;
    expect(versionRange(s, 3)).toEqual({ min: 'TLSv1.3', max: 'TLSv1.3' });
    s.disabled.add(4);
    expect(versionRange(s, 3)).toBeUndefined();
  });
});
