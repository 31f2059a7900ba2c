/**
 * The TLS settings of one side (a `bind` line or a `server`): versions, ciphers, curves,
 * verification, ALPN. They are gathered from the global `ssl-default-*` lines and the
 * options written on the line, in that order, then turned into Node secure-context options.
 */

import { constants } from 'node:crypto';
import { DEFAULT_CIPHERS, type SecureContextOptions } from 'node:tls';

/** HAProxy's version names, oldest first, and Node's names for them. */
export const TLS_VERSIONS = ['SSLv3', 'TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersionName = (typeof TLS_VERSIONS)[number];
const NODE_VERSION: Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = {
  SSLv3: 'TLSv1',
  'TLSv1.0': 'TLSv1',
  'TLSv1.1': 'TLSv1.1',
  'TLSv1.2': 'TLSv1.2',
  'TLSv1.3': 'TLSv1.3',
};
const NO_FLAGS = ['no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13'];
const FORCE_FLAGS = ['force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13'];

export type VerifyMode = 'none' | 'optional' | 'required';

export interface TlsSettings {
  ciphers: string | undefined;
  ciphersuites: string | undefined;
  curves: string | undefined;
  ecdhe: string | undefined;
  minVer: number | undefined;
  maxVer: number | undefined;
  /** Versions turned off by `no-*` (indexes into TLS_VERSIONS). */
  disabled: Set<number>;
  /** `force-*`: the only version (index), else undefined. */
  forced: number | undefined;
  verify: VerifyMode | undefined;
  caFile: string | undefined;
  crlFile: string | undefined;
  alpn: string[] | undefined;
  npn: string | undefined;
  preferClientCiphers: boolean;
  noTlsTickets: boolean;
  /** `ca-ignore-err all` / `crt-ignore-err all`: verification errors do not end the handshake. */
  ignoreErrors: boolean;
}

export function emptySettings(): TlsSettings {
  return {
    ciphers: undefined,
    ciphersuites: undefined,
    curves: undefined,
    ecdhe: undefined,
    minVer: undefined,
    maxVer: undefined,
    disabled: new Set(),
    forced: undefined,
    verify: undefined,
    caFile: undefined,
    crlFile: undefined,
    alpn: undefined,
    npn: undefined,
    preferClientCiphers: false,
    noTlsTickets: false,
    ignoreErrors: false,
  };
}

export function copySettings(s: TlsSettings): TlsSettings {
  return { ...s, disabled: new Set(s.disabled), alpn: s.alpn?.slice() };
}

/**
 * Applies one option; returns an error message (HAProxy's words, without the place), or
 * undefined. Options that are not TLS settings return 'unknown' so the caller can handle them.
 */
export function applySetting(
  s: TlsSettings,
  name: string,
  value: string | true,
): string | undefined | 'unknown' {
  const v = typeof value === 'string' ? value : '';
  switch (name) {
    case 'ciphers':
      s.ciphers = v;
      return undefined;
    case 'ciphersuites':
      s.ciphersuites = v;
      return undefined;
    case 'curves':
      s.curves = v;
      return undefined;
    case 'ecdhe':
      s.ecdhe = v;
      return undefined;
    case 'ssl-min-ver':
    case 'ssl-max-ver': {
      const i = TLS_VERSIONS.indexOf(v as TlsVersionName);
      if (i < 0) return `'${v}' : unknown ssl/tls version`;
      if (name === 'ssl-min-ver') s.minVer = i;
      else s.maxVer = i;
      return undefined;
    }
    case 'verify':
      if (v !== 'none' && v !== 'optional' && v !== 'required') {
        return `'verify' : unknown verify method '${v}', only 'none', 'optional', and 'required' are supported`;
      }
      s.verify = v;
      return undefined;
    case 'ca-file':
      s.caFile = v;
      return undefined;
    case 'crl-file':
      s.crlFile = v;
      return undefined;
    case 'alpn':
      s.alpn = v.split(',');
      if (s.alpn.some((p) => p.length === 0 || p.length > 255)) {
        return `'alpn' : protocol names must be 1 to 255 characters long`;
      }
      return undefined;
    case 'npn':
      s.npn = v;
      return undefined;
    case 'prefer-client-ciphers':
      s.preferClientCiphers = true;
      return undefined;
    case 'no-tls-tickets':
      s.noTlsTickets = true;
      return undefined;
    case 'ca-ignore-err':
    case 'crt-ignore-err':
      if (v !== 'all') return 'not-all';
      s.ignoreErrors = true;
      return undefined;
    default: {
      const no = NO_FLAGS.indexOf(name);
      if (no >= 0) {
        s.disabled.add(no);
        return undefined;
      }
      const force = FORCE_FLAGS.indexOf(name);
      if (force >= 0) {
        s.forced = force;
        return undefined;
      }
      return 'unknown';
    }
  }
}

/** Applies the words of `ssl-default-bind-options` / `ssl-default-server-options`. */
export function applyDefaultOptions(s: TlsSettings, words: readonly string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === 'ssl-min-ver' || w === 'ssl-max-ver') {
      const r = applySetting(s, w, words[i + 1] ?? '');
      if (r !== undefined) return r;
      i++;
      continue;
    }
    const r = applySetting(s, w, true);
    if (r === 'unknown') return `unknown option '${w}' on global statement 'ssl-default-bind-options'.`;
    if (r !== undefined) return r;
  }
  return undefined;
}

