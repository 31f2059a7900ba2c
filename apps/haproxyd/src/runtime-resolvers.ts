/**
 * Server addresses from DNS at run time (manual §5.3): each server line with `resolvers <id>`
 * and a host name is resolved again every `hold valid` by asking that section's name servers
 * (node:dns's Resolver pointed at them, UDP), A or AAAA first as `resolve-prefer` says (IPv6
 * by default), the addresses inside `resolve-net` preferred. A new address moves the server
 * for new connections (the runtime API's `set server … addr` path); a name that stops
 * resolving for longer than its `hold <status>` puts the server in maintenance
 * ("MAINT (resolution)") until it resolves again. `init-addr` decides the address at start.
 *
 * Loaded only when a server line names a resolvers section; the timers run off the request
 * path and never keep the process alive.
 *
 *   resolving ──valid answer──▶ address kept / moved ──hold valid──▶ resolving
 *       │
 *       └─error (nx, timeout, refused, other) ──past hold <status> since the last valid
 *                                               answer──▶ MAINT (resolution)
 */

import { lookup, Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ResolversModel, resolversOf, serverResolvers } from '@hap/config';
import { statsOf } from './runtime-cli.ts';
import { type AddrEnv, type AddrServer, moveServer } from './runtime-server-addr.ts';
import type { Daemon } from './serve.ts';
import type { ProxyRecord, ServerRecord } from './stats-source.ts';

type Status = 'nx' | 'timeout' | 'refused' | 'other';

/** `show resolvers` counters of one name server (HAProxy's names). */
const COUNTERS = [
  'sent',
  'snd_error',
  'valid',
  'update',
  'cname',
  'cname_error',
  'any_err',
  'nx',
  'timeout',
  'refused',
  'other',
  'invalid',
  'too_big',
  'truncated',
  'outdated',
] as const;
type Counters = Record<(typeof COUNTERS)[number], number>;

/** One name server: its own Resolver (all of a section's are asked at once, as HAProxy does). */
interface Nameserver {
  readonly name: string;
  readonly resolver: Resolver | undefined;
  readonly counters: Counters;
}

interface Section {
  readonly model: ResolversModel | undefined;
  readonly name: string;
  readonly nameservers: readonly Nameserver[];
}

/** What one question got: the addresses and the name server that gave them first, or why not. */
type Answer = { readonly ips: string[]; readonly ns: Nameserver } | Status | 'nodata';

/**
 * One server line, or the slots of one `server-template` line, resolved at run time: one
 * resolution of their host name, its addresses shared among the slots.
 */
interface Group {
  readonly slots: readonly AddrServer[];
  readonly fqdn: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly nets: readonly ((ip: string) => boolean)[];
  readonly section: Section & { readonly model: ResolversModel };
  /** ms: the last valid answer (the start counts as one, as in HAProxy). */
  lastValid: number;
  timer: NodeJS.Timeout | undefined;
}

export interface ResolversRuntime {
  /** Starts the periodic resolutions (the first one right away). */
  start(): void;
  stop(): void;
  /** `show resolvers [<id>]`. */
  show(id: string | undefined): string;
}

function newCounters(): Counters {
  const c = {} as Counters;
  for (const k of COUNTERS) c[k] = 0;
  return c;
}

/**
 * HAProxy's "default" section, made at start from /etc/resolv.conf when no section has that
 * name (it serves HAProxy's HTTP client, which haproxyd does not have: never asked).
 */
function defaultSection(): Section | undefined {
  let text: string;
  try {
    text = readFileSync('/etc/resolv.conf', 'latin1');
  } catch {
    return undefined;
  }
  const nameservers: Nameserver[] = [];
  for (const l of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    if (m && isIP(m[1]!) !== 0)
      nameservers.push({ name: m[1]!, resolver: undefined, counters: newCounters() });
  }
  return nameservers.length > 0 ? { model: undefined, name: 'default', nameservers } : undefined;
}

function showSection(s: Section): string {
  let out = `Resolvers section ${s.name}\n`;
  for (const ns of s.nameservers) {
    out += ` nameserver ${ns.name}:\n`;
    for (const k of COUNTERS) out += `  ${`${k}:`.padEnd(13)}${ns.counters[k]}\n`;
  }
  return out;
}

function ipv4Int(ip: string): number {
  return ip.split('.').reduce((n, b) => n * 256 + Number(b), 0);
}

