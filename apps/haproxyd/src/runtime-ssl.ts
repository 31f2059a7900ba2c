/**
 * TLS for haproxyd: every `bind … ssl` and `server … ssl` line read with @hap/ssl once
 * (under `-c` as when serving), kept by line for the runtime, and what the runtime does
 * not honour yet turned into the 'not supported yet' alert before anything is bound.
 */

import type { BindModel, ConfigModel, Diagnostic, ServerModel } from '@hap/config';
import {
  type BindTls,
  compileBindTls,
  compileServerTls,
  GLOBAL_TLS_KEYWORDS,
  type ServerTls,
  type TlsDefaults,
  tlsDefaults,
} from '@hap/ssl';
import { alertAt } from './alerts.ts';
import { isTlsBind } from './features.ts';

interface Compiled {
  binds: Map<BindModel, { tls: BindTls | undefined; unsupported: string[] }>;
  servers: Map<ServerModel, { tls: ServerTls | undefined; unsupported: string[] }>;
}

const compiled = new WeakMap<ConfigModel, Compiled>();

function compile(model: ConfigModel, out: Diagnostic[]): Compiled {
  const known = compiled.get(model);
  if (known !== undefined) return known;
  const defaults: TlsDefaults = tlsDefaults(model.global, out);
  for (const d of model.global.directives) if (GLOBAL_TLS_KEYWORDS.has(d.keyword)) d.supported = true;
  const c: Compiled = { binds: new Map(), servers: new Map() };
  for (const p of model.proxies) {
    if (p.kind === 'defaults') continue;
    for (const b of p.binds) {
      if (!isTlsBind(b)) continue;
      c.binds.set(b, compileBindTls(b, p, defaults, out));
    }
    for (const s of p.servers) {
      if (s.options['ssl'] === undefined) continue;
      c.servers.set(s, compileServerTls(p.name, s, defaults, out));
    }
  }
  compiled.set(model, c);
  return c;
}

/** Phase 1c (`-c` too): reads every certificate and checks every TLS option. */
export function checkTls(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  compile(model, out);
  return out;
}

const refuse = (out: Diagnostic[], at: { file: string; line: number }, keyword: string, message: string) =>
  alertAt(out, 'HAP_ERR_NOT_SERVED', at, keyword, message);

/** The TLS side of a bind line to serve, or undefined (plain); what cannot be served is refused in `out`. */
export function bindTlsFor(model: ConfigModel, b: BindModel, out: Diagnostic[]): BindTls | undefined {
  const r = compile(model, out).binds.get(b);
  if (r === undefined) return undefined;
  for (const u of r.unsupported)
    refuse(out, b, 'bind', `bind option '${u}' is not supported yet by haproxyd's runtime.`);
  const t = r.tls;
  if (t === undefined) return undefined;
  // 'h2' in the ALPN list: served by runtime-h2.ts in mode http, forwarded as bytes in mode tcp
  if (t.npn !== undefined)
    refuse(out, b, 'bind', `bind option 'npn' is not supported yet by haproxyd's runtime.`);
  for (const o of t.perCertificateOptions) {
    refuse(
      out,
      b,
      'bind',
      `crt-list '${o.file}' line ${o.line}: per-certificate option '${o.option}' is not supported yet by haproxyd's runtime.`,
    );
  }
  for (const c of t.certificates) {
    if (c.ocsp !== undefined) {
      refuse(out, b, 'bind', `'${c.path}.ocsp': OCSP stapling is not supported yet by haproxyd's runtime.`);
    }
  }
  return t;
}

/** The TLS side of a server, or undefined (plain); what cannot be served is refused in `out`. */
export function serverTlsFor(
  model: ConfigModel,
  backend: string,
  s: ServerModel,
  out: Diagnostic[],
): ServerTls | undefined {
  const r = compile(model, out).servers.get(s);
  if (r === undefined) return undefined;
  for (const u of r.unsupported) {
    refuse(
      out,
      s,
      'server',
      `server '${backend}/${s.name}': option '${u}' is not supported yet by haproxyd's runtime.`,
    );
  }
  const t = r.tls;
  if (t?.alpn?.some((p) => p === 'h2' || p.startsWith('h2-'))) {
    refuse(
      out,
      s,
      'server',
      `server '${backend}/${s.name}': 'alpn ${t.alpn.join(',')}': HTTP/2 to servers is not supported yet by haproxyd's runtime.`,
    );
  }
  return t;
}

/** The TLS server of `bind … ssl` lines (node:tls is loaded with this module only). */
export { createServer as createTlsServer } from 'node:tls';
