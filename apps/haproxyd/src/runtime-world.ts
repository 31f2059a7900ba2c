/**
 * What sample fetches read of the proxies (`ProxyWorld`): usable servers, connections,
 * queues, free slots, per-second rates, ids and configured timeouts. Every figure is read
 * from the live objects when a rule asks for it; nothing is kept up to date for it.
 */
import type { ConfigModel, ProxyModel } from '@hap/config';
import type { Backend, Frontend, Server } from '@hap/proxy';
import type { BackendFigure, FrontendFigure, ProxyWorld, ServerFigure, Userlist } from '@hap/sample';
import { proxyIds, serverIds } from './proxy-ids.ts';
import type { ServedFrontend } from './runtime.ts';

/** What the world needs to know of a proxy section beyond its live objects. */
interface ProxyFacts {
  readonly model: ProxyModel;
  readonly id: number;
  /** Server ids, `maxqueue`s and configured weights by name. */
  readonly servers: Map<string, { id: number; maxqueue: number; weight: number }>;
}

function facts(model: ConfigModel): Map<string, ProxyFacts> {
  const ids = proxyIds(model);
  const out = new Map<string, ProxyFacts>();
  for (const p of model.proxies) {
    if (p.kind === 'defaults') continue;
    const sids = serverIds(p);
    const servers = new Map<string, { id: number; maxqueue: number; weight: number }>();
    p.servers.forEach((s, i) => {
      const mq = s.options['maxqueue'];
      servers.set(s.name, {
        id: sids[i]!.id,
        maxqueue: typeof mq === 'string' && /^\d+$/.test(mq) ? Number(mq) : 0,
        weight: s.weight,
      });
    });
    out.set(p.name, { model: p, id: ids.get(p)?.id ?? 0, servers });
  }
  return out;
}

/** Requests waiting in `b`'s queue for server `s` in particular. */
function serverQueue(b: Backend, s: Server): number {
  let n = 0;
  for (const q of b.queue) if (q.waitsFor === s) n++;
  return n;
}

function isBackup(b: Backend, s: Server): boolean {
  return b.balancer?.isBackup(s) === true;
}

/** `avg_queue`: the queued requests per usable server, rounded up (twice the queue without any). */
function avgQueue(b: Backend): number {
  const n = b.usableServers();
  const pending = b.queue.length;
  return n > 0 ? Math.floor((pending + n - 1) / n) : pending * 2;
}

/** `connslots`: free connection and queue slots of the running servers; -1 when one has no limit. */
function connSlots(b: Backend, f: ProxyFacts): number {
  let n = 0;
  for (const s of b.servers) {
    if (!b.isRunning(s)) continue;
    const maxqueue = f.servers.get(s.name)?.maxqueue ?? 0;
    if (s.maxconn === 0 || maxqueue === 0) return -1;
    n += s.maxconn - s.served + (maxqueue - serverQueue(b, s));
  }
  return n;
}

/** `be_conn_free`: free connection slots of the running servers (backups only when no active one is). */
function connFree(b: Backend): number {
  let active = false;
  for (const s of b.servers) if (!isBackup(b, s) && b.isUsable(s)) active = true;
  let n = 0;
  for (const s of b.servers) {
    if (!b.isRunning(s)) continue;
    if (active && isBackup(b, s)) continue;
    if (s.maxconn === 0) return -1;
    if (s.maxconn > s.served) n += s.maxconn - s.served;
  }
  return n;
}

export function proxyWorld(
  model: ConfigModel,
  backends: ReadonlyMap<string, Backend>,
  frontends: readonly ServedFrontend[],
  lists: ReadonlyMap<string, Userlist>,
): ProxyWorld {
  let byName: Map<string, Frontend> | undefined;
  // the frontends are all known once the plan is made: indexed on first use
  const frontend = (name: string) => {
    byName ??= new Map(frontends.map((x) => [x.proxy.name, x.frontend]));
    return byName.get(name);
  };
  let known: Map<string, ProxyFacts> | undefined;
  const factsOf = (name: string) => {
    known ??= facts(model);
    return known.get(name);
  };
  const server = (be: string, srv: string) => backends.get(be)?.servers.find((x) => x.name === srv);
  return {
    userlist: (name) => lists.get(name),
    nbsrv: (name) => backends.get(name)?.usableServers(),
    beConn: (name) => backends.get(name)?.currentConns(),
    queue: (name) => backends.get(name)?.queue.length,
    feConn: (name) => frontend(name)?.connections,
    serverUp: (be, srv) => {
      const b = backends.get(be);
      const s = b?.servers.find((x) => x.name === srv);
      return s === undefined || b === undefined ? undefined : b.isUsable(s);
    },
    serverQueue: (be, srv) => {
      const b = backends.get(be);
      const s = server(be, srv);
      return b === undefined || s === undefined ? undefined : serverQueue(b, s);
    },
    backendFigure: (name: string, figure: BackendFigure) => {
      const f = factsOf(name);
      if (f === undefined) return undefined;
      if (figure === 'id') return f.id;
      if (figure === 'server_timeout') return f.model.timeouts['server'] ?? 0;
      if (figure === 'tunnel_timeout') return f.model.timeouts['tunnel'] ?? 0;
      const b = backends.get(name);
      // a frontend-only proxy is the stream's backend until switching: nothing queued, no server
      if (b === undefined) return figure === 'conn_free' ? 0 : 0;
      switch (figure) {
        case 'avg_queue':
          return avgQueue(b);
        case 'connslots':
          return connSlots(b, f);
        case 'conn_free':
          return connFree(b);
        case 'sess_rate':
          return b.counters.sess_per_sec.read(Date.now());
      }
      return undefined;
    },
    frontendFigure: (name: string, figure: FrontendFigure) => {
      const f = factsOf(name);
      if (f === undefined) return undefined;
      if (figure === 'id') return f.id;
      if (figure === 'client_timeout') return f.model.timeouts['client'] ?? 0;
      const fe = frontend(name);
      if (fe === undefined) return 0;
      return (figure === 'sess_rate' ? fe.counters.sess_per_sec : fe.counters.req_per_sec).read(Date.now());
    },
    serverFigure: (be: string, srv: string, figure: ServerFigure) => {
      const f = factsOf(be)?.servers.get(srv);
      if (f === undefined) return undefined;
      if (figure === 'id') return f.id;
      if (figure === 'iweight') return f.weight;
      const s = server(be, srv);
      if (figure === 'uweight' || figure === 'weight') {
        const bal = backends.get(be)?.balancer;
        const w =
          s === undefined ? undefined : figure === 'uweight' ? bal?.userWeight?.(s) : bal?.currentWeight?.(s);
        return w ?? f.weight;
      }
      if (s === undefined) return 0;
      switch (figure) {
        case 'conn':
          return s.served;
        case 'conn_free':
          return s.maxconn === 0 ? -1 : Math.max(0, s.maxconn - s.served);
        case 'sess_rate':
          return s.counters.sess_per_sec.read(Date.now());
      }
      return undefined;
    },
    defaultBackend: (name) => {
      const p = factsOf(name)?.model;
      if (p === undefined) return undefined;
      return p.kind === 'listen' ? undefined : p.defaultBackend?.name;
    },
  };
}
