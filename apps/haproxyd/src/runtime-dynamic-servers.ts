/**
 * Dynamic servers: the runtime API's `add server <backend>/<server> <addr> [kw]*` and
 * `del server <backend>/<server>`, as HAProxy 2.6 has them (no `experimental-mode` needed;
 * admin level).
 *
 * What HAProxy 2.6 does, and this module with it:
 * - the backend must use a dynamic algorithm (roundrobin, leastconn, first, random,
 *   consistent hashing): `static-rr` and map-based hashing refuse;
 * - the server line is read on its own: the backend's `default-server` is not applied;
 * - keywords that HAProxy does not take on a dynamic server are refused in its words, an
 *   unknown one with its "did you mean" guess;
 * - the server starts in maintenance (`enable server` or `set server … state ready` makes it
 *   take traffic); its health and agent checks exist but are disabled until `enable health`
 *   / `enable agent`;
 * - it joins the end of the backend's list: `show stat`, `show servers state`, `get weight`
 *   and every `set server` find it as any other;
 * - `del server` removes any server of a backend (one from the configuration too) once it is
 *   in maintenance and has no connection left, unless something else names it (`use-server`,
 *   `track`, a sample fetch such as `srv_is_up(be/srv)`).
 *
 * Keywords HAProxy accepts here but haproxyd does not apply to an added server yet (TLS,
 * `proto`, `observe`, `track`, source addresses, connection pools…) are answered as such and
 * nothing is added. The server is never written to the configuration: as in HAProxy, a
 * reload forgets it.
 */

import { type ProxyModel, parseTime, type ServerModel } from '@hap/config';
import { Server } from '@hap/proxy';
import { addFingerprint, fingerprintDistance } from '@hap/runtime-api';
import { ServerCounters, SRV_ADMF } from '@hap/stats';
import type { Adapter } from './runtime-balance.ts';
import { addedServerChecks, createChecks } from './runtime-checks.ts';
import { parseIp } from './runtime-server-addr.ts';
import type { DaemonStats, LocalServer, ProxyRecord, ServerRecord, StatsHost } from './stats-source.ts';

/** What the commands work with: the daemon (or a test's stand-in), its statistics, its log. */
export interface DynamicEnv {
  readonly host: StatsHost;
  readonly stats: DaemonStats;
  readonly log: (level: 'alert' | 'warning', text: string) => void;
  readonly now: () => number;
}

const notSupported = (what: string) => `${what} is not supported yet by haproxyd.\n`;

/** HAProxy's NOTICE line on stderr (silenced by `-q`, as the daemon's other lines). */
function notice(env: DynamicEnv, text: string): void {
  const quiet = (env.host as { quiet?: boolean }).quiet;
  if (quiet === false) process.stderr.write(`[NOTICE]   (${process.pid}) : ${text}\n`);
}

// --- HAProxy 2.6's server keywords ----------------------------------------------------------

/**
 * Every server keyword of HAProxy 2.6 (its server, check, SSL and TCP tables, in their
 * order): how many arguments it takes (-1: `source`, which reads its own), whether a dynamic
 * server may use it, and whether haproxyd applies it to an added server.
 */
