// The stick table proper: entries by key, their expiration dates, HAProxy's eviction of
// the oldest entries when full and its expiry walk, and per-entry data cells.
//
// HAProxy keeps entries in an expiration queue ordered by the date each entry had when
// it was last queued; refreshing an entry only moves its date, not its place, and the
// walks that evict or expire entries put a moved entry back at its new date when they
// meet it. That laziness is visible (a full table can refuse a new entry when its
// oldest places are held by refreshed entries), so it is reproduced: the queue here is
// a heap of (queued date, queue order) nodes with the same lazy re-queueing.
import { dataTypeInfo, type StickDataType, type StickStorage } from './datatypes.ts';
import { StickError } from './errors.ts';
import { FreqCounter } from './freq.ts';
import { type NormalizedKey, normalizeKey, type StickKeyInput, toU32 } from './keys.ts';
import type { StickTableSpec } from './parse.ts';

/** Where a stored data type lives in an entry's cells. */
interface Slot {
  readonly offset: number;
  readonly count: number;
  readonly period: number;
  readonly storage: StickStorage;
}

interface ExpNode {
  entry: StickEntry;
  /** Date the entry had when queued (HAProxy's exp.key). */
  key: number;
  /** Queue order among equal dates: later insertions go after. */
  seq: number;
  dead: boolean;
}

/** A cell: 32-bit counters as numbers, 64-bit byte counts as bigints (exact), rates, server_key. */
type Cell = number | bigint | FreqCounter | string | undefined;

/** A value cast to the cell's C type: wraps like HAProxy's unsigned/signed integers. */
function castCell(storage: StickStorage, v: number | bigint): number | bigint {
  if (storage === 'ull') return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
  const n = typeof v === 'bigint' ? Number(BigInt.asUintN(32, v)) : toU32(v);
  return storage === 'sint' ? n | 0 : n;
}

/** One key of a table and its stored data. Obtained from a StickTable, never built directly. */
export class StickEntry {
  /** The table this entry belongs to (or belonged to, once evicted). */
  readonly table: StickTable;
  /** Creation number within the table; `show table` prints it as the entry's address. */
  readonly id: number;
  /** The key as converted to the table's type (see StickKeyInput). */
  readonly key: string | number | Uint8Array;
  /** @internal */ readonly nkey: NormalizedKey;
  /** @internal */ readonly cells: Cell[];
  /** @internal */ node: ExpNode | null = null;
  /** @internal */ refs = 0;
  /** @internal */ exp: number;
  /** @internal */ alive = true;

  /** @internal */
  constructor(table: StickTable, id: number, nkey: NormalizedKey, cells: Cell[], expire: number) {
    this.table = table;
    this.id = id;
    this.nkey = nkey;
    this.key = nkey.value;
    this.cells = cells;
    this.exp = expire;
  }

  /** Expiration date (ms, on the table's clock). Tables without `expire` hold the date of the last refresh. */
  get expire(): number {
    return this.exp;
  }

  /** Streams currently tracking this entry (HAProxy's ref_cnt): a referenced entry is never evicted nor expired. */
  get refCount(): number {
    return this.refs;
  }

  /** Whether the entry is still in its table (not evicted, expired or cleared). */
  get inTable(): boolean {
    return this.alive;
  }

  /** Whether the table stores `type` (and, for arrays, element `idx`). */
  has(type: StickDataType, idx = 0): boolean {
    const s = this.table.slot(type);
    return s !== undefined && idx >= 0 && idx < s.count;
  }

  /**
   * The value of `type` (element `idx` of an array): a counter, or a rate read now in
   * events per period. undefined when the table does not store it. For server_key use
   * serverKey.
   */
  get(type: Exclude<StickDataType, 'server_key'>, idx = 0): number | undefined {
    const s = this.table.slot(type);
    if (!s || idx < 0 || idx >= s.count) return undefined;
    const c = this.cells[s.offset + idx];
    if (c instanceof FreqCounter) return c.read(s.period, this.table.now());
    if (typeof c === 'bigint') return Number(c);
    return typeof c === 'number' ? c : undefined;
  }

  /** A 64-bit byte count exactly (bytes_in_cnt, bytes_out_cnt); undefined when not stored. */
  getBig(type: 'bytes_in_cnt' | 'bytes_out_cnt'): bigint | undefined {
    const s = this.table.slot(type);
    const c = s ? this.cells[s.offset] : undefined;
    return typeof c === 'bigint' ? c : undefined;
  }

