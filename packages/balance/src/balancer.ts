import { ALGORITHMS, algorithmName } from './algorithms/index.ts';
import type { Algorithm, HashType, PickContext, PickKey } from './algorithms/types.ts';
import { BalanceError } from './errors.ts';
import { Farm } from './farm.ts';
import { avalanche, type Bytes, HASH_FUNCTIONS, type HashFunction, type HashFunctionName } from './hash.ts';
import { ChashLookup } from './lookup/chash.ts';
import { FasLookup } from './lookup/fas.ts';
import { FwlcLookup } from './lookup/fwlc.ts';
import { FwrrLookup } from './lookup/fwrr.ts';
import type { Lookup, LookupKind } from './lookup/lookup.ts';
import { MapLookup } from './lookup/map.ts';
import { type BalanceServer, MAX_WEIGHT, SERVER_STATES, type ServerState } from './server.ts';
import type { Slot } from './slot.ts';

export interface BalancerOptions {
  /** `hash-type` method for the hashing algorithms (default `map-based`). */
  hashType?: HashType;
  /** `hash-type` function (default `sdbm`). */
  hashFunction?: HashFunctionName;
  /**
   * `avalanche` modifier. Default: on for `consistent` without a hash function (HAProxy's
   * `hash-type consistent` alone means `sdbm avalanche`), off otherwise.
   */
  avalanche?: boolean;
  /** `option allbackups`: when no active server is usable, use every backup by weight, not only the first. */
  allBackups?: boolean;
  /** Random source for `random`: returns an unsigned 32-bit integer. Default: Math.random. */
  random?: () => number;
}

/** A set of servers and one `balance` algorithm over them. */
export interface Balancer {
  /** The algorithm's table name (`hdr` for `hdr(host)`). */
  readonly algorithm: string;
  readonly servers: readonly BalanceServer[];
  /** The lookup structure in use (`fwrr`, `map`, `chash`, `fwlc`, `fas`). */
  readonly lookup: LookupKind;
  /**
   * The server for a new request, or undefined when no server takes traffic or every
   * candidate is at its maxconn (see `available()`). Does not change `served`: call
   * `taken()` once the request is sent to the server.
   */
  pick(key?: PickKey): BalanceServer | undefined;
  /** A request started on `server`: `served` + 1. */
  taken(server: BalanceServer): void;
  /** A request ended on `server`: `served` − 1. Throws HAP_ERR_BALANCE_UNDERFLOW below 0. */
  released(server: BalanceServer): void;
  /**
   * Re-reads `server`'s state and weight after the caller changed them. `now` (ms, any
   * monotonic clock) is required when a server with `slowstart` comes up.
   */
  update(server: BalanceServer, now?: number): void;
  /** Sets the state, then `update()` (on an error, the state is put back). */
  setState(server: BalanceServer, state: ServerState, now?: number): void;
  /** Sets the weight (checked first: 0–256; static algorithms: 0 or the initial weight), then `update()`. */
  setWeight(server: BalanceServer, weight: number, now?: number): void;
  /**
   * Moves every slow start forward to `now`. Returns when the next weight step is due (ms
   * on the same clock), or Infinity when no server is warming up.
   */
  refresh(now: number): number;
  /**
   * The weight the server takes traffic with now, in user units: its weight, a fraction of
   * it during a slow start (in sixteenths), 0 when it takes no traffic. (HAProxy's stats
   * round it up.)
   */
  effectiveWeight(server: BalanceServer): number;
  /** Whether the server takes new traffic now (up, weight above 0). */
  usable(server: BalanceServer): boolean;
  /** Whether any server takes traffic now (if not, a request gets a 503; if so, `pick()` undefined means all are full). */
  available(): boolean;
}

const HASH_TYPES: readonly HashType[] = ['map-based', 'consistent'];