type Kw = readonly [name: string, args: number, dynamic: boolean, applied: boolean];
const KEYWORDS: readonly Kw[] = [
  ['backup', 0, true, true],
  ['cookie', 1, false, false],
  ['disabled', 0, true, true],
  ['enabled', 0, true, true],
  ['error-limit', 1, true, true],
  ['ws', 1, true, false],
  ['id', 1, true, true],
  ['init-addr', 1, false, false],
  ['log-proto', 1, false, false],
  ['maxconn', 1, true, true],
  ['maxqueue', 1, true, false],
  ['max-reuse', 1, false, false],
  ['minconn', 1, true, false],
  ['namespace', 1, false, false],
  ['no-backup', 0, true, true],
  ['no-send-proxy', 0, true, true],
  ['no-send-proxy-v2', 0, true, true],
  ['no-tfo', 0, true, false],
  ['non-stick', 0, false, false],
  ['observe', 1, true, false],
  ['on-error', 1, true, true],
  ['on-marked-down', 1, true, true],
  ['on-marked-up', 1, true, true],
  ['pool-low-conn', 1, true, false],
  ['pool-max-conn', 1, true, false],
  ['pool-purge-delay', 1, true, false],
  ['proto', 1, true, false],
  ['proxy-v2-options', 1, true, false],
  ['redir', 1, false, false],
  ['resolve-net', 1, false, false],
  ['resolve-opts', 1, false, false],
  ['resolve-prefer', 1, false, false],
  ['resolvers', 1, false, false],
  ['send-proxy', 0, true, true],
  ['send-proxy-v2', 0, true, true],
  ['slowstart', 1, true, true],
  ['source', -1, true, false],
  ['stick', 0, false, false],
  ['tfo', 0, true, false],
  ['track', 1, true, false],
  ['socks4', 1, false, false],
  ['usesrc', 0, true, false],
  ['weight', 1, true, true],
  ['addr', 1, true, true],
  ['agent-addr', 1, true, true],
  ['agent-check', 0, true, true],
  ['agent-inter', 1, true, true],
  ['agent-port', 1, true, true],
  ['agent-send', 1, true, true],
  ['check', 0, true, true],
  ['check-proto', 1, true, false],
  ['check-send-proxy', 0, true, true],
  ['check-via-socks4', 0, true, false],
  ['no-agent-check', 0, false, false],
  ['no-check', 0, false, false],
  ['no-check-send-proxy', 0, false, false],
  ['rise', 1, true, true],
  ['fall', 1, true, true],
  ['inter', 1, true, true],
  ['fastinter', 1, true, true],
  ['downinter', 1, true, true],
  ['port', 1, true, true],
  ['allow-0rtt', 0, true, false],
  ['alpn', 1, true, false],
  ['ca-file', 1, true, false],
  ['check-alpn', 1, true, false],
  ['check-sni', 1, true, false],
  ['check-ssl', 0, true, false],
  ['ciphers', 1, true, false],
  ['ciphersuites', 1, true, false],
  ['crl-file', 1, true, false],
  ['crt', 1, true, false],
  ['force-sslv3', 0, true, false],
  ['force-tlsv10', 0, true, false],
  ['force-tlsv11', 0, true, false],
  ['force-tlsv12', 0, true, false],
  ['force-tlsv13', 0, true, false],
  ['no-check-ssl', 0, false, false],
  ['no-send-proxy-v2-ssl', 0, false, false],
  ['no-send-proxy-v2-ssl-cn', 0, false, false],
  ['no-ssl', 0, false, false],
  ['no-ssl-reuse', 0, true, false],
  ['no-sslv3', 0, true, false],
  ['no-tlsv10', 0, true, false],
  ['no-tlsv11', 0, true, false],
  ['no-tlsv12', 0, true, false],
  ['no-tlsv13', 0, true, false],
  ['no-tls-tickets', 0, true, false],
  ['npn', 1, true, false],
  ['send-proxy-v2-ssl', 0, true, false],
  ['send-proxy-v2-ssl-cn', 0, true, false],
  ['sni', 1, true, false],
  ['ssl', 0, true, false],
  ['ssl-min-ver', 1, true, false],
  ['ssl-max-ver', 1, true, false],
  ['ssl-reuse', 0, false, false],
  ['tls-tickets', 0, true, false],
  ['verify', 1, true, false],
  ['verifyhost', 1, true, false],
  ['tcp-ut', 1, false, false],
];
const BY_NAME = new Map(KEYWORDS.map((k) => [k[0], k]));
/** Words HAProxy also weighs when it guesses what an unknown keyword meant. */
const EXTRA_WORDS = ['ipv4', 'ipv6', 'legacy', 'octet-count', 'fail-check', 'sudden-death', 'mark-down'];

let fingerprints: { word: string; fp: Uint8Array }[] | undefined;

/** HAProxy's guess for an unknown server keyword (the nearest word fingerprint), if close enough. */
function bestKeyword(word: string): string | undefined {
  fingerprints ??= [...KEYWORDS.map((k) => k[0]), ...EXTRA_WORDS].map((w) => {
    const fp = new Uint8Array(1024);
    addFingerprint(fp, w);
    return { word: w, fp };
  });
  const mine = new Uint8Array(1024);
  addFingerprint(mine, word);
  let best: string | undefined;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const k of fingerprints) {
    const d = fingerprintDistance(mine, k.fp);
    if (d < bestDist) {
      bestDist = d;
      best = k.word;
    }
  }
  if (best === undefined || bestDist > 2 * word.length || bestDist > 2 * best.length) return undefined;
  return best;
}

