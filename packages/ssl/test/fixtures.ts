// What @hap/ssl's tests share: self-signed certificates made by openssl, default TLS
// settings rooted at the test's directory, and a `bind` line model.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BindModel } from '@hap/config';
import type { TlsDefaults } from '../src/index.ts';
import { emptySettings } from '../src/settings.ts';

/**
 * Writes `<name>.key`, `<name>.crt` and `<name>.pem` (certificate then key) in `dir`: a
 * certificate for `subj`, with `san` as its subjectAltName when given, self-signed or signed
 * by the CA whose `<ca>.crt`/`<ca>.key` are in `dir`.
 */
export function issueCertificate(
  dir: string,
  name: string,
  subj: string,
  san: string | undefined,
  ca?: string,
  days = 2,
  serial?: string,
): void {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const p = (n: string) => join(dir, n);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subj,
  ]);
  writeFileSync(p(`${name}.ext`), san !== undefined ? `subjectAltName=${san}\n` : '');
  const signer: string[] =
    ca === undefined ? ['-signkey', `${name}.key`] : ['-CA', `${ca}.crt`, '-CAkey', `${ca}.key`];
  if (serial !== undefined) signer.push('-set_serial', serial);
  else if (ca !== undefined) signer.push('-CAcreateserial');
  run([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    ...signer,
    '-out',
    `${name}.crt`,
    '-days',
    String(days),
    '-extfile',
    `${name}.ext`,
  ]);
  writeFileSync(
    p(`${name}.pem`),
    readFileSync(p(`${name}.crt`), 'latin1') + readFileSync(p(`${name}.key`), 'latin1'),
  );
}

/** No `ssl-default-*` lines; `crt-base` and `ca-base` are `dir`. */
export function testDefaults(dir: string): TlsDefaults {
  return {
    crtBase: dir,
    caBase: dir,
    bind: emptySettings(),
    server: emptySettings(),
    dhParam: undefined,
    serverVerify: 'required',
    cacheSize: 20000,
    sessionLifetime: 300,
  };
}

/** `bind 127.0.0.1:443 <options>` at x.cfg:7. */
export function bindLine(optionList: [string, string | true][]): BindModel {
  const options: Record<string, string | true> = {};
  for (const [k, v] of optionList) options[k] = v;
  return {
    file: 'x.cfg',
    line: 7,
    addresses: [{ family: 'ipv4', host: '127.0.0.1', portLow: 443, portHigh: 443, raw: '127.0.0.1:443' }],
    options,
    optionList,
  } as BindModel;
}