function defaultRandom(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/**
 * Creates a balancer. `algorithm` is written as after `balance` (`roundrobin`,
 * `hdr(host)`, `random(3)`), `args` are the words that follow (`['whole', 'depth', '2']`
 * for `uri`). Throws a BalanceError naming the keyword for an unknown algorithm, a bad
 * argument, option or server.
 */
export function createBalancer(
  algorithm: string,
  args: readonly string[],
  options: BalancerOptions,
  servers: readonly BalanceServer[],
): Balancer {
  const algo = ALGORITHMS.get(algorithmName(algorithm));
  if (algo === undefined) {
    const known = [...ALGORITHMS.values()].map((a) => a.syntax.split(' ')[0]).join(', ');
    throw new BalanceError(
      'HAP_ERR_BALANCE_ALGORITHM',
      `balance: unknown algorithm '${algorithm}' (expected one of ${known})`,
    );
  }
  const params = algo.parse(algorithm, args);
  const hashType = options.hashType ?? 'map-based';
  if (!HASH_TYPES.includes(hashType))
    throw new BalanceError(
      'HAP_ERR_BALANCE_OPTION',
      `hash-type: unknown method '${String(hashType)}' (expected map-based or consistent)`,
    );
  const fnName = options.hashFunction ?? 'sdbm';
  const fn = Object.hasOwn(HASH_FUNCTIONS, fnName) ? HASH_FUNCTIONS[fnName] : undefined;
  if (fn === undefined)
    throw new BalanceError(
      'HAP_ERR_BALANCE_OPTION',
      `hash-type: unknown hash function '${String(fnName)}' (expected sdbm, djb2, wt6, crc32 or none)`,
    );
  if (options.random !== undefined && typeof options.random !== 'function')
    throw new BalanceError(
      'HAP_ERR_BALANCE_OPTION',
      'random: expected a function returning a 32-bit integer',
    );
  if (!Array.isArray(servers))
    throw new BalanceError('HAP_ERR_BALANCE_SERVER', 'servers: expected an array of server views');
  const mix = options.avalanche ?? (hashType === 'consistent' && options.hashFunction === undefined);
  return new BalancerImpl(algo, params, algo.lookup(hashType), fn, mix, options, servers);
}

class BalancerImpl implements Balancer, PickContext {
  readonly algorithm: string;
  readonly servers: readonly BalanceServer[];
  readonly lookup: LookupKind;
  private readonly algo: Algorithm;
  private readonly params: unknown;
  private readonly farm: Farm;
  private readonly structure: Lookup;
  private readonly hashFn: HashFunction;
  private readonly avalanche: boolean;
  private readonly rand: () => number;

  constructor(
    algo: Algorithm,
    params: unknown,
    kind: LookupKind,
    hashFn: HashFunction,
    mix: boolean,
    options: BalancerOptions,
    servers: readonly BalanceServer[],
  ) {
    this.algorithm = algo.name;
    this.servers = Object.freeze([...servers]);
    this.lookup = kind;
    this.algo = algo;
    this.params = params;
    this.hashFn = hashFn;
    this.avalanche = mix;
    this.rand = options.random ?? defaultRandom;
    this.farm = new Farm(this.servers, {
      dynamic: kind !== 'map',
      useGcd: kind === 'map',
      allBackups: options.allBackups === true,
    });
    this.structure = createLookup(kind, this.farm);
  }

  // --- Balancer ---

  pick(key?: PickKey): BalanceServer | undefined {
    if (this.farm.totWeight === 0) return undefined;
    const avoid = key?.avoid === undefined ? null : this.farm.slotOf(key.avoid);
    const slot = this.algo.pick(this, this.params, key, avoid);
    return slot === null ? undefined : slot.server;
  }

  taken(server: BalanceServer): void {
    const slot = this.farm.slotOf(server);
    server.served++;
    this.structure.taken(slot);
  }

  released(server: BalanceServer): void {
    const slot = this.farm.slotOf(server);
    if (server.served <= 0)
      throw new BalanceError(
        'HAP_ERR_BALANCE_UNDERFLOW',
        `server '${server.name}': released() without a request in progress`,
      );
    server.served--;
    this.structure.released(slot);
  }

  update(server: BalanceServer, now?: number): void {
    this.apply(this.farm.slotOf(server), now);
  }

  setState(server: BalanceServer, state: ServerState, now?: number): void {
    const slot = this.farm.slotOf(server);
    if (!SERVER_STATES.includes(state))
      throw new BalanceError(
        'HAP_ERR_BALANCE_SERVER',
        `server '${server.name}': state must be one of ${SERVER_STATES.join(', ')} (got '${String(state)}')`,
      );
    const previous = server.state;
    server.state = state;
    try {
      this.apply(slot, now);
    } catch (e) {
      server.state = previous;
      throw e;
    }
  }

  setWeight(server: BalanceServer, weight: number, now?: number): void {
    const slot = this.farm.slotOf(server);
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT)
      throw new BalanceError(
        'HAP_ERR_BALANCE_SERVER',
        `server '${server.name}': weight must be an integer from 0 to ${MAX_WEIGHT} (got ${String(weight)})`,
      );
    if (!this.farm.dynamic && weight !== 0 && weight !== slot.initialWeight)
      throw new BalanceError(
        'HAP_ERR_BALANCE_STATIC_WEIGHT',
        `server '${server.name}': ${this.algorithm} is static and only accepts weight 0 or the initial weight ${slot.initialWeight} (got ${weight})`,
      );
    const previous = server.weight;
    server.weight = weight;
    try {
      this.apply(slot, now);
    } catch (e) {
      server.weight = previous;
      throw e;
    }
  }

  refresh(now: number): number {
    this.farm.lastNow = now;
    for (const slot of this.farm.slots) if (slot.upSince >= 0) this.apply(slot, now);
    return this.farm.nextRampStep();
  }

  effectiveWeight(server: BalanceServer): number {
    const slot = this.farm.slotOf(server);
    if (!slot.curUsable) return 0;
    return (slot.curEweight * this.farm.wmult) / this.farm.wdiv;
  }

  usable(server: BalanceServer): boolean {
    return this.farm.slotOf(server).curUsable;
  }

  available(): boolean {
    return this.farm.totWeight > 0;
  }

  // --- PickContext ---

  get totUsed(): number {
    return this.farm.totUsed;
  }

  next(avoid: Slot | null): Slot | null {
    return this.structure.next(avoid);
  }

  byHash(hash: number, avoid: Slot | null): Slot | null {
    return this.structure.byHash(hash, avoid);
  }

  hashOf(data: Bytes, start: number, end: number): number {
    const h = this.hashFn(data, start, end);
    return this.avalanche ? avalanche(h) : h;
  }

  mix(hash: number): number {
    return this.avalanche ? avalanche(hash) : hash >>> 0;
  }

  random(): number {
    return this.rand() >>> 0;
  }

  private apply(slot: Slot, now: number | undefined): void {
    if (!this.farm.prepare(slot, now)) return;
    this.farm.recount();
    this.structure.update(slot);
    this.farm.commit(slot);
  }
}

function createLookup(kind: LookupKind, farm: Farm): Lookup {
  switch (kind) {
    case 'fwrr':
      return new FwrrLookup(farm);
    case 'map':
      return new MapLookup(farm);
    case 'chash':
      return new ChashLookup(farm);
    case 'fwlc':
      return new FwlcLookup(farm);
    case 'fas':
      return new FasLookup(farm);
  }
}
