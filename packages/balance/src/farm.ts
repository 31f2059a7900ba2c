import { BalanceError } from './errors.ts';
import {
  type BalanceServer,
  MAX_WEIGHT,
  SERVER_STATES,
  slowStartFactor,
  stateIsRunning,
  stateTakesTraffic,
  WEIGHT_SCALE,
} from './server.ts';
import { Slot } from './slot.ts';

/**
 * The server set of one balancer: the records in declaration order, and the counts
 * every lookup reads: usable active and backup servers, their total effective weights,
 * the first usable backup, and the weight and number of servers that take traffic now.
 */
export class Farm {
  readonly slots: Slot[];
  private readonly bySrv: Map<BalanceServer, Slot>;
  /** Dynamic algorithms follow weight changes and slow start; static ones only 0 / initial. */
  readonly dynamic: boolean;
  /**
   * Effective weight = ceil(user weight × wdiv / wmult). Dynamic algorithms: wdiv 16 (room
   * for the slow-start ramp), wmult 1. The map: wdiv 1, wmult the weights' GCD, so that the
   * map has as few entries as possible.
   */
  readonly wdiv: number;
  readonly wmult: number;
  readonly allBackups: boolean;

  /** Usable active servers (HAProxy's srv_act) and backups (srv_bck). */
  actCount = 0;
  bckCount = 0;
  totAct = 0;
  totBck = 0;
  /** Without allBackups: the first usable backup in declaration order, which takes everything. */
  firstBackup: Slot | null = null;
  /** Total effective weight and number of the servers that take traffic now. */
  totWeight = 0;
  totUsed = 0;
  /** The latest `now` the caller gave (-1: none yet). */
  lastNow = -1;

  constructor(
    servers: readonly BalanceServer[],
    opts: { dynamic: boolean; useGcd: boolean; allBackups: boolean },
  ) {
    this.dynamic = opts.dynamic;
    this.allBackups = opts.allBackups;
    this.bySrv = new Map();
    const used = new Set<number>();
    const seen = new Set<BalanceServer>();
    for (const s of servers) {
      checkServer(s);
      if (seen.has(s)) throw new BalanceError('HAP_ERR_BALANCE_SERVER', `server '${s.name}' is given twice`);
      seen.add(s);
      if (s.id !== undefined) {
        if (!Number.isInteger(s.id) || s.id < 1 || s.id > 0x7fffffff)
          throw new BalanceError(
            'HAP_ERR_BALANCE_SERVER',
            `server '${s.name}': id must be a positive integer (got ${String(s.id)})`,
          );
        if (used.has(s.id))
          throw new BalanceError('HAP_ERR_BALANCE_SERVER', `server '${s.name}': id ${s.id} is already used`);
        used.add(s.id);
      }
    }
    // servers without an id take the lowest free one, in declaration order
    let nextId = 1;
    this.slots = servers.map((s, i) => {
      let puid = s.id;
      if (puid === undefined) {
        while (used.has(nextId)) nextId++;
        puid = nextId;
        used.add(puid);
      }
      const slot = new Slot(s, i, puid);
      this.bySrv.set(s, slot);
      return slot;
    });
    this.wmult = opts.useGcd ? weightGcd(servers) : 1;
    this.wdiv = opts.dynamic ? WEIGHT_SCALE : 1;
    for (const slot of this.slots) {
      slot.nextEweight = this.eweightFor(slot.server.weight, this.wdiv);
      slot.nextUsable = slot.nextEweight > 0 && stateTakesTraffic(slot.server.state);
      slot.curEweight = slot.nextEweight;
      slot.curUsable = slot.nextUsable;
    }
    this.recount();
  }

  slotOf(server: BalanceServer): Slot {
    const slot = this.bySrv.get(server);
    if (slot === undefined)
      throw new BalanceError(
        'HAP_ERR_BALANCE_SERVER',
        `server '${String(server?.name)}' does not belong to this balancer`,
      );
    return slot;
  }