/** A `resolve-net` network as a test on an address. */
function network(text: string): (ip: string) => boolean {
  const [base = '', bits] = text.split('/');
  if (isIP(base) === 4) {
    const n =
      bits === undefined ? 32 : isIP(bits) === 4 ? 32 - Math.clz32(~ipv4Int(bits) >>> 0) : Number(bits);
    const shift = 32 - n;
    const want = n === 0 ? 0 : Math.floor(ipv4Int(base) / 2 ** shift);
    return (ip) => isIP(ip) === 4 && (n === 0 || Math.floor(ipv4Int(ip) / 2 ** shift) === want);
  }
  const expand = (ip: string) => {
    const [h = '', t] = ip.split('::');
    const hs = h === '' ? [] : h.split(':');
    const ts = t === undefined || t === '' ? [] : t.split(':');
    const g = t === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
    return g.map((x) => Number.parseInt(x, 16).toString(2).padStart(16, '0')).join('');
  };
  const n = bits === undefined ? 128 : Number(bits);
  const want = expand(base).slice(0, n);
  return (ip) => isIP(ip) === 6 && expand(ip).slice(0, n) === want;
}

function statusOf(err: unknown): Status | 'nodata' {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOTFOUND':
      return 'nx';
    case 'ENODATA':
      return 'nodata';
    case 'ETIMEOUT':
      return 'timeout';
    case 'EREFUSED':
      return 'refused';
    default:
      return 'other';
  }
}

function serversWithResolvers(env: AddrEnv): { f: AddrServer; id: string }[] {
  const out: { f: AddrServer; id: string }[] = [];
  for (const r of env.stats.records as readonly ProxyRecord[]) {
    if (!r.isBackend || r.backend === undefined) continue;
    for (const s of r.servers as readonly ServerRecord[]) {
      const id = serverResolvers(s.model.options);
      if (id === undefined || s.server === undefined || s.model.address.family !== 'hostname') continue;
      out.push({ f: { r, s }, id });
    }
  }
  return out;
}

/** HAProxy's figures after a server left: "N active and M backup servers left. …". */
function leftFigures(f: AddrServer): string {
  let active = 0;
  let backup = 0;
  const b = f.r.backend;
  for (const s of f.r.servers) {
    if (s.server === undefined || b === undefined || !b.isUsable(s.server)) continue;
    if (s.model.backup) backup++;
    else active++;
  }
  const sessions = f.s.server?.served ?? 0;
  const queued = f.r.backend?.queue.length ?? 0;
  return ` ${active} active and ${backup} backup servers left.${active === 0 && backup > 0 ? ' Running on backup.' : ''} ${sessions} sessions active, 0 requeued, ${queued} remaining in queue.`;
}

const STATUS_WORDS: Record<Status, string> = {
  nx: 'DNS NX status',
  timeout: 'DNS timeout status',
  refused: 'DNS refused status',
  other: 'unspecified DNS error',
};

/**
 * `init-addr` at start for the servers resolved at run time: its methods in order (`last`
 * is the server-state file's, applied later; `libc` the system resolver; `none` no address,
 * the server in maintenance until DNS answers; an IP address). A server none of them gives
 * an address keeps its name: the start-up resolution (serve.ts) then refuses it.
 */
export async function initAddresses(env: AddrEnv): Promise<void> {
  for (const { f } of serversWithResolvers(env)) {
    const srv = f.s.server!;
    const m = f.s.model;
    const o = m.options;
    // HAProxy's default for a server with resolvers: last,libc, then none
    const methods = (typeof o['init-addr'] === 'string' ? o['init-addr'] : 'last,libc,none').split(',');
    const where = `config : [${m.file}:${m.line}] : 'server ${f.r.model.name}/${m.name}' : could not resolve address '${m.address.host}'`;
    let failed = false;
    for (const method of methods) {
      if (method === 'libc') {
        try {
          const family = o['resolve-prefer'] === 'ipv4' ? 4 : o['resolve-prefer'] === 'ipv6' ? 6 : 0;
          srv.host = (await lookup(m.address.host, { family })).address;
          break;
        } catch {
          failed = true;
        }
      } else if (method === 'none') {
        if (failed) env.log('warning', `${where}, disabling server.`);
        srv.host = '0.0.0.0';
        enterMaint(f);
        break;
      } else if (isIP(method) !== 0) {
        if (failed) env.log('warning', `${where}, falling back to configured address.`);
        srv.host = method;
        break;
      }
    }
  }
}

