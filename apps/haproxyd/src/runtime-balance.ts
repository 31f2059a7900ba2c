/**
 * A backend's `balance` algorithm: `@hap/balance` over the backend's servers, adapted to
 * what `@hap/proxy` asks of a balancer. HAProxy's default is `roundrobin`; `hash-type` and
 * `option allbackups` are read from the backend or its defaults.
 */

import {
  type Balancer,
  type BalanceServer,
  createBalancer,
  createServer,
  type HashFunctionName,
  type HashType,
} from '@hap/balance';
import { type Diagnostic, type ProxyModel, parseTime, type ServerModel } from '@hap/config';
import type { BackendBalancer, RequestKey, Server } from '@hap/proxy';
import { lastOf } from './runtime-http.ts';

/** Algorithms that never read the request. */
const KEYLESS = new Set(['roundrobin', 'static-rr', 'leastconn', 'first', 'random']);

/** How a balancer is made again over another server set (`add server`, `del server`). */
type Rebuild = (views: readonly BalanceServer[]) => Balancer;

/** What an added server brings to its backend's balancer. */
export interface AddedServerInit {
  readonly weight: number;
  readonly backup: boolean;
  readonly maxconn: number;
  readonly slowstart: number;
}

export class Adapter implements BackendBalancer {
  readonly needsKey: boolean;
  private balancer: Balancer;
  private readonly rebuild: Rebuild;
  private readonly views: Map<Server, BalanceServer>;
  private readonly owners: Map<BalanceServer, Server>;
  private ramp: NodeJS.Timeout | undefined;
  /** Added servers not yet out of their first maintenance, and whom to tell when they are. */
  private readonly firstMaint: Map<Server, () => void>;

  constructor(
    balancer: Balancer,
    servers: readonly Server[],
    views: BalanceServer[],
    needsKey: boolean,
    rebuild: Rebuild,
  ) {
    this.balancer = balancer;
    this.rebuild = rebuild;
    this.needsKey = needsKey;
    this.views = new Map();
    this.owners = new Map();
    this.ramp = undefined;
    this.firstMaint = new Map();
    for (let i = 0; i < servers.length; i++) {
      this.views.set(servers[i]!, views[i]!);
      this.owners.set(views[i]!, servers[i]!);
    }
  }

  /**
   * `add server`: `server` joins the set last, in maintenance (HAProxy's dynamic servers
   * start so). The balancer is made again over the same views (their states, weights and
   * requests in progress kept) plus the new one; an algorithm's position (the round-robin
   * turn, a slow start under way) starts over.
   */
  addServer(server: Server, init: AddedServerInit, leftMaint?: () => void): void {
    const v = createServer(server.name, {
      weight: init.weight,
      backup: init.backup,
      state: 'maint',
      maxconn: init.maxconn,
      slowstart: init.slowstart,
    });
    this.balancer = this.rebuild([...this.balancer.servers, v]);
    this.views.set(server, v);
    this.owners.set(v, server);
    if (leftMaint !== undefined) this.firstMaint.set(server, leftMaint);
  }

  /** `del server`: the server leaves the set (it is in maintenance and serves nothing). */
  removeServer(server: Server): void {
    const v = this.views.get(server);
    if (v === undefined) return;
    this.balancer = this.rebuild(this.balancer.servers.filter((x) => x !== v));
    this.views.delete(server);
    this.owners.delete(v);
    this.firstMaint.delete(server);
  }

  pick(key: RequestKey | undefined, avoid?: Server): Server | undefined {
    const a = avoid !== undefined ? this.views.get(avoid) : undefined;
    const v = this.balancer.pick(a !== undefined ? { ...key, avoid: a } : key);
    return v === undefined ? undefined : this.owners.get(v);
  }

  taken(server: Server): void {
    const v = this.views.get(server);
    if (v) this.balancer.taken(v);
  }

  released(server: Server): void {
    const v = this.views.get(server);
    if (v) this.balancer.released(v);
  }

  available(): boolean {
    return this.balancer.available();
  }

  disable(server: Server): void {
    const v = this.views.get(server);
    if (v) this.balancer.setState(v, 'maint');
  }

  usableServers(): number {
    let active = 0;
    let backup = 0;
    for (const v of this.balancer.servers) {
      if (!this.balancer.usable(v)) continue;
      if (v.backup) backup++;
      else active++;
    }
    return active > 0 ? active : backup;
  }

  isUsable(server: Server): boolean {
    const v = this.views.get(server);
    return v !== undefined && this.balancer.usable(v);
  }

  setMaxconn(server: Server, maxconn: number): void {
    const v = this.views.get(server);
    if (!v) return;
    v.maxconn = maxconn;
    this.balancer.update(v, Date.now());
  }