  /**
   * Reads the server's state and weight into `nextEweight` / `nextUsable`, starting or
   * ending a slow start. Returns whether anything the lookups care about changed.
   */
  prepare(slot: Slot, now: number | undefined): boolean {
    const s = slot.server;
    checkServer(s);
    if (now !== undefined) this.lastNow = now;
    let weight = s.weight;
    if (!this.dynamic && weight !== 0 && weight !== slot.initialWeight) {
      throw new BalanceError(
        'HAP_ERR_BALANCE_STATIC_WEIGHT',
        `server '${s.name}': a static algorithm only accepts weight 0 or the initial weight ${slot.initialWeight} (got ${weight})`,
      );
    }
    if (!this.dynamic && weight !== 0) weight = slot.initialWeight;
    const wasRunning = stateIsRunning(slot.state);
    const running = stateIsRunning(s.state);
    const ramp = s.slowstart ?? 0;
    if (!running) {
      slot.upSince = -1;
    } else if (!wasRunning && ramp > 0 && this.dynamic) {
      if (this.lastNow < 0)
        throw new BalanceError(
          'HAP_ERR_BALANCE_NOW_REQUIRED',
          `server '${s.name}' starts a slow start: pass the current time (ms) as 'now'`,
        );
      slot.upSince = this.lastNow;
    }
    slot.state = s.state;
    let factor = this.wdiv;
    if (slot.upSince >= 0) {
      factor = slowStartFactor(this.lastNow - slot.upSince, ramp);
      if (factor === WEIGHT_SCALE) slot.upSince = -1; // ramp over
    }
    slot.nextEweight = this.eweightFor(weight, factor);
    slot.nextUsable = slot.nextEweight > 0 && stateTakesTraffic(s.state);
    return slot.nextEweight !== slot.curEweight || slot.nextUsable !== slot.curUsable;
  }

  /** Makes the next values the current ones, after the lookup has applied them. */
  commit(slot: Slot): void {
    slot.curEweight = slot.nextEweight;
    slot.curUsable = slot.nextUsable;
  }

  /** Recounts usable servers and weights from the next values (HAProxy's recount_servers + update_backend_weight). */
  recount(): void {
    let act = 0;
    let bck = 0;
    let totAct = 0;
    let totBck = 0;
    let first: Slot | null = null;
    for (const slot of this.slots) {
      if (!slot.nextUsable) continue;
      if (slot.backup) {
        if (bck === 0 && !this.allBackups) first = slot;
        bck++;
        totBck += slot.nextEweight;
      } else {
        act++;
        totAct += slot.nextEweight;
      }
    }
    this.actCount = act;
    this.bckCount = bck;
    this.totAct = totAct;
    this.totBck = totBck;
    this.firstBackup = first;
    if (act > 0) {
      this.totWeight = totAct;
      this.totUsed = act;
    } else if (first !== null) {
      this.totWeight = first.nextEweight;
      this.totUsed = 1;
    } else {
      this.totWeight = totBck;
      this.totUsed = bck;
    }
  }

  /** When the next slow-start step is due (ms), or Infinity. */
  nextRampStep(): number {
    let soonest = Number.POSITIVE_INFINITY;
    for (const slot of this.slots) {
      if (slot.upSince < 0) continue;
      const ramp = slot.server.slowstart ?? 0;
      const elapsed = Math.max(0, this.lastNow - slot.upSince);
      const step = Math.floor((WEIGHT_SCALE * elapsed) / ramp) + 1; // next multiple of ramp/16
      const at = slot.upSince + Math.min(ramp, Math.ceil((step * ramp) / WEIGHT_SCALE));
      if (at < soonest) soonest = at;
    }
    return soonest;
  }

  private eweightFor(weight: number, factor: number): number {
    return Math.floor((weight * factor + this.wmult - 1) / this.wmult);
  }
}

function checkServer(s: BalanceServer): void {
  if (s === null || typeof s !== 'object')
    throw new BalanceError('HAP_ERR_BALANCE_SERVER', 'a server must be an object');
  if (!Number.isInteger(s.weight) || s.weight < 0 || s.weight > MAX_WEIGHT)
    throw new BalanceError(
      'HAP_ERR_BALANCE_SERVER',
      `server '${s.name}': weight must be an integer from 0 to ${MAX_WEIGHT} (got ${String(s.weight)})`,
    );
  if (!SERVER_STATES.includes(s.state))
    throw new BalanceError(
      'HAP_ERR_BALANCE_SERVER',
      `server '${s.name}': state must be one of ${SERVER_STATES.join(', ')} (got '${String(s.state)}')`,
    );
  if (s.slowstart !== undefined && !(Number.isFinite(s.slowstart) && s.slowstart >= 0))
    throw new BalanceError(
      'HAP_ERR_BALANCE_SERVER',
      `server '${s.name}': slowstart must be a duration in ms, 0 or more (got ${String(s.slowstart)})`,
    );
  if (!Number.isInteger(s.maxconn) || s.maxconn < 0)
    throw new BalanceError(
      'HAP_ERR_BALANCE_SERVER',
      `server '${s.name}': maxconn must be an integer, 0 or more (got ${String(s.maxconn)})`,
    );
}

/**
 * The map-based algorithms divide every weight by the weights' greatest common divisor
 * (from the first non-zero weight on, in declaration order), to keep the map small.
 */
function weightGcd(servers: readonly BalanceServer[]): number {
  let i = 0;
  while (i < servers.length && servers[i]!.weight === 0) i++;
  if (i === servers.length) return 1;
  let g = servers[i]!.weight;
  for (i++; i < servers.length && g > 1; i++) {
    let w = servers[i]!.weight;
    while (w) {
      const t = g % w;
      g = w;
      w = t;
    }
  }
  return g;
}
