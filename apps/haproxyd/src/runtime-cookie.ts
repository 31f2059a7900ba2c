/**
 * Cookie persistence of a backend: its `cookie` line (inherited from its defaults as HAProxy
 * does: the nearest line wins, `attr` values add up), the servers' `cookie` values,
 * `option persist`, and the `force-persist` / `ignore-persist` rules.
 */

import type { ConfigModel, Diagnostic, ProxyModel } from '@hap/config';
import { parseCookieArgs } from '@hap/config';
import {
  CookiePersistence,
  type DynamicCookieServer,
  PERSIST_FORCE,
  PERSIST_IGNORE,
  PERSIST_NONE,
  type Server,
  setDynamicCookies,
} from '@hap/proxy';
import { type Condition, compileCondition, type SampleEnv } from '@hap/sample';
import { alertAt } from './alerts.ts';
import { chain, resolvePath, serverCookie } from './runtime-http.ts';

const alert = (out: Diagnostic[], at: { file: string; line: number }, keyword: string, message: string) =>
  alertAt(out, 'HAP_ERR_COOKIE', at, keyword, message);

/** The cookie persistence of backend `p`, or undefined when it has no `cookie` line. */
export function cookiePersistence(
  model: ConfigModel,
  p: ProxyModel,
  out: Diagnostic[],
): CookiePersistence | undefined {
  const sections = chain(model, p);
  let line: ProxyModel['directives'][number] | undefined;
  for (const s of sections) {
    line = s.directives.findLast((d) => d.keyword === 'cookie');
    if (line !== undefined) break;
  }
  if (line === undefined) return undefined;
  const parsed = parseCookieArgs(line.args);
  if (parsed.settings === undefined) return undefined; // the configuration check reported it
  const spec = parsed.settings;
  if (p.mode !== 'http') {
    // HAProxy says so without a file position, then once per server that has a value
    out.push({
      level: 'warning',
      code: 'HAP_ERR_COOKIE',
      keyword: 'cookie',
      message: `cookie will be ignored for ${p.kind} '${p.name}' (needs 'mode http').`,
    });
    for (const s of p.servers)
      if (serverCookie(s.options) !== undefined)
        out.push({
          level: 'warning',
          code: 'HAP_ERR_COOKIE',
          keyword: 'server',
          message: `${p.kind} '${p.name}' : ignoring cookie for server '${s.name}' as HTTP mode is disabled.`,
        });
    return undefined;
  }
  // every cookie line of the sections, defaults first, adds its attr values (HAProxy keeps them)
  const attrs: string[] = [];
  for (const s of [...sections].reverse())
    for (const d of s.directives)
      if (d.keyword === 'cookie') attrs.push(...(parseCookieArgs(d.args).settings?.attrs ?? []));
  const ck = new CookiePersistence({ ...spec, attrs }, p.options['persist'] === true);
  ck.persistRules = persistRules(p, out);
  ck.dynamic = spec.dynamic;
  ck.dynamicKey = dynamicCookieKey(sections);
  return ck;
}

/** The nearest `dynamic-cookie-key` (a defaults section's is inherited), as the bytes of the file. */
function dynamicCookieKey(sections: readonly ProxyModel[]): Uint8Array | undefined {
  for (const s of sections) {
    const d = s.directives.findLast((x) => x.keyword === 'dynamic-cookie-key' && x.args[1]);
    if (d !== undefined) return new Uint8Array(Buffer.from(d.args[1]!, 'latin1'));
  }
  return undefined;
}

/**
 * `cookie ... dynamic`: gives the servers of `ck` without their own value their dynamic
 * cookie (once addresses are known: at start, again after host names are resolved).
 */
export function applyDynamicCookies(ck: CookiePersistence | undefined, servers: readonly Server[]): void {
  if (ck?.dynamic === true) setDynamicCookies(ck.dynamicKey, servers, () => false);
}

/**
 * What HAProxy's configuration check says of dynamic cookies: a warning each time a server's
 * value equals one another server (neither `disabled`) holds. Servers named by host name are
 * left out: their address is known only at start.
 */
function checkDynamicCookies(ck: CookiePersistence, p: ProxyModel, out: Diagnostic[]): void {
  const servers: DynamicCookieServer[] = p.servers.map((s) => {
    const fixed = serverCookie(s.options);
    return { cookie: fixed, fixedCookie: fixed !== undefined, host: s.address.host, port: s.address.port };
  });
  const clashes = setDynamicCookies(ck.dynamicKey, servers, (i) => p.servers[i]!.disabled);
  for (let i = 0; i < clashes; i++)
    out.push({
      level: 'warning',
      code: 'HAP_ERR_COOKIE',
      keyword: 'cookie',
      message: `We generated two equal cookies for two different servers.\nPlease change the secret key for '${p.name}'.`,
    });
}

interface PersistRule {
  readonly verdict: number;
  readonly cond: Condition;
}

/** `force-persist` / `ignore-persist` of backend `p`: the first matching rule decides. */
function persistRules(p: ProxyModel, out: Diagnostic[]): ((env: SampleEnv) => number) | undefined {
  const specs = p.rules.filter((r) => r.ruleSet === 'persist' && r.condition !== undefined);
  if (specs.length === 0) return undefined;
  const acls = new Map<string, string[][]>();
  for (const a of p.acls) acls.set(a.name, [...(acls.get(a.name) ?? []), a.words]);
  const rules: PersistRule[] = [];
  for (const r of specs) {
    const keyword = r.action === 'force' ? 'force-persist' : 'ignore-persist';
    try {
      rules.push({
        verdict: r.action === 'force' ? PERSIST_FORCE : PERSIST_IGNORE,
        cond: compileCondition(r.condition!, (n) => acls.get(n), { file: r.file, line: r.line, resolvePath }),
      });
    } catch (err) {
      alert(out, r, keyword, `error detected while parsing a '${keyword}' rule : ${(err as Error).message}.`);
    }
  }
  return (env) => {
    for (let i = 0; i < rules.length; i++) if (rules[i]!.cond.test(env)) return rules[i]!.verdict;
    return PERSIST_NONE;
  };
}

/** The configuration check (`-c` too): what the runtime refuses of `cookie` and the persist rules. */
export function checkCookies(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of model.proxies) {
    if ((p.kind !== 'backend' && p.kind !== 'listen') || p.disabled) continue;
    const ck = cookiePersistence(model, p, out);
    if (ck?.dynamic === true) checkDynamicCookies(ck, p, out);
  }
  return out;
}