  isRunning(server: Server): boolean {
    const v = this.views.get(server);
    return v !== undefined && (v.state === 'up' || v.state === 'drain');
  }

  setState(server: Server, state: 'up' | 'down' | 'drain' | 'maint'): void {
    const v = this.views.get(server);
    if (!v) return;
    // a server without an address (its name does not resolve) stays out whatever its checks say
    this.balancer.setState(v, server.unresolved ? 'maint' : state, Date.now());
    if (state !== 'maint' && this.firstMaint.size > 0) {
      const told = this.firstMaint.get(server);
      if (told !== undefined) {
        this.firstMaint.delete(server);
        told();
      }
    }
    // slowstart: the weight grows in steps once the server is back
    if (state === 'up' && (v.slowstart ?? 0) > 0) this.rampSoon(0);
  }

  /** Re-reads the slow-start weights when the next step is due (one timer per backend). */
  private rampSoon(delay: number): void {
    if (this.ramp !== undefined) return;
    this.ramp = setTimeout(() => {
      this.ramp = undefined;
      const now = Date.now();
      const next = this.balancer.refresh(now);
      if (Number.isFinite(next)) this.rampSoon(Math.max(1, next - now));
    }, delay);
    this.ramp.unref();
  }

  setWeight(server: Server, weight: number): void {
    const v = this.views.get(server);
    if (v) this.balancer.setWeight(v, weight, Date.now());
  }

  isBackup(server: Server): boolean {
    return this.views.get(server)?.backup === true;
  }

  userWeight(server: Server): number | undefined {
    return this.views.get(server)?.weight;
  }

  currentWeight(server: Server): number | undefined {
    const v = this.views.get(server);
    if (v === undefined) return undefined;
    // a server out of the farm keeps its weight (HAProxy's stats round a slow start's part up)
    return this.balancer.usable(v) ? Math.ceil(this.balancer.effectiveWeight(v)) : v.weight;
  }
}

/** The server's `slowstart <time>` in ms (0: none). */
function slowstartOf(m: ServerModel): number {
  const v = m.options['slowstart'];
  if (typeof v !== 'string') return 0;
  const t = parseTime(v);
  return t.ok ? t.ms : 0;
}

/** `hash-type <method> [<function>] [avalanche]` of the backend, else of its defaults. */
function hashTypeOf(sections: readonly ProxyModel[]): {
  type?: HashType;
  fn?: HashFunctionName;
  avalanche?: boolean;
} {
  const d = lastOf(sections, ['hash-type']);
  if (!d) return {};
  const [, kind, fn, mod] = d.args;
  return {
    type: kind as HashType,
    ...(fn !== undefined ? { fn: fn as HashFunctionName } : {}),
    ...(mod === 'avalanche' ? { avalanche: true } : {}),
  };
}

/**
 * The balancer factory for a backend whose servers are `models` (in the order of the
 * backend's servers), or undefined after an alert when the algorithm cannot be built.
 */
export function balancerFor(
  be: ProxyModel,
  sections: readonly ProxyModel[],
  models: readonly ServerModel[],
  out: Diagnostic[],
): ((servers: readonly Server[]) => BackendBalancer) | undefined {
  // the model keeps the algorithm word as written (`hdr(host)`) first, then its arguments
  const words = be.balance?.args ?? ['roundrobin'];
  const algorithm = words[0] ?? 'roundrobin';
  const args = words.slice(1);
  const h = hashTypeOf(sections);
  const views = models.map((m) =>
    createServer(m.name, {
      weight: m.weight,
      backup: m.backup,
      state: m.disabled ? 'maint' : 'up',
      maxconn: m.maxconn,
      slowstart: slowstartOf(m),
    }),
  );
  const options = {
    ...(h.type !== undefined ? { hashType: h.type } : {}),
    ...(h.fn !== undefined ? { hashFunction: h.fn } : {}),
    ...(h.avalanche !== undefined ? { avalanche: h.avalanche } : {}),
    allBackups: be.options['allbackups'] === true,
  };
  const rebuild: Rebuild = (set) => createBalancer(algorithm, args, options, set);
  let balancer: Balancer;
  try {
    balancer = rebuild(views);
  } catch (err) {
    out.push({
      level: 'alert',
      code: 'HAP_ERR_NOT_SERVED',
      file: be.file,
      line: be.line,
      keyword: 'balance',
      message: `backend '${be.name}': ${(err as Error).message}`,
    });
    return undefined;
  }
  const needsKey = !KEYLESS.has(balancer.algorithm);
  return (servers) => new Adapter(balancer, servers, views, needsKey, rebuild);
}
