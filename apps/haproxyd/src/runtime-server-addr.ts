/**
 * Where a server is and where its checks go, changed at run time: the runtime API's
 * `set server <b>/<s> addr <ip> [port <port>]`, `check-addr`, `check-port`, `agent-addr`,
 * `agent-port`, `agent-send`, with HAProxy 2.6's parsing, answers and effects, and the same
 * values carried by a server-state file or a reload's hand-over (runtime-state.ts).
 *
 * The effects of an address change: new connections go to the new address and port; the
 * idle connections kept for reuse are closed and a busy one is not reused once its request
 * is done (`Server.setAddress`); the health check and the agent follow the server unless
 * they have an address / port of their own; a dynamic cookie is derived again.
 *
 * Parsing follows HAProxy's C functions, whose quirks the answers show: the server's port
 * is read with strtol() and kept as a 16-bit value (`port 70000` is port 4464), a check's
 * port with strl2irc() (digits only, 0..65535).
 */

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { canonicalIp, dynamicCookie, type Server } from '@hap/proxy';
import { SRV_ADMF } from '@hap/stats';
import { type DaemonStats, effectiveState, type ProxyRecord, type ServerRecord } from './stats-source.ts';

/** Who the changes are made for: the CLI's statistics source and its log. */
export interface AddrEnv {
  readonly stats: DaemonStats;
  readonly log: (level: 'alert' | 'warning', text: string) => void;
}

/** A server found by `<backend>/<server>`. */
export interface AddrServer {
  readonly r: ProxyRecord;
  readonly s: ServerRecord;
}

// --- parsing, as HAProxy's C functions read -----------------------------------------------

/** An IP address as str2ip2() without resolution reads it: its family and inet_ntop() text. */
export interface ParsedIp {
  readonly family: 4 | 6;
  readonly addr: string;
}

/**
 * str2ip2(text, no resolution): IPv6 (square brackets allowed, `::` being any), `*` or an
 * empty text for 0.0.0.0, then strict dotted IPv4; undefined for anything else (host
 * names, `127.1`, a port suffix, a zone `%eth0`).
 */
export function parseIp(text: string): ParsedIp | undefined {
  let t = text;
  if (t.startsWith('[')) {
    // "[::]" is the shortest; an IPv6 literal fits in 46 characters
    if (t.length < 4 || t.length >= 48 || !t.endsWith(']')) return undefined;
    t = t.slice(1, -1);
  }
  if (t === '::') return { family: 6, addr: '::' };
  if (t === '' || t === '*') return { family: 4, addr: '0.0.0.0' };
  if (t.includes('%')) return undefined;
  const family = isIP(t);
  if (family === 0) return undefined;
  const addr = canonicalIp(t);
  if (addr === null) return undefined;
  return { family: family === 4 ? 4 : 6, addr };
}

const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/**
 * C's strtol(text, &end, 10) on a 64-bit long: the value, or undefined when no digit was read
 * or the value overflows (errno ERANGE).
 */
export function strtol(text: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(text);
  if (m === null) return undefined;
  const v = BigInt(m[2]!) * (m[1] === '-' ? -1n : 1n);
  return v > LONG_MAX || v < LONG_MIN ? undefined : v;
}

/** A value stored in a uint16_t. */
function uint16(v: bigint): number {
  return Number(((v % 65536n) + 65536n) % 65536n);
}

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

/**
 * HAProxy's strl2irc(): the whole text as a signed int, digits only after an optional `-`
 * (a lone `-` is 0); undefined for any other character, an empty text or an overflow.
 */
export function strl2irc(text: string): number | undefined {
  if (text.length === 0) return undefined;
  let i = 0;
  const negative = text[0] === '-';
  for (let k = negative ? 1 : 0; k < text.length; k++) {
    const j = text.charCodeAt(k) - 48;
    if (j < 0 || j > 9) return undefined;
    if (negative) {
      if (i < Math.trunc(INT_MIN / 10)) return undefined;
      i = i * 10 - j;
      if (i < INT_MIN) return undefined;
    } else {
      if (i > Math.trunc(INT_MAX / 10)) return undefined;
      i = i * 10 + j;
      if (i > INT_MAX) return undefined;
    }
  }
  return i;
}