// --- values, read as HAProxy's C parsers read them ------------------------------------------

/** C's atol(): leading blanks, a sign, digits; 0 without any. */
function atol(s: string | undefined): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s ?? '');
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

const TIME_UNITS: readonly [string, number][] = [
  ['us', 0.001],
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
];
const TIME_MAX = 2147483647;

/** HAProxy's parse_time_err() in ms: the value, or what stopped it. */
function readTime(text: string): { ms: number } | { bad: string } | { overflow: true } {
  const m = /^(\d*)(.*)$/s.exec(text)!;
  const digits = m[1]!;
  let rest = m[2]!;
  if (digits === '') return { bad: rest[0] ?? '' };
  let scale = 1;
  if (rest !== '') {
    // the longest unit the text starts with
    const unit = [...TIME_UNITS].sort((a, b) => b[0].length - a[0].length).find(([u]) => rest.startsWith(u));
    if (unit === undefined) return { bad: rest[0]! };
    scale = unit[1];
    rest = rest.slice(unit[0].length);
    if (rest !== '') return { bad: rest[0]! };
  }
  const ms = Math.ceil(Number(digits) * scale);
  return ms > TIME_MAX ? { overflow: true } : { ms };
}

// --- the address --------------------------------------------------------------------------

type Address =
  | { kind: 'ip'; host: string; port: number }
  | { kind: 'path'; path: string; display: string }
  | { kind: 'error'; text: string };

/**
 * The server's address as HAProxy's str2sa_range() reads it for a dynamic server, with its
 * error texts (as the CLI prints them); what haproxyd cannot serve is an answer of its own.
 */
function readAddress(raw: string): Address {
  let text = raw;
  let family: 'ipv4' | 'ipv6' | 'unix' | 'abns' | 'any' = 'any';
  const at = text.indexOf('@');
  if (at > 0) {
    const prefix = text.slice(0, at + 1).toLowerCase();
    const rest = text.slice(at + 1);
    if (prefix === 'fd@' || prefix === 'sockpair@')
      return { kind: 'error', text: `a file descriptor is not acceptable here in '${raw}'\n\n` };
    if (['udp@', 'udp4@', 'udp6@', 'uxdg@'].includes(prefix))
      return { kind: 'error', text: `dgram-type address not acceptable in '${raw}'\n\n` };
    if (prefix === 'ipv4@' || prefix === 'tcp4@') family = 'ipv4';
    else if (prefix === 'ipv6@' || prefix === 'tcp6@') family = 'ipv6';
    else if (prefix === 'unix@' || prefix === 'uxst@') family = 'unix';
    else if (prefix === 'abns@') family = 'abns';
    else if (prefix !== 'tcp@') family = 'any';
    if (family !== 'any' || prefix === 'tcp@') text = rest;
  }
  if (family === 'unix' || (family === 'any' && text.startsWith('/')))
    return { kind: 'path', path: text, display: text };
  if (family === 'abns') return { kind: 'path', path: `\0${text}`, display: text };
  // the port follows the last colon (an IPv6 address in brackets keeps its own)
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close > 0) {
      host = text.slice(1, close);
      const tail = text.slice(close + 1);
      if (tail.startsWith(':')) portText = tail.slice(1);
    }
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  let port = 0;
  if (portText !== undefined && portText !== '') {
    const offset = portText[0] === '+' || portText[0] === '-';
    const body = offset ? portText.slice(1) : portText;
    const dash = body.indexOf('-');
    const low = dash >= 0 ? body.slice(0, dash) : body;
    const badChar = /[^0-9]/.exec(low);
    if (badChar !== null)
      return {
        kind: 'error',
        text: `invalid character '${badChar[0]}' in port number '${low}' in '${raw}'\n\n`,
      };
    if (dash >= 0) return { kind: 'error', text: `port range not permitted here in '${raw}'\n` };
    port = Number(low);
    if (port > 65535) return { kind: 'error', text: `invalid port '${low}'\n` };
    if (offset)
      return { kind: 'error', text: notSupported(`A server port offset ('${portText}') on an added server`) };
  }
  const ip = parseIp(host === '' ? '0.0.0.0' : host);
  if (ip === undefined || (family === 'ipv4' && ip.family !== 4) || (family === 'ipv6' && ip.family !== 6))
    return {
      kind: 'error',
      text: notSupported(
        `An added server named by a host name ('${host}', never resolved by HAProxy either)`,
      ),
    };
  if (port === 0) return { kind: 'error', text: notSupported('An added server without an explicit port') };
  return { kind: 'ip', host: ip.addr, port };
}

