// End-to-end, differential: OCSP stapling from `<cert>.ocsp` files. The same configuration runs
// in the real HAProxy 2.6 and in haproxyd; certificates and responses are made with openssl
// at set-up (expired ones under faketime). A client asks for the certificate status (or not)
// and what is stapled is compared, byte for byte, between the two and with the file; the
// warnings and alerts of `-c` and of the start are compared too.

import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { type Binary, checkConfig, freePorts, parseDiagnostics, startProxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { runBinary } from './helpers.ts';
import { cli } from './stats-harness.ts';
import { issue, ocspAsk, ocspIndexLine, ocspRespond, usePki } from './tls-fixtures.ts';

useTestkit();
const pki = usePki(() => {
  const dir = pki.dir;
  for (const n of [...SERVED, 'listed', 'noissuer', 'badissuer', 'gbissuer'] as const) {
    if (n === 'twin') continue;
    issue(dir, `o-${n}`, `/CN=${n}.ocsp.test`, `DNS:${n}.ocsp.test`, 'ca');
  }
  const chain = (n: string) =>
    writeFileSync(pki.path(`${n}.pem`), pki.read(`o-${n}.crt`) + pki.read(`o-${n}.key`) + pki.read('ca.crt'));
  let index = '';
  for (const n of [
    'good',
    'empty',
    'garbage',
    'other',
    'expired',
    'trailing',
    'issuerfile',
    'nmin',
    'listed',
  ])
    index += ocspIndexLine(dir, `o-${n}`);
  index += ocspIndexLine(dir, 'o-noissuer') + ocspIndexLine(dir, 'o-badissuer');
  writeFileSync(pki.path('index.txt'), index);
  writeFileSync(pki.path('revoked.txt'), ocspIndexLine(dir, 'o-revoked', 'R'));
  for (const n of ['good', 'empty', 'garbage', 'other', 'revoked', 'expired', 'trailing', 'nmin', 'listed'])
    chain(n);
  // the issuer in a '.issuer' file, not in the PEM
  copyFileSync(pki.path('o-issuerfile.pem'), pki.path('issuerfile.pem'));
  copyFileSync(pki.path('ca.crt'), pki.path('issuerfile.pem.issuer'));
  ocspRespond(dir, 'good.pem.ocsp', 'index.txt', ['o-good']);
  writeFileSync(pki.path('empty.pem.ocsp'), '');
  writeFileSync(pki.path('garbage.pem.ocsp'), 'this is not an OCSP response\n');
  copyFileSync(pki.path('good.pem.ocsp'), pki.path('other.pem.ocsp'));
  ocspRespond(dir, 'revoked.pem.ocsp', 'revoked.txt', ['o-revoked']);
  ocspRespond(dir, 'expired.pem.ocsp', 'index.txt', ['o-expired'], ['-ndays', '1'], '-3d');
  ocspRespond(dir, 'trailing.der', 'index.txt', ['o-trailing']);
  writeFileSync(
    pki.path('trailing.pem.ocsp'),
    Buffer.concat([readFileSync(pki.path('trailing.der')), Buffer.from('trailing bytes\n')]),
  );
  ocspRespond(dir, 'issuerfile.pem.ocsp', 'index.txt', ['o-issuerfile']);
  // valid for the checks, but nextUpdate is less than 5 minutes away
  ocspRespond(dir, 'nmin.pem.ocsp', 'index.txt', ['o-nmin'], ['-nmin', '1']);
  // the certificate of 'good' in another file with a bad response: HAProxy keeps one response per certificate ID
  copyFileSync(pki.path('good.pem'), pki.path('twin.pem'));
  writeFileSync(pki.path('twin.pem.ocsp'), 'garbage\n');
  ocspRespond(dir, 'listed.pem.ocsp', 'index.txt', ['o-listed']);
  // fresh responses for the runtime API: for a certificate stapling nothing yet, and for one
  // whose file expired
  ocspRespond(dir, 'empty-new.der', 'index.txt', ['o-empty'], ['-ndays', '2']);
  ocspRespond(dir, 'expired-new.der', 'index.txt', ['o-expired'], ['-ndays', '2']);
  writeFileSync(pki.path('ocsp-list.txt'), 'def.pem\nlisted.pem\n');
  writeFileSync(pki.path('ocsp-list-opts.txt'), 'def.pem\nlisted.pem [alpn http/1.1] listed.ocsp.test\n');
  // no issuer anywhere; a '.issuer' of another CA; a '.issuer' that is not PEM
  copyFileSync(pki.path('o-noissuer.pem'), pki.path('noissuer.pem'));
  ocspRespond(dir, 'noissuer.pem.ocsp', 'index.txt', ['o-noissuer']);
  copyFileSync(pki.path('o-badissuer.pem'), pki.path('badissuer.pem'));
  copyFileSync(pki.path('noissuer.pem.ocsp'), pki.path('badissuer.pem.ocsp'));
  copyFileSync(pki.path('otherca.crt'), pki.path('badissuer.pem.issuer'));
  copyFileSync(pki.path('o-gbissuer.pem'), pki.path('gbissuer.pem'));
  writeFileSync(pki.path('gbissuer.pem.ocsp'), '');
  writeFileSync(pki.path('gbissuer.pem.issuer'), 'not a certificate\n');
}, 180_000);

const BINARIES: readonly Binary[] = ['haproxy', 'haproxyd'];

/** Served cases: a certificate of its own (CN `<name>.ocsp.test`) and what its `.ocsp` file holds. */
const SERVED = [
  'good',
  'empty',
  'garbage',
  'other',
  'revoked',
  'expired',
  'trailing',
  'issuerfile',
  'nmin',
  'twin',
] as const;
type Served = (typeof SERVED)[number];

function config(lines: readonly string[]): string {
  return [
    'global',
    `  crt-base ${pki.dir}`,
    'defaults',
    '  mode http',
    '  timeout client 5s',
    '  timeout server 5s',
    '  timeout connect 5s',
    'frontend fe',
    ...lines,
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
}

/** What a client saw, as text: the certificate served and the stapled bytes (their file when known). */
function describeAnswer(a: Awaited<ReturnType<typeof ocspAsk>>): string {
  let stapled: string;
  if (a.stapled === 'not asked') stapled = 'no status event';
  else if (a.stapled === null) stapled = 'nothing stapled';
  else {
    const known = [...SERVED, 'listed']
      .map((n) => `${n}.pem.ocsp`)
      .find((f) => readFileSync(pki.path(f)).equals(a.stapled as Buffer));
    stapled = `stapled ${known ?? `${a.stapled.length} unknown bytes`}`;
  }
  return `${a.handshake} cn=${a.subject} ${stapled}`;
}

/** The stapling the rules call for, from the files (what HAProxy's manual and checks say). */
function expected(name: Served): string {
  switch (name) {
    case 'good':
    case 'revoked': // HAProxy 2.6 staples a revoked status too
    case 'trailing': // the whole file, bytes after the response included
    case 'issuerfile':
    case 'twin': // its certificate ID has the response of good.pem
      return `stapled ${name === 'twin' ? 'good' : name}.pem.ocsp`;
    default:
      return 'nothing stapled';
  }
}

describe('OCSP stapling, differential', () => {
  it('staples what HAProxy staples: per certificate, per SNI choice, only to clients asking', async () => {
    const ports = await freePorts(SERVED.length + 2);
    const lines = SERVED.map((n, i) => `  bind 127.0.0.1:${ports[i]} ssl crt ${n}.pem`);
    const listPort = ports[SERVED.length]!;
    const optsPort = ports[SERVED.length + 1]!;
    lines.push(`  bind 127.0.0.1:${listPort} ssl crt-list ${pki.path('ocsp-list.txt')}`);
    lines.push(`  bind 127.0.0.1:${optsPort} ssl crt-list ${pki.path('ocsp-list-opts.txt')}`);
    const cfg = writeConfig(config(lines));

    const seen = {} as Record<Binary, string[]>;
    const checks = {} as Record<Binary, unknown>;
    const startWarnings = {} as Record<Binary, string[]>;
    for (const b of BINARIES) {
      const c = await checkConfig(b, [cfg]);
      checks[b] = {
        code: c.code,
        warnings: c.warnings.map((w) => w.message),
        alerts: c.alerts.map((a) => `${a.file ?? ''}:${a.line ?? ''} ${a.message}`),
      };
      const proxy = await startProxy(b, cfg, { readyPorts: [...ports] });
      try {
        const out: string[] = [];
        for (const [i, n] of SERVED.entries()) {
          out.push(`${n} asking: ${describeAnswer(await ocspAsk(ports[i]!, `${n}.ocsp.test`, true))}`);
          out.push(`${n} not asking: ${describeAnswer(await ocspAsk(ports[i]!, `${n}.ocsp.test`, false))}`);
          const tls12 = await ocspAsk(ports[i]!, `${n}.ocsp.test`, true, 'TLSv1.2');
          out.push(`${n} asking over TLS 1.2: ${describeAnswer(tls12)}`);
        }
        for (const [what, port] of [
          ['crt-list', listPort],
          ['crt-list with options', optsPort],
        ] as const) {
          for (const sni of ['listed.ocsp.test', 'default.test', undefined])
            out.push(`${what} sni=${sni} asking: ${describeAnswer(await ocspAsk(port, sni, true))}`);
          out.push(`${what} not asking: ${describeAnswer(await ocspAsk(port, 'listed.ocsp.test', false))}`);
        }
        seen[b] = out;
        startWarnings[b] = parseDiagnostics(proxy.stderr())
          .filter((d) => d.level === 'WARNING')
          .map((d) => d.message);
        expect(proxy.exitStatus(), `${b} exited`).toBeNull();
      } finally {
        await proxy.stop();
      }
    }
    // what the rules call for, then: haproxyd does what HAProxy does
    const cn = (n: Served) => `${n === 'twin' ? 'good' : n}.ocsp.test`;
    const want = SERVED.flatMap((n) => [
      `${n} asking: ok cn=${cn(n)} ${expected(n)}`,
      `${n} not asking: ok cn=${cn(n)} no status event`,
      `${n} asking over TLS 1.2: ok cn=${cn(n)} ${expected(n)}`,
    ]);
    expect(seen.haproxy.slice(0, want.length)).toEqual(want);
    expect(seen.haproxy.slice(want.length)).toEqual(
      ['crt-list', 'crt-list with options'].flatMap((w) => [
        `${w} sni=listed.ocsp.test asking: ok cn=listed.ocsp.test stapled listed.pem.ocsp`,
        `${w} sni=default.test asking: ok cn=default.test nothing stapled`,
        `${w} sni=undefined asking: ok cn=default.test nothing stapled`,
        `${w} not asking: ok cn=listed.ocsp.test no status event`,
      ]),
    );
    expect(seen.haproxyd).toEqual(seen.haproxy);
    expect(checks.haproxyd).toEqual(checks.haproxy);
    expect((checks.haproxy as { warnings: string[] }).warnings).toEqual([
      'Loading: Unable to parse OCSP response. Content will be ignored.',
      'Loading: Unable to parse OCSP response. Content will be ignored.',
      'Loading: OCSP single response: Certificate ID does not match certificate and issuer. Content will be ignored.',
      'Loading: OCSP single response: no longer valid.. Content will be ignored.',
      'Loading: Unable to parse OCSP response. Content will be ignored.',
    ]);
    expect(startWarnings.haproxyd).toEqual(startWarnings.haproxy);
    expect(startWarnings.haproxy).toEqual((checks.haproxy as { warnings: string[] }).warnings);
  }, 120_000);
});

describe('a .ocsp file whose certificate cannot be identified', () => {
  it.each([
    ['noissuer.pem', 'no issuer in the PEM and no .issuer file'],
    ['badissuer.pem', 'a .issuer file of another CA'],
    ['gbissuer.pem', 'a .issuer file that is not a certificate'],
  ])(
    'crt %s (%s): -c and the start fail as in HAProxy',
    async (file) => {
      const [p] = await freePorts(1);
      const cfg = writeConfig(config([`  bind 127.0.0.1:${p} ssl crt ${file}`]));
      const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
      const alerts = (r: typeof h) => r.alerts.map((a) => `${a.file ?? ''}:${a.line ?? ''} ${a.message}`);
      expect(h.code).toBe(1);
      expect(alerts(h).some((a) => a.includes(`${pki.dir}/${file}.`))).toBe(true);
      expect({ code: d.code, alerts: alerts(d) }).toEqual({ code: h.code, alerts: alerts(h) });
      const run = runBinary('haproxyd', ['-db', '-f', cfg]);
      const st = await run.closed;
      expect(st.code).toBe(1);
      expect(run.stderr()).toContain(alerts(h)[0]!.split(' ').slice(1).join(' '));
    },
    60_000,
  );

  it('a .issuer file without a .ocsp file is not read (as in HAProxy)', async () => {
    const [p] = await freePorts(1);
    copyFileSync(pki.path('o-gbissuer.pem'), pki.path('lone.pem'));
    writeFileSync(pki.path('lone.pem.issuer'), 'not a certificate\n');
    const cfg = writeConfig(config([`  bind 127.0.0.1:${p} ssl crt lone.pem`]));
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    expect(h.code).toBe(0);
    expect({ code: d.code, alerts: d.alerts.length, warnings: d.warnings.length }).toEqual({
      code: 0,
      alerts: 0,
      warnings: 0,
    });
  }, 60_000);
});

describe('.sctl files (Certificate Transparency lists)', () => {
  it('a malformed one: -c says what HAProxy says', async () => {
    const [p] = await freePorts(1);
    copyFileSync(pki.path('o-good.pem'), pki.path('sctl-bad.pem'));
    writeFileSync(pki.path('sctl-bad.pem.sctl'), 'not a list\n');
    const cfg = writeConfig(config([`  bind 127.0.0.1:${p} ssl crt sctl-bad.pem`]));
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    const alerts = (r: typeof h) => r.alerts.map((a) => `${a.file ?? ''}:${a.line ?? ''} ${a.message}`);
    expect(h.code).toBe(1);
    expect({ code: d.code, alerts: alerts(d) }).toEqual({ code: h.code, alerts: alerts(h) });
  }, 60_000);

  it("a well-formed one: -c passes as in HAProxy, the start is refused ('not supported yet')", async () => {
    const [p] = await freePorts(1);
    copyFileSync(pki.path('o-good.pem'), pki.path('sctl-ok.pem'));
    // one 2-byte SCT in a list: the framing HAProxy checks (no signature is verified)
    writeFileSync(pki.path('sctl-ok.pem.sctl'), Buffer.from([0x00, 0x04, 0x00, 0x02, 0x61, 0x62]));
    const cfg = writeConfig(config([`  bind 127.0.0.1:${p} ssl crt sctl-ok.pem`]));
    const [h, d] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    // HAProxy 2.6.12 finds it valid (and then crashes while freeing it at exit: no exit code)
    expect(h.stdout + h.stderr).toContain('Configuration file is valid');
    expect(h.alerts).toEqual([]);
    expect({ code: d.code, alerts: d.alerts.length }).toEqual({ code: 0, alerts: 0 });
    expect(d.stdout + d.stderr).toContain('Configuration file is valid');
    const run = runBinary('haproxyd', ['-db', '-f', cfg]);
    const st = await run.closed;
    expect(st.code).toBe(1);
    expect(run.stderr()).toContain(
      `'${pki.dir}/sctl-ok.pem.sctl': sending Certificate Transparency lists (.sctl) is not supported yet`,
    );
  }, 60_000);
});

describe('show / set ssl ocsp-response', () => {
  it('lists the stapled certificates and replaces a response as HAProxy does; new handshakes get it', async () => {
    const names = ['good', 'empty', 'expired', 'revoked'] as const;
    const b64 = (f: string) => readFileSync(pki.path(f)).toString('base64');
    const seen = {} as Record<Binary, string[]>;
    for (const b of BINARIES) {
      const ports = await freePorts(names.length);
      const sock = pki.path(`ocsp-${b}.sock`);
      const lines = names.map((n, i) => `  bind 127.0.0.1:${ports[i]} ssl crt ${n}.pem`);
      const text = config(lines).replace('global\n', `global\n  stats socket ${sock} level admin\n`);
      const proxy = await startProxy(b, writeConfig(text), { readyPorts: [...ports] });
      try {
        const out: string[] = [];
        const say = async (c: string) => out.push(`> ${c.slice(0, 60)}\n${await cli(sock, c)}`);
        await say('show ssl ocsp-response');
        await say(`set ssl ocsp-response ${b64('empty-new.der')}`);
        await say(`set ssl ocsp-response ${b64('expired-new.der')}`);
        // a response for a certificate no bind line staples, and one already expired
        await say(`set ssl ocsp-response ${b64('listed.pem.ocsp')}`);
        await say(`set ssl ocsp-response ${b64('expired.pem.ocsp')}`);
        await say('show ssl ocsp-response');
        for (const [i, n] of names.entries()) {
          const a = await ocspAsk(ports[i]!, `${n}.ocsp.test`, true);
          const s = a.stapled;
          const file = ['empty-new.der', 'expired-new.der', `${n}.pem.ocsp`].find(
            (f) => Buffer.isBuffer(s) && readFileSync(pki.path(f)).equals(s),
          );
          out.push(`${n}: ${s === null ? 'nothing stapled' : (file ?? 'unknown bytes')}`);
        }
        seen[b] = out;
        expect(proxy.exitStatus(), `${b} exited`).toBeNull();
      } finally {
        await proxy.stop();
      }
    }
    expect(seen.haproxyd).toEqual(seen.haproxy);
    expect(seen.haproxy).toContain('empty: empty-new.der');
    expect(seen.haproxy).toContain('expired: expired-new.der');
    expect(seen.haproxy[1]).toContain('OCSP Response updated!');
  });
});