  /**
   * Sets a counter, or a rate as `set table` does (the value holds for a period then
   * fades). Values wrap like HAProxy's integers. Returns false when not stored.
   * Does not refresh the entry (see StickTable.touch).
   */
  set(type: Exclude<StickDataType, 'server_key'>, value: number | bigint, idx = 0): boolean {
    const s = this.table.slot(type);
    if (!s || idx < 0 || idx >= s.count) return false;
    const c = this.cells[s.offset + idx];
    if (c instanceof FreqCounter) c.set(castCell('uint', value) as number, this.table.now());
    else this.cells[s.offset + idx] = castCell(s.storage, value);
    return true;
  }

  /**
   * Adds `n` to a counter, or `n` events to a rate. Returns the new counter value, or
   * the events of the rate's current period; undefined when not stored. No refresh.
   */
  add(type: Exclude<StickDataType, 'server_key'>, n = 1, idx = 0): number | undefined {
    const s = this.table.slot(type);
    if (!s || idx < 0 || idx >= s.count) return undefined;
    const i = s.offset + idx;
    const c = this.cells[i];
    if (c instanceof FreqCounter) return c.update(s.period, n, this.table.now());
    if (typeof c === 'bigint') {
      const big = BigInt.asUintN(64, c + BigInt(Math.trunc(n)));
      this.cells[i] = big;
      return Number(big);
    }
    const v = castCell(s.storage, (c as number) + n) as number;
    this.cells[i] = v;
    return v;
  }

  /** server_key: the server's name or address stored by a stick rule; undefined when unset or not stored. */
  get serverKey(): string | undefined {
    const s = this.table.slot('server_key');
    const v = s ? this.cells[s.offset] : undefined;
    return typeof v === 'string' ? v : undefined;
  }

  set serverKey(value: string | undefined) {
    const s = this.table.slot('server_key');
    if (s) this.cells[s.offset] = value;
  }

  /** @internal the raw frequency counter of a rate (for the fetches that report its current count). */
  counter(type: StickDataType, idx = 0): FreqCounter | undefined {
    const s = this.table.slot(type);
    const c = s && idx >= 0 && idx < s.count ? this.cells[s.offset + idx] : undefined;
    return c instanceof FreqCounter ? c : undefined;
  }

  /** @internal the period of a stored rate. */
  period(type: StickDataType): number {
    return this.table.slot(type)?.period ?? 0;
  }
}

/** Default clock: wall-clock milliseconds, as HAProxy 2.6's now_ms derives from the date. */
const systemClock = (): number => Date.now();

/** A stick table: HAProxy's `stick-table` of a proxy (or a peers section), without sockets or timers. */
export class StickTable {
  readonly name: string;
  readonly spec: StickTableSpec;
  private readonly clock: () => number;
  private readonly slots: (Slot | undefined)[] = [];
  /** A new entry's cells (0, 0n or undefined), and where its rate counters go. */
  private readonly blank: Cell[] = [];
  private readonly rateCells: number[] = [];
  private readonly byId = new Map<string | number, StickEntry>();
  private heap: ExpNode[] = [];
  private dead = 0;
  private seq = 0;
  private nextId = 0;
  private current = 0;
  /** Earliest date the expiry walk has something to do (HAProxy's exp_next). */
  private expNext = Number.POSITIVE_INFINITY;

  /**
   * `clock` returns milliseconds (any origin, non-decreasing); it is read on every
   * operation that depends on time. Tests pass a manual one.
   */
  constructor(name: string, spec: StickTableSpec, clock: () => number = systemClock) {
    this.name = name;
    this.spec = spec;
    this.clock = clock;
    let offset = 0;
    for (const s of spec.store) {
      const info = dataTypeInfo(s.type);
      if (!info) throw new StickError('HAP_ERR_STICK_DATA', `unknown data type '${s.type}'`);
      this.slots[info.index] = { offset, count: s.elements, period: s.period, storage: info.storage };
      for (let i = 0; i < s.elements; i++) {
        if (info.storage === 'rate') this.rateCells.push(offset + i);
        this.blank.push(
          info.storage === 'ull' ? 0n : info.storage === 'dict' || info.storage === 'rate' ? undefined : 0,
        );
      }
      offset += s.elements;
    }
  }

  /** Current time on the table's clock (whole ms). */
  now(): number {
    return Math.floor(this.clock());
  }

  /** Maximum number of entries (`size`). */
  get size(): number {
    return this.spec.size;
  }

  /** Entries in the table (`used` in `show table`). */
  get used(): number {
    this.expire();
    return this.current;
  }