/** HAProxy's invalid_char(): what a server name may not hold. */
function badNameChar(name: string): string | undefined {
  for (const c of name) if (!/[A-Za-z0-9_.:-]/.test(c)) return c;
  return undefined;
}

/** `<backend>/<server>` split as HAProxy splits it (the first `/` after the first character). */
function splitName(arg: string | undefined): { be: string; srv: string } | undefined {
  const text = arg ?? '';
  const slash = text.indexOf('/', 1);
  if (slash < 0 || slash === text.length - 1) return undefined;
  return { be: text.slice(0, slash), srv: text.slice(slash + 1) };
}

// --- add server -----------------------------------------------------------------------------

/** The lowest free server id of a backend (HAProxy's get_next_id()). */
function nextId(r: ProxyRecord): number {
  const used = new Set(r.servers.map((s) => s.id));
  let id = 1;
  while (used.has(id)) id++;
  return id;
}

/**
 * Reads the keywords after the address into `o` (and their order into `order`: the last of
 * two opposite ones wins); an answer when one is refused.
 */
function readKeywords(
  r: ProxyRecord,
  name: string,
  args: readonly string[],
  o: Record<string, string | true>,
  order: string[],
): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    order.push(word);
    const kw = BY_NAME.get(word);
    if (kw === undefined) {
      const best = bestKeyword(word);
      return best !== undefined
        ? `unknown keyword '${word}'; did you mean '${best}' maybe ?\n`
        : `unknown keyword '${word}'.\n`;
    }
    if (!kw[2]) return `'${word}' option is not accepted for dynamic server\n`;
    const value = kw[1] >= 1 ? args[i + 1] : undefined;
    const err = checkValue(r, name, word, value);
    if (err !== undefined) return `${err}.\n`;
    if (!kw[3]) return notSupported(`The '${word}' keyword on an added server`);
    if (kw[1] === 0) o[word] = true;
    else {
      o[word] = value ?? '';
      i += kw[1];
    }
  }
  return undefined;
}