/** Puts the server in maintenance for its resolution (no address any more). */
function enterMaint(f: AddrServer): void {
  f.s.rmaint = true;
  f.r.backend?.disable(f.s.server!);
}

export function createResolvers(d: Daemon, env: AddrEnv): ResolversRuntime {
  const sections = new Map<string, Section & { readonly model: ResolversModel }>();
  for (const m of resolversOf(d.model)) {
    if (sections.has(m.name)) continue;
    const nameservers = m.nameservers.map((n) => {
      const resolver = new Resolver({ timeout: Math.max(1, m.timeoutRetry), tries: 1 });
      resolver.setServers([isIP(n.host) === 6 ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`]);
      return { name: n.name, resolver, counters: newCounters() };
    });
    sections.set(m.name, { model: m, name: m.name, nameservers });
  }
  const start = Date.now();
  const groups = new Map<string, Group>();
  for (const { f, id } of serversWithResolvers(env)) {
    const section = sections.get(id);
    if (section === undefined) continue;
    // the slots of a server-template line share their line
    const key = `${f.r.model.name}\n${f.s.model.file}:${f.s.model.line}`;
    const g = groups.get(key);
    if (g !== undefined) {
      (g.slots as AddrServer[]).push(f);
      continue;
    }
    const o = f.s.model.options;
    const nets = typeof o['resolve-net'] === 'string' ? o['resolve-net'].split(',').map(network) : [];
    groups.set(key, {
      slots: [f],
      fqdn: f.s.model.address.host,
      port: f.s.server!.port,
      family: o['resolve-prefer'] === 'ipv4' ? 4 : 6,
      nets,
      section,
      lastValid: start,
      timer: undefined,
    });
  }
  let stopped = false;

  /** One question to every name server of the section: the first valid answer, else the last error. */
  const query = (g: Group, family: 4 | 6): Promise<Answer> => {
    const all = g.section.nameservers;
    if (all.length === 0) return Promise.resolve('timeout');
    return new Promise((done) => {
      let pending = all.length;
      let answered = false;
      let last: Answer = 'other';
      for (const ns of all) {
        const r = ns.resolver!;
        const c = ns.counters;
        c.sent++;
        (family === 4 ? r.resolve4(g.fqdn) : r.resolve6(g.fqdn))
          .then(
            (ips) => {
              if (answered) c.outdated++;
              else if (ips.length === 0) {
                c.other++;
                last = 'nodata';
              } else {
                c.valid++;
                answered = true;
                done({ ips, ns });
              }
            },
            (err: unknown) => {
              const st = statusOf(err);
              if (st === 'nodata') c.valid++;
              else {
                c[st]++;
                if (st !== 'timeout') c.any_err++;
              }
              last = st;
            },
          )
          .finally(() => {
            if (--pending === 0 && !answered) done(last);
          });
      }
    });
  };

  /** The preferred family first, the other when the first has no record; retried on errors. */
  const resolve = async (g: Group): Promise<Answer> => {
    let last: Status = 'other';
    const tries = Math.max(1, g.section.model.resolveRetries);
    for (let i = 0; i < tries && !stopped; i++) {
      const first = await query(g, g.family);
      if (typeof first === 'object') return first;
      const other = first === 'timeout' ? first : await query(g, g.family === 4 ? 6 : 4);
      if (typeof other === 'object') return other;
      last = first === 'nodata' ? (other === 'nodata' ? 'other' : other) : first;
      if (last === 'nx' && other === 'nx') return 'nx';
    }
    return last;
  };

  /**
   * The address of each slot, as HAProxy scores the answer's addresses: one inside
   * `resolve-net` first, then the one the slot has; never one another slot of the line has
   * (or takes this round). Undefined when none is left for the slot.
   */
  const assign = (g: Group, ips: string[]): (string | undefined)[] => {
    const current = g.slots.map((f) => (f.s.rmaint ? undefined : f.s.server!.host));
    const taken = new Set<string>();
    return g.slots.map((_, i) => {
      let best: string | undefined;
      let bestScore = -1;
      for (const ip of ips) {
        if (taken.has(ip) || current.some((c, k) => k !== i && c === ip)) continue;
        const score = (g.nets.some((n) => n(ip)) ? 4 : 0) + (current[i] === ip ? 1 : 0);
        if (score > bestScore) {
          best = ip;
          bestScore = score;
        }
      }
      if (best !== undefined) taken.add(best);
      return best;
    });
  };

  const who = (f: AddrServer) => `${f.r.model.name}/${f.s.model.name}`;

  const noServerLeft = (f: AddrServer): void => {
    if (!(f.r.backend?.hasUsableServer() ?? true))
      env.log(
        'alert',
        `${f.r.model.kind === 'listen' ? 'proxy' : 'backend'} '${f.r.model.name}' has no server available!`,
      );
  };

  const down = (f: AddrServer, why: string): void => {
    enterMaint(f);
    const text = `Server ${who(f)} is going DOWN for maintenance (${why}).${leftFigures(f)}`;
    env.log('warning', text);
    d.adminLog?.('notice', text);
    noServerLeft(f);
  };

  const apply = (g: Group, answer: Answer): void => {
    const now = Date.now();
    if (typeof answer === 'object') {
      g.lastValid = now;
      const ips = assign(g, answer.ips);
      for (let i = 0; i < g.slots.length; i++) {
        const f = g.slots[i]!;
        const srv = f.s.server!;
        const ip = ips[i];
        const wasMaint = f.s.rmaint;
        if (ip === undefined) {
          // HAProxy's reason ends with a space here
          if (!wasMaint) down(f, 'No IP for server ');
          continue;
        }
        const from = wasMaint ? '(none)' : srv.host;
        if (ip !== from) {
          // the slot that asked was answered by the name server, the others from its cache
          const by = i === 0 ? `${g.section.name}/${answer.ns.name}` : 'DNS cache';
          if (i === 0) answer.ns.counters.update++;
          const text = `${who(f)} changed its IP from ${from} to ${ip} by ${by}.`;
          env.log('warning', text);
          d.proxyLog(f.r.model.name)?.('notice', text);
        }
        if (wasMaint) {
          f.s.rmaint = false;
          moveServer(env, f, ip, g.port); // gives it back to the balancer with its address
          const back = `Server ${who(f)} ('${g.fqdn}') is UP/READY (resolves again).`;
          env.log('warning', back);
          d.adminLog?.('notice', back);
          env.log('warning', `Server ${who(f)} administratively READY thanks to valid DNS answer.`);
        } else if (ip !== srv.host) moveServer(env, f, ip, g.port);
      }
      return;
    }
    // a name with no address of either family: HAProxy's "other" status
    const status = answer === 'nodata' ? 'other' : answer;
    if (now - g.lastValid < g.section.model.hold[status]) return;
    for (const f of g.slots) if (!f.s.rmaint) down(f, STATUS_WORDS[status]);
  };

  const run = (g: Group): void => {
    g.timer = undefined;
    void resolve(g).then((answer) => {
      if (stopped) return;
      apply(g, answer);
      schedule(g, Math.max(g.section.model.hold.valid, g.section.model.timeoutResolve));
    });
  };

  const schedule = (g: Group, delay: number): void => {
    g.timer = setTimeout(run, delay, g);
    g.timer.unref();
  };

  return {
    start() {
      for (const g of groups.values()) schedule(g, 0);
    },
    stop() {
      stopped = true;
      for (const g of groups.values()) if (g.timer !== undefined) clearTimeout(g.timer);
      for (const s of sections.values()) for (const ns of s.nameservers) ns.resolver?.cancel();
    },
    show(id) {
      const all: Section[] = [...sections.values()];
      if (!sections.has('default')) {
        const def = defaultSection();
        if (def !== undefined) all.push(def);
      }
      if (id === undefined) return all.map(showSection).join('');
      const one = all.find((x) => x.name === id);
      return one === undefined ? "Can't find that resolvers section\n" : showSection(one);
    },
  };
}

/**
 * Start-up (before the system resolver's pass over the other servers): `init-addr` of the
 * servers resolved at run time; the resolutions start with the health checks (`start()`).
 */
export async function initResolvers(
  d: Daemon,
  log: (level: 'alert' | 'warning', text: string) => void,
): Promise<ResolversRuntime> {
  const env: AddrEnv = { stats: statsOf(d), log };
  await initAddresses(env);
  const rt = createResolvers(d, env);
  d.features.cli?.daemonRuntime(d).api.register({
    words: ['show', 'resolvers'],
    usage: 'show resolvers [id]',
    help: 'dumps counters from all resolvers section and associated name servers',
    handler: (args) => rt.show(args[2]),
  });
  return rt;
}