/** The lowest and highest versions allowed, as Node names them; undefined when none is left. */
export function versionRange(
  s: TlsSettings,
  defaultMin: number,
):
  | { min: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; max: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' }
  | undefined {
  let lo: number;
  let hi: number;
  if (s.forced !== undefined) {
    lo = s.forced;
    hi = s.forced;
  } else {
    lo = s.minVer ?? defaultMin;
    hi = s.maxVer ?? TLS_VERSIONS.length - 1;
  }
  // SSLv3 does not exist in the TLS library: the range starts at TLSv1.0
  if (lo === 0) lo = 1;
  while (lo <= hi && s.disabled.has(lo)) lo++;
  if (lo > hi) return undefined;
  // a version turned off in the middle ends the range (the library takes a range, not a set)
  let top = lo;
  while (top + 1 <= hi && !s.disabled.has(top + 1)) top++;
  return { min: NODE_VERSION[TLS_VERSIONS[lo]!], max: NODE_VERSION[TLS_VERSIONS[top]!] };
}

/** The secure-context options of settings (certificate, key, CA added by the caller). */
export function contextOptions(s: TlsSettings, defaultMin: number, server: boolean): SecureContextOptions {
  const o: SecureContextOptions = {};
  const range = versionRange(s, defaultMin);
  if (range !== undefined) {
    o.minVersion = range.min;
    o.maxVersion = range.max;
  }
  const ciphers = cipherString(s);
  if (ciphers !== undefined) o.ciphers = ciphers;
  const curves = s.curves ?? s.ecdhe;
  if (curves !== undefined) o.ecdhCurve = curves;
  if (server) o.honorCipherOrder = !s.preferClientCiphers;
  if (s.noTlsTickets) o.secureOptions = constants.SSL_OP_NO_TICKET;
  return o;
}

/** Node takes TLS 1.2 ciphers and TLS 1.3 suites in one list; the missing half keeps Node's default. */
export function cipherString(s: TlsSettings): string | undefined {
  if (s.ciphers === undefined && s.ciphersuites === undefined) return undefined;
  const defaults = DEFAULT_CIPHERS.split(':');
  const tls12 = s.ciphers ?? defaults.filter((c) => !c.startsWith('TLS_')).join(':');
  const tls13 = s.ciphersuites ?? defaults.filter((c) => c.startsWith('TLS_')).join(':');
  return tls13 === '' ? tls12 : `${tls13}:${tls12}`;
}