/** A keyword's value checked as HAProxy's parser checks it: its message (without the final dot). */
function checkValue(
  r: ProxyRecord,
  name: string,
  word: string,
  value: string | undefined,
): string | undefined {
  const missing = value === undefined || value === '';
  switch (word) {
    case 'weight': {
      const w = atol(value);
      if (w < 0 || w > 256) return `weight of server ${name} is not within 0 and 256 (${w}).`;
      return undefined;
    }
    case 'rise':
    case 'fall':
    case 'error-limit':
      if (missing) return `'${word}' expects an integer argument.`;
      if (word !== 'error-limit' && atol(value) <= 0) return `'${word}' has to be > 0.`;
      return undefined;
    case 'inter':
    case 'fastinter':
    case 'downinter':
    case 'agent-inter':
    case 'slowstart': {
      if (missing && word !== 'slowstart') return `'${word}' expects a delay as argument.`;
      const t = readTime(value ?? '');
      // HAProxy names every check interval 'agent-inter' in this message
      const shown = word === 'slowstart' ? 'slowstart' : 'agent-inter';
      if ('bad' in t) return `unexpected character '${t.bad}' in '${shown}' argument of server ${name}.`;
      if ('overflow' in t)
        return `timer overflow in argument <${value}> to <${word}> of server ${name}, maximum value is 2147483647 ms (~24.8 days).`;
      if (t.ms === 0 && word !== 'slowstart')
        return `invalid value 0 for argument '${word}' of server ${name}.`;
      return undefined;
    }
    case 'id': {
      if (missing) return "'id' : expects an integer argument";
      const id = atol(value);
      if (id <= 0) return "'id' : custom id has to be > 0";
      const other = r.servers.find((s) => s.id === id);
      if (other !== undefined) {
        const where = other.model.file === '' ? '(null):0' : `${other.model.file}:${other.model.line}`;
        return `'id' : custom id ${id} already used at ${where} ('server ${other.model.name}')`;
      }
      return undefined;
    }
    case 'port':
    case 'agent-port':
      if (missing) return `'${word}' expects a port number as argument.`;
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535)
        return notSupported(`A '${word}' outside 1-65535 on an added server`).replace(/\.\n$/, '');
      return undefined;
    case 'addr':
    case 'agent-addr':
      if (missing)
        return word === 'addr'
          ? "'addr' expects <ipv4|ipv6> as argument."
          : "'agent-addr' expects an address as argument.";
      if (parseIp(value) === undefined)
        return word === 'agent-addr'
          ? `parsing agent-addr failed. Check if '${value}' is correct address.`
          : notSupported(`An 'addr' that is not an IP address on an added server`).replace(/\.\n$/, '');
      return undefined;
    case 'agent-send':
      return missing ? "'agent-send' expects a string as argument." : undefined;
    case 'on-marked-down':
      return value === 'shutdown-sessions'
        ? undefined
        : `'on-marked-down' expects 'shutdown-sessions' but got '${value ?? ''}'`;
    case 'on-marked-up':
      return value === 'shutdown-backup-sessions'
        ? undefined
        : `'on-marked-up' expects 'shutdown-backup-sessions' but got '${value ?? ''}'`;
    case 'on-error':
      return ['fastinter', 'fail-check', 'sudden-death', 'mark-down'].includes(value ?? '')
        ? undefined
        : `'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '${value ?? ''}'`;
    case 'observe':
      return ['none', 'layer4', 'layer7'].includes(value ?? '')
        ? undefined
        : `'observe' expects one of 'none', 'layer4', 'layer7' but got '${value ?? ''}'`;
    default:
      return undefined;
  }
}

const timeOf = (o: Record<string, string | true>, k: string, d: number): number => {
  const v = o[k];
  if (typeof v !== 'string') return d;
  const t = parseTime(v);
  return t.ok ? t.ms : d;
};

/** `send-proxy` / `send-proxy-v2`, the last one written winning. */
function sendProxyOf(order: readonly string[]): 0 | 1 | 2 {
  let v: 0 | 1 | 2 = 0;
  for (const k of order) {
    if (k === 'send-proxy') v = 1;
    else if (k === 'send-proxy-v2') v = 2;
    else if (k === 'no-send-proxy' || k === 'no-send-proxy-v2') v = 0;
  }
  return v;
}