/** The port of a check, agent or server as the runtime API and state files take it. */
export function parseCheckPort(text: string): number | string {
  const n = strl2irc(text);
  if (n === undefined) return 'provided port is not an integer';
  if (n < 0 || n > 65535) return 'provided port is invalid';
  return n;
}

// --- what the server and its checks are now ---------------------------------------------------

function numberOption(v: string | true | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/**
 * HAProxy's check.port / check.addr / agent.addr / agent.port of a server, as
 * `show servers state` prints them: the checker's when the check runs, else the
 * configuration's (`addr` and `port` also give the agent its address and port unless
 * `agent-addr` / `agent-port` do).
 */
export function checkColumns(
  stats: DaemonStats,
  r: ProxyRecord,
  s: ServerRecord,
): { checkPort: number; checkAddr: string; agentAddr: string; agentPort: number } {
  const o = s.model.options;
  const st = stats.checkerState(r, s);
  const cfgAddr = typeof o['addr'] === 'string' ? o['addr'] : undefined;
  const cfgPort = numberOption(o['port']);
  const hasCheck = st !== undefined && st.check.rise > 0;
  const checkPort = hasCheck ? st.check.port : (cfgPort ?? 0);
  const checkAddr = (hasCheck ? st.check.addr : cfgAddr) ?? '-';
  let agentAddr: string;
  let agentPort: number;
  if (st?.agent !== undefined) {
    agentAddr = st.agent.addr ?? '-';
    agentPort = st.agent.port;
  } else {
    agentAddr = (typeof o['agent-addr'] === 'string' ? o['agent-addr'] : cfgAddr) ?? '-';
    agentPort = numberOption(o['agent-port']) ?? cfgPort ?? 0;
  }
  return { checkPort, checkAddr, agentAddr, agentPort };
}

/** Whether the server's health check is configured and enabled (HAProxy's CHK_ST_ENABLED). */
function checkEnabled(env: AddrEnv, f: AddrServer): boolean {
  const st = env.stats.checkerState(f.r, f.s);
  return st !== undefined && st.check.rise > 0 && st.check.enabled;
}

function agentEnabled(env: AddrEnv, f: AddrServer): boolean {
  const st = env.stats.checkerState(f.r, f.s);
  return st?.agent !== undefined && st.agent.rise > 0 && st.agent.enabled;
}

// --- applying ---------------------------------------------------------------------------------

function inMaint(env: AddrEnv, r: ProxyRecord, rec: ServerRecord): boolean {
  const st = env.stats.checkerState(r, rec);
  return st ? st.admin === 'maint' : (rec.local.admin & SRV_ADMF.FMAINT) !== 0;
}

/** srv_set_dyncookie(): a server's dynamic cookie from its new address, warning of a clash. */
function refreshCookie(env: AddrEnv, f: AddrServer, srv: Server): void {
  const ck = f.r.backend?.cookie;
  if (ck === undefined || !ck.dynamic || ck.dynamicKey === undefined || srv.fixedCookie) return;
  const v = dynamicCookie(ck.dynamicKey, srv.host, srv.port);
  if (v === undefined) return;
  srv.cookie = v;
  if (inMaint(env, f.r, f.s)) return;
  for (const other of f.r.servers) {
    if (other === f.s || other.server === undefined || other.server.cookie !== v) continue;
    env.log(
      'warning',
      `We generated two equal cookies for two different servers.\nPlease change the secret key for '${f.r.model.name}'.`,
    );
    return;
  }
}

/**
 * Moves a served server to `host`:`port`: its connections (Server.setAddress), its checks
 * that follow it, its dynamic cookie. A server left out at start because its name did not
 * resolve (-dr) takes traffic again once it has an address.
 */
export function moveServer(env: AddrEnv, f: AddrServer, host: string, port: number): void {
  const srv = f.s.server;
  if (srv === undefined) return;
  srv.setAddress(host, port);
  if (env.stats.checkerState(f.r, f.s) !== undefined)
    env.stats.host.checker?.setServerAddress(f.r.model.name, f.s.model.name, host, port);
  refreshCookie(env, f, srv);
  if (srv.unresolved) {
    srv.unresolved = false;
    const b = f.r.backend?.balancer;
    if (b === undefined) return;
    const st = env.stats.checkerState(f.r, f.s);
    b.setWeight(srv, st ? st.weight : f.s.local.uweight);
    b.setState(srv, st ? st.effective : effectiveState(f.s.local));
  }
}

/** The server's address as HAProxy holds it: family and inet_ntop() text; undefined for a UNIX socket. */
function currentIp(srv: Server): ParsedIp | undefined {
  if (srv.path !== undefined) return undefined;
  return parseIp(srv.host);
}

/** The answer for what haproxyd cannot do, in the CLI's words. */
export type NotSupported = (what: string) => string;

/**
 * `set server <b>/<s> addr <ip> [port <port>]` (srv_update_addr_port): the answer, the
 * change applied as far as HAProxy applies it (a new address stays even when the port
 * that follows it is refused).
 */
export function setServerAddr(
  env: AddrEnv,
  f: AddrServer,
  addrArg: string,
  portArg: string | undefined,
  notSupported: NotSupported,
): string {
  const srv = f.s.server;
  if (srv === undefined) return notSupported('Changing the address of a server whose backend is not in use');
  const sign = portArg?.[0];
  if (
    portArg !== undefined &&
    (sign === '+' || sign === '-') &&
    strtol(portArg) !== undefined &&
    checkColumns(env.stats, f.r, f.s).checkPort !== 0
  )
    return notSupported("Mapping a server's port on the client's ('port +N' / 'port -N')");
  const by = " by 'stats socket command'\n";
  const ip = parseIp(addrArg);
  if (ip === undefined) return `Invalid addr '${addrArg}'${by}`;
  const cur = currentIp(srv);
  if (cur === undefined)
    return `Update for the current server address family is only supported through configuration file${by}`;
  let msg: string;
  let host = srv.host;
  let port = srv.port;
  if (cur.family === ip.family && cur.addr === ip.addr) msg = 'no need to change the addr';
  else {
    host = ip.addr;
    msg = `IP changed from '${cur.addr}' to '${addrArg}'`;
  }
  if (portArg !== undefined) {
    msg += ', ';
    const v = strtol(portArg);
    if (v === undefined) msg += `problem converting port '${portArg}' to an int`;
    else if (sign === '+' || sign === '-')
      msg +=
        "can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.";
    else {
      const next = uint16(v);
      if (next === srv.port) msg += 'no need to change the port';
      else {
        msg += `port changed from '${srv.port}' to '${next}'`;
        port = next;
      }
    }
  }
  if (host !== srv.host || port !== srv.port) moveServer(env, f, host, port);
  return `${msg}${by}`;
}

/**
 * `set server <b>/<s> check-addr <ip> [port <port>]` / `check-port <port>`
 * (srv_update_check_addr_port): an empty answer when applied; HAProxy's message, without a
 * line feed, when not (nothing is applied then).
 */
export function setCheckAddr(
  env: AddrEnv,
  f: AddrServer,
  addrArg: string | undefined,
  portArg: string | undefined,
): string {
  const checker = env.stats.host.checker;
  if (!checkEnabled(env, f) || checker === undefined) return 'health checks are not enabled on this server';
  let addr: string | undefined;
  if (addrArg !== undefined) {
    const ip = parseIp(addrArg);
    if (ip === undefined) return `invalid addr '${addrArg}'`;
    addr = ip.addr;
  }
  let port: number | undefined;
  if (portArg !== undefined) {
    const p = parseCheckPort(portArg);
    if (typeof p === 'string') return p;
    port = p;
  }
  checker.setCheckAddress(f.r.model.name, f.s.model.name, false, addr, port);
  return '';
}

/**
 * `set server <b>/<s> agent-addr <addr> [port <port>]` / `agent-port <port>`
 * (srv_update_agent_addr_port): as check-addr, but the address may be a host name, resolved
 * now with the system resolver (HAProxy's str2ip()).
 */
export async function setAgentAddr(
  env: AddrEnv,
  f: AddrServer,
  addrArg: string | undefined,
  portArg: string | undefined,
): Promise<string> {
  const checker = env.stats.host.checker;
  if (!agentEnabled(env, f) || checker === undefined) return 'agent checks are not enabled on this server';
  let addr: string | undefined;
  if (addrArg !== undefined) {
    addr = parseIp(addrArg)?.addr ?? (await resolve(addrArg));
    if (addr === undefined) return `invalid addr '${addrArg}'`;
  }
  let port: number | undefined;
  if (portArg !== undefined) {
    const p = parseCheckPort(portArg);
    if (typeof p === 'string') return p;
    port = p;
  }
  // the agent may have been disabled while the name resolved
  if (!agentEnabled(env, f)) return 'agent checks are not enabled on this server';
  checker.setCheckAddress(f.r.model.name, f.s.model.name, true, addr, port);
  return '';
}

/** getaddrinfo()'s first answer for `name`, as its inet_ntop() text; undefined when none. */
async function resolve(name: string): Promise<string | undefined> {
  try {
    const r = await lookup(name, { order: 'verbatim' });
    return canonicalIp(r.address) ?? undefined;
  } catch {
    return undefined;
  }
}

/** `set server <b>/<s> agent-send <text>`: what the agent is sent from its next run on. */
export function setAgentSend(env: AddrEnv, f: AddrServer, text: string): string {
  const checker = env.stats.host.checker;
  if (!agentEnabled(env, f) || checker === undefined) return 'agent checks are not enabled on this server.\n';
  checker.setAgentSend(f.r.model.name, f.s.model.name, text);
  return '';
}

// --- a state file's or a hand-over's line ---------------------------------------------------

/**
 * The address part of a `show servers state` line (srv_state_srv_update), applied after the
 * states: `srv_port` always; `srv_addr` only for a server whose configuration names it by a
 * host name (HAProxy's `init-addr last`, the default); then the check's and the agent's
 * address and port, as the runtime API takes them. Returns what could not be applied (HAProxy
 * then warns "server-state partially applied"), or undefined.
 *
 * `params` are the line's fields from srv_addr on.
 */
export function applyStateAddresses(
  env: AddrEnv,
  f: AddrServer,
  params: readonly string[],
): string | undefined {
  const srv = f.s.server;
  const m = f.s.model;
  if (srv !== undefined && srv.path === undefined) {
    let host = srv.host;
    let port = srv.port;
    const portText = params[14];
    if (portText !== undefined) port = stateUint(portText);
    const addrText = params[0];
    if (addrText !== undefined && addrText !== '-' && m.address.family === 'hostname' && initAddrLast(f)) {
      const ip = parseIp(addrText);
      if (ip !== undefined) host = ip.addr;
    }
    if (host !== srv.host || port !== srv.port) moveServer(env, f, host, port);
  }
  const checker = env.stats.host.checker;
  const checkPort = params[17] !== undefined && params[17] !== '0' ? params[17] : undefined;
  const checkAddr = params[18] !== undefined && params[18] !== '-' ? params[18] : undefined;
  if (checkPort !== undefined || checkAddr !== undefined) {
    const why = setCheckAddr(env, f, checkAddr, checkPort);
    if (why !== '') return why;
  }
  const agentAddr = params[19] !== undefined && params[19] !== '-' ? params[19] : undefined;
  const agentPort = params[20] !== undefined && params[20] !== '0' ? params[20] : undefined;
  if (agentAddr !== undefined || agentPort !== undefined) {
    if (!agentEnabled(env, f) || checker === undefined) return 'agent checks are not enabled on this server';
    let addr: string | undefined;
    if (agentAddr !== undefined) {
      addr = parseIp(agentAddr)?.addr;
      if (addr === undefined) return `invalid addr '${agentAddr}'`;
    }
    let port: number | undefined;
    if (agentPort !== undefined) {
      const p = parseCheckPort(agentPort);
      if (typeof p === 'string') return p;
      port = p;
    }
    checker.setCheckAddress(f.r.model.name, m.name, true, addr, port);
  }
  return undefined;
}

/** HAProxy's strl2uic() on a state file's srv_port (checked to be at most 65535 before). */
export function stateUint(text: string): number {
  let i = 0;
  for (let k = 0; k < text.length; k++) {
    const j = text.charCodeAt(k) - 48;
    if (j < 0 || j > 9) break;
    i = i * 10 + j;
    if (i > 0xffffffff) i %= 0x100000000;
  }
  return i;
}

/** Whether the server's `init-addr` methods include `last` (they do by default). */
function initAddrLast(f: AddrServer): boolean {
  const v = f.s.model.options['init-addr'];
  return typeof v !== 'string' || v.split(',').includes('last');
}
