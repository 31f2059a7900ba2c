/**
 * The global section's TLS lines: `crt-base`, `ca-base`, `ssl-default-bind-*`,
 * `ssl-default-server-*`, `ssl-dh-param-file`, `ssl-server-verify`. They are read once;
 * each `bind` and `server` starts from them.
 */

import { readFileSync } from 'node:fs';
import { type Diagnostic, type GlobalModel, parseTime } from '@hap/config';
import { applyDefaultOptions, applySetting, emptySettings, type TlsSettings } from './settings.ts';

export interface TlsDefaults {
  crtBase: string | undefined;
  caBase: string | undefined;
  bind: TlsSettings;
  server: TlsSettings;
  /** `ssl-dh-param-file`: DH parameters in PEM. */
  dhParam: string | undefined;
  /** `ssl-server-verify` (HAProxy's default: required). */
  serverVerify: 'none' | 'required';
  /** `tune.ssl.cachesize`: sessions kept for resumption by session id (0: none). */
  cacheSize: number;
  /** `tune.ssl.lifetime`: how long a session (cached or in a ticket) may be resumed, in seconds. */
  sessionLifetime: number;
}

/** Global keywords this package honours (the application marks them supported). */
export const GLOBAL_TLS_KEYWORDS: ReadonlySet<string> = new Set([
  'crt-base',
  'ca-base',
  'ssl-default-bind-ciphers',
  'ssl-default-bind-ciphersuites',
  'ssl-default-bind-curves',
  'ssl-default-bind-options',
  'ssl-default-server-ciphers',
  'ssl-default-server-ciphersuites',
  'ssl-default-server-options',
  'ssl-dh-param-file',
  'ssl-server-verify',
  'tune.ssl.cachesize',
  'tune.ssl.lifetime',
]);

/** Reads the global TLS lines; problems go to `out`. */
export function tlsDefaults(global: GlobalModel, out: Diagnostic[]): TlsDefaults {
  const d: TlsDefaults = {
    crtBase: undefined,
    caBase: undefined,
    bind: emptySettings(),
    server: emptySettings(),
    dhParam: undefined,
    serverVerify: 'required',
    cacheSize: 20000,
    sessionLifetime: 300,
  };
  for (const dir of global.directives) {
    const v = dir.args[1] ?? '';
    const alert = (message: string) =>
      out.push({
        level: 'alert',
        code: 'HAP_CFG_SSL',
        file: dir.file,
        line: dir.line,
        keyword: dir.keyword,
        message,
      });
    switch (dir.keyword) {
      case 'crt-base':
        d.crtBase = v;
        break;
      case 'ca-base':
        d.caBase = v;
        break;
      case 'ssl-default-bind-ciphers':
        applySetting(d.bind, 'ciphers', v);
        break;
      case 'ssl-default-bind-ciphersuites':
        applySetting(d.bind, 'ciphersuites', v);
        break;
      case 'ssl-default-bind-curves':
        applySetting(d.bind, 'curves', v);
        break;
      case 'ssl-default-server-ciphers':
        applySetting(d.server, 'ciphers', v);
        break;
      case 'ssl-default-server-ciphersuites':
        applySetting(d.server, 'ciphersuites', v);
        break;
      case 'ssl-default-bind-options':
      case 'ssl-default-server-options': {
        const r = applyDefaultOptions(
          dir.keyword === 'ssl-default-bind-options' ? d.bind : d.server,
          dir.args.slice(1),
        );
        if (r !== undefined) alert(r.replace('ssl-default-bind-options', dir.keyword));
        break;
      }
      case 'ssl-dh-param-file':
        try {
          d.dhParam = readFileSync(v, 'latin1');
          if (!d.dhParam.includes('-----BEGIN DH PARAMETERS-----')) throw new Error('no DH parameters');
        } catch {
          alert(`'ssl-dh-param-file': unable to load DH parameters from file <${v}>.`);
          d.dhParam = undefined;
        }
        break;
      case 'ssl-server-verify':
        d.serverVerify = v === 'none' ? 'none' : 'required';
        break;
      // the shapes were checked by the parser (an integer, a time in seconds)
      case 'tune.ssl.cachesize':
        d.cacheSize = Number(v);
        break;
      case 'tune.ssl.lifetime': {
        const t = parseTime(v, 's');
        if (t.ok) d.sessionLifetime = Math.max(1, Math.ceil(t.ms / 1000));
        break;
      }
      default:
        break;
    }
  }
  return d;
}