/** `add server <backend>/<server> <addr>[:<port>] [kw [value]]*`: HAProxy's answer. */
export function addServer(env: DynamicEnv, args: readonly string[]): string {
  const names = splitName(args[2]);
  if (names === undefined) return "Require 'backend/server'.";
  const { stats, host } = env;
  const r = stats.findBackend(names.be);
  if (r === undefined) return 'No such backend.';
  if (r.staticWeights) return 'Backend must use a dynamic load balancing to support dynamic servers.';
  const name = names.srv;
  const addrText = args[3];
  if (addrText === undefined || addrText === '')
    return "'server' expects <name> and <addr>[:<port>] as arguments.\n";
  const bad = badNameChar(name);
  if (bad !== undefined) return `character '${bad}' is not permitted in server name '${name}'.\n`;
  const addr = readAddress(addrText);
  if (addr.kind === 'error') return addr.text;
  const o: Record<string, string | true> = {};
  const order: string[] = [];
  const refused = readKeywords(r, name, args.slice(4), o, order);
  if (refused !== undefined) return refused;
  if (o['agent-check'] === true && typeof o['agent-port'] !== 'string')
    return `server ${name} does not have agent port. Agent check has been disabled.\n`;
  if (r.servers.some((s) => s.model.name === name))
    return 'Already exists a server with the same name in backend.\n';
  const backend = r.backend;
  const balancer = backend?.balancer as Adapter | undefined;
  if (backend === undefined || balancer === undefined || typeof balancer.addServer !== 'function')
    return notSupported(`Adding a server to backend '${r.model.name}', which is not served`);

  const flag = (on: string, off: string) => {
    let v = false;
    for (const k of order) {
      if (k === on) v = true;
      else if (k === off) v = false;
    }
    return v;
  };
  const inter = timeOf(o, 'inter', 2000);
  const rise = typeof o['rise'] === 'string' ? atol(o['rise']) : 2;
  const fall = typeof o['fall'] === 'string' ? atol(o['fall']) : 3;
  const weight = typeof o['weight'] === 'string' ? atol(o['weight']) : 1;
  const maxconn = typeof o['maxconn'] === 'string' ? Math.max(0, atol(o['maxconn'])) : 0;
  // an added server starts in maintenance; `disabled` adds the configuration's, a later
  // `enabled` lifts both (HAProxy then starts it ready, its health at rise)
  const disabled = flag('disabled', 'enabled');
  const ready = flag('enabled', 'disabled');
  const model: ServerModel = {
    file: '',
    line: 0,
    name,
    address:
      addr.kind === 'ip'
        ? {
            family: addr.host.includes(':') ? 'ipv6' : 'ipv4',
            host: addr.host,
            port: addr.port,
            portOffset: false,
            raw: addrText,
          }
        : {
            family: addr.path.startsWith('\0') ? 'abns' : 'unix',
            host: addr.display,
            port: 0,
            portOffset: false,
            raw: addrText,
          },
    options: o,
    weight,
    maxconn,
    backup: flag('backup', 'no-backup'),
    disabled,
    check: o['check'] === true,
    inter,
    fastinter: timeOf(o, 'fastinter', inter),
    downinter: timeOf(o, 'downinter', inter),
    rise,
    fall,
  };

  // its checks first: a backend whose check lines cannot be built for it refuses the server
  const checked = o['check'] === true || o['agent-check'] === true;
  let specs: ReturnType<typeof addedServerChecks> = [];
  if (checked) {
    try {
      specs = addedServerChecks(host.model, r.model, model);
    } catch (err) {
      return `${(err as Error).message}\n`;
    }
  }

  const server = new Server({
    name,
    host: addr.kind === 'ip' ? addr.host : '',
    port: addr.kind === 'ip' ? addr.port : 0,
    ...(addr.kind === 'path' ? { path: addr.path } : {}),
    maxconn,
    sendProxy: sendProxyOf(order),
  });
  const forced = typeof o['id'] === 'string';
  const nowSec = Math.floor(env.now() / 1000);
  const local: LocalServer = {
    admin: ready ? 0 : SRV_ADMF.FMAINT | (disabled ? SRV_ADMF.CMAINT : 0),
    opState: ready ? 'running' : 'stopped',
    uweight: weight,
    iweight: weight,
    health: ready ? rise : 0,
    rise,
    fall,
    lastChange: nowSec,
    configDisabled: disabled,
  };
  const rec: ServerRecord = {
    model,
    server,
    id: forced ? atol(o['id'] as string) : nextId(r),
    forcedId: forced,
    ownCounters: new ServerCounters(),
    checked,
    local,
    down: !ready,
    downSince: nowSec,
    downTotal: 0,
    peakUsed: 0,
    fresh: !ready,
    rmaint: false,
  };
  backend.servers.push(server);
  // HAProxy computes its weight (`show stat`) and pauses its checks only once it is out of
  // this first maintenance
  balancer.addServer(
    server,
    { weight, backup: model.backup, maxconn, slowstart: timeOf(o, 'slowstart', 0) },
    () => {
      rec.fresh = false;
    },
  );
  stats.attachServer(r, rec);
  // `stick` rules store and find it by its id, as the configuration's servers
  backend.persist?.serverAdded?.(server, rec.id);
  if (checked) startChecks(env, r, specs, ready);
  if (ready) balancer.setState(server, 'up');
  notice(env, `CLI : 'server ${r.model.name}/${name}' : New server registered.`);
  return 'New server registered.\n';
}