  /** @internal */
  slot(type: StickDataType): Slot | undefined {
    const info = dataTypeInfo(type);
    return info ? this.slots[info.index] : undefined;
  }

  /** Converts a key to this table's type; undefined when it cannot be converted. */
  normalize(key: StickKeyInput): NormalizedKey | undefined {
    return normalizeKey(this.spec.type, this.spec.keyLength, key);
  }

  /** The entry for `key`, without refreshing it (HAProxy's lookups by fetches and converters). */
  lookup(key: StickKeyInput): StickEntry | undefined {
    const nk = this.normalize(key);
    return nk ? this.lookupKey(nk) : undefined;
  }

  /** @internal */
  lookupKey(nk: NormalizedKey): StickEntry | undefined {
    this.expire();
    return this.byId.get(nk.id);
  }

  /**
   * The entry for `key`, created empty when missing (HAProxy's stktable_get_entry: an
   * existing entry is not refreshed). undefined when the key does not convert, or when
   * the table is full and `nopurge` is set or no old entry could be evicted.
   */
  getOrCreate(key: StickKeyInput): StickEntry | undefined {
    const nk = this.normalize(key);
    return nk ? this.getOrCreateKey(nk) : undefined;
  }

  /** @internal */
  getOrCreateKey(nk: NormalizedKey): StickEntry | undefined {
    this.expire();
    return this.byId.get(nk.id) ?? this.create(nk);
  }

  /** Refreshes the entry: it now expires `expire` ms from now (HAProxy's stktable_touch_local). */
  touch(entry: StickEntry): void {
    if (entry.table !== this) throw new StickError('HAP_ERR_STICK_STATE', 'entry of another table');
    const now = this.now();
    entry.exp = now + this.spec.expire;
    if (this.spec.expire) this.expNext = Math.min(this.expNext, entry.exp);
  }

  /**
   * Removes the entry for `key`. Returns false when there is none or when it is
   * tracked (HAProxy refuses to remove a referenced entry).
   */
  remove(key: StickKeyInput): boolean {
    const e = this.lookup(key);
    if (!e || e.refs > 0) return false;
    this.kill(e);
    return true;
  }

  /** Removes `entry` unless it is tracked; returns whether it was removed. */
  removeEntry(entry: StickEntry): boolean {
    if (!entry.alive || entry.table !== this || entry.refs > 0) return false;
    this.kill(entry);
    return true;
  }

  /**
   * Removes every entry not tracked by a stream (and matching `filter` when given);
   * returns how many went. `clearTable()` is the runtime API's variant, quirks included.
   */
  clear(filter?: (entry: StickEntry) => boolean): number {
    let n = 0;
    for (const e of [...this.byId.values()])
      if (e.refs === 0 && (!filter || filter(e))) {
        this.kill(e);
        n++;
      }
    return n;
  }