/**
 * The checks of an added server join the daemon's checker (made now when no server of the
 * configuration has checks): in maintenance, and disabled until `enable health|agent`.
 */
function startChecks(
  env: DynamicEnv,
  r: ProxyRecord,
  specs: ReturnType<typeof addedServerChecks>,
  ready: boolean,
): void {
  const host = env.host as StatsHost & { checker: StatsHost['checker'] };
  let checker = host.checker;
  if (checker === undefined) {
    const daemon = host as { adminLog?: (level: 'emerg' | 'alert' | 'notice', text: string) => void };
    checker = createChecks(
      { specs: [], options: host.checks?.options ?? {} },
      host.backends,
      (line) => {
        daemon.adminLog?.(line.level, line.text);
        if (line.level === 'emerg')
          env.log('alert', line.text.replace(/^(backend|proxy) (\S+) has no/, "$1 '$2' has no"));
        else env.log('warning', line.text);
      },
      host.frontends.map((f) => f.frontend),
    );
    checker.start();
    host.checker = checker;
  }
  const be = r.model.name;
  for (const spec of specs) {
    checker.add(spec);
    checker.restore(
      be,
      spec.server,
      ready
        ? { oper: 'up', maint: false, drain: false, health: spec.rise }
        : { oper: 'down', maint: true, drain: false, health: 0 },
    );
    if (spec.check) checker.setCheckEnabled(be, spec.server, false, false);
    if (spec.agent) checker.setCheckEnabled(be, spec.server, true, false);
  }
}

// --- del server -----------------------------------------------------------------------------

/** Whether something of the configuration names the server (HAProxy's SRV_F_NON_PURGEABLE). */
function referenced(host: StatsHost, be: ProxyModel, srv: string): boolean {
  const self = `${be.name}/${srv}`;
  for (const p of host.model.proxies) {
    for (const d of p.directives) {
      // `use-server <srv>` of its own backend
      if (p === be && d.keyword === 'use-server' && d.args[1] === srv) return true;
      // a sample fetch naming it (`srv_is_up(be/srv)`, …)
      if (d.args.some((a) => a.includes(`(${self})`) || a.includes(`(${self},`))) return true;
    }
    // `track be/srv` (or `track srv` in its own backend)
    for (const s of p.servers) {
      const t = s.options['track'];
      if (t === self || (p === be && t === srv)) return true;
    }
  }
  return false;
}

/** `del server <backend>/<server>`: HAProxy's answer. */
export function delServer(env: DynamicEnv, args: readonly string[]): string {
  const names = splitName(args[2]);
  if (names === undefined) return "Require 'backend/server'.";
  const { stats, host } = env;
  const r = stats.findBackend(names.be);
  if (r === undefined) return 'No such backend.';
  const s = stats.findServer(r, names.srv);
  if (s === undefined) return 'No such server.';
  if (referenced(host, r.model, s.model.name))
    return 'This server cannot be removed at runtime due to other configuration elements pointing to it.';
  const st = stats.checkerState(r, s);
  const maint = st !== undefined ? st.admin === 'maint' : (s.local.admin & SRV_ADMF.MAINT) !== 0;
  if (!maint) return 'Only servers in maintenance mode can be deleted.';
  const srv = s.server;
  const backend = r.backend;
  if (srv !== undefined && backend !== undefined) {
    const queued = backend.queue.some((q) => q.waitsFor === srv);
    if (srv.served > 0 || queued) return 'Server still has connections attached to it, cannot remove it.';
    // HAProxy purges the idle connections of a server entering maintenance: none is left
    for (const c of srv.idle.splice(0)) {
      c.idleIndex = -1;
      c.socket.destroy();
    }
    if (s.checked && st !== undefined) host.checker?.remove(r.model.name, s.model.name);
    (backend.balancer as Adapter | undefined)?.removeServer?.(srv);
    backend.persist?.serverRemoved?.(srv);
    const i = backend.servers.indexOf(srv);
    if (i >= 0) backend.servers.splice(i, 1);
  } else if (s.checked && st !== undefined) host.checker?.remove(r.model.name, s.model.name);
  stats.detachServer(r, s);
  notice(env, 'Server deleted.');
  return 'Server deleted.';
}