  /** Entries in HAProxy's key order (the `show table` order: byte order of the stored keys). */
  entries(): StickEntry[] {
    this.expire();
    return [...this.byId.values()].sort((a, b) => {
      const x = a.nkey.order;
      const y = b.nkey.order;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }

  /**
   * Starts tracking `key` for a stream (track-sc*): gets or creates the entry, takes a
   * reference, counts the connection (conn_cnt, conn_cur, conn_rate) and refreshes the
   * entry. undefined when no entry could be had.
   */
  track(key: StickKeyInput): StickEntry | undefined {
    const e = this.getOrCreate(key);
    if (e) this.trackEntry(e);
    return e;
  }

  /** track() for an entry already in hand. */
  trackEntry(e: StickEntry): void {
    if (!e.alive) throw new StickError('HAP_ERR_STICK_STATE', 'entry no longer in its table');
    e.refs++;
    e.add('conn_cur');
    e.add('conn_cnt');
    e.add('conn_rate');
    this.touch(e);
  }

  /**
   * Ends a tracking (the stream or session ends): conn_cur goes down (never below 0),
   * the entry is refreshed, the reference dropped, and the entry removed at once if it
   * expired while tracked.
   */
  release(e: StickEntry): void {
    if (e.refs <= 0) throw new StickError('HAP_ERR_STICK_STATE', 'entry released more often than tracked');
    const s = this.slot('conn_cur');
    if (s) {
      const v = e.cells[s.offset] as number;
      if (v > 0) e.cells[s.offset] = v - 1;
      this.touch(e);
    }
    e.refs--;
    this.killIfExpired(e);
  }

  /**
   * Runs the expiry walk now (HAProxy's expiration task) and returns the next date it
   * has work, or undefined. Every other method runs it first too, so calling this is
   * only needed to free memory on an idle table.
   */
  purge(): number | undefined {
    this.expire();
    return Number.isFinite(this.expNext) ? this.expNext : undefined;
  }

  // --- internals --------------------------------------------------------------------

  private create(nk: NormalizedKey): StickEntry | undefined {
    if (this.current >= this.spec.size) {
      if (this.spec.nopurge) return undefined;
      if (this.trashOldest((this.spec.size >>> 8) + 1) === 0) return undefined;
    }
    const now = this.now();
    const cells = this.blank.slice();
    for (const i of this.rateCells) cells[i] = new FreqCounter();
    const e = new StickEntry(this, ++this.nextId, nk, cells, now + this.spec.expire);
    this.byId.set(nk.id, e);
    this.current++;
    this.enqueue(e, e.exp);
    if (this.spec.expire) this.expNext = Math.min(this.expNext, e.exp);
    return e;
  }

  /** @internal removes an entry for good. */
  kill(e: StickEntry): void {
    if (!e.alive) return;
    e.alive = false;
    this.byId.delete(e.nkey.id);
    this.current--;
    if (e.node) {
      e.node.dead = true;
      this.dead++;
      e.node = null;
      if (this.dead > 64 && this.dead * 2 > this.heap.length) this.compact();
    }
  }

  /** @internal HAProxy's kill-if-expired, used when a reference is dropped. */
  killIfExpired(e: StickEntry): void {
    if (this.spec.expire && e.refs === 0 && e.alive && e.exp - this.now() <= 0) this.kill(e);
  }

  /** Evicts up to `batch` unreferenced entries, oldest queued first, visiting at most 2×batch places. */
  private trashOldest(batch: number): number {
    let maxSearch = batch * 2;
    let batched = 0;
    const skipped: ExpNode[] = [];
    while (batched < batch) {
      const node = this.popMin();
      if (!node) break;
      if (--maxSearch < 0) {
        this.push(node);
        break;
      }
      const e = node.entry;
      if (e.refs > 0) {
        skipped.push(node);
        continue;
      }
      if (e.exp !== node.key) {
        // refreshed since queued: back in the queue at its current date
        this.requeue(node);
        continue;
      }
      e.node = null;
      this.kill(e);
      batched++;
    }
    for (const n of skipped) this.push(n);
    return batched;
  }

  /** HAProxy's expiration task: removes expired, unreferenced entries in queue order. */
  private expire(): void {
    if (!this.spec.expire) return;
    const now = this.now();
    if (now < this.expNext) return;
    const skipped: ExpNode[] = [];
    this.expNext = Number.POSITIVE_INFINITY;
    for (;;) {
      const node = this.popMin();
      if (!node) break;
      if (now - node.key < 0) {
        this.push(node);
        this.expNext = node.key;
        break;
      }
      const e = node.entry;
      if (e.refs > 0) {
        skipped.push(node);
        continue;
      }
      if (e.exp - now > 0) {
        this.requeue(node);
        continue;
      }
      e.node = null;
      this.kill(e);
    }
    for (const n of skipped) this.push(n);
  }

  private enqueue(e: StickEntry, key: number): void {
    const node: ExpNode = { entry: e, key, seq: ++this.seq, dead: false };
    e.node = node;
    this.push(node);
  }

  private requeue(node: ExpNode): void {
    node.key = node.entry.exp;
    node.seq = ++this.seq;
    this.push(node);
  }

  private compact(): void {
    this.heap = this.heap.filter((n) => !n.dead);
    this.dead = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private static less(a: ExpNode, b: ExpNode): boolean {
    return a.key < b.key || (a.key === b.key && a.seq < b.seq);
  }

  private push(n: ExpNode): void {
    const h = this.heap;
    h.push(n);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pn = h[p] as ExpNode;
      if (!StickTable.less(n, pn)) break;
      h[i] = pn;
      i = p;
    }
    h[i] = n;
  }

  private popMin(): ExpNode | undefined {
    const h = this.heap;
    for (;;) {
      const top = h[0];
      if (!top) return undefined;
      const last = h.pop() as ExpNode;
      if (h.length > 0) {
        h[0] = last;
        this.down(0);
      }
      if (top.dead) {
        this.dead--;
        continue;
      }
      return top;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h[i] as ExpNode;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && StickTable.less(h[r] as ExpNode, h[l] as ExpNode) ? r : l;
      const cn = h[c] as ExpNode;
      if (!StickTable.less(cn, n)) break;
      h[i] = cn;
      i = c;
    }
    h[i] = n;
  }
}
