import type { Bytes } from '../hash.ts';
import type { LookupKind } from '../lookup/lookup.ts';
import type { BalanceServer } from '../server.ts';
import type { Slot } from '../slot.ts';

/** `hash-type` method: a static map (`hash % total weight`) or the consistent-hashing ring. */
export type HashType = 'map-based' | 'consistent';

/**
 * What a request offers to the hashing algorithms. Each algorithm reads only its own
 * field; a missing one makes it fall back to taking turns (as HAProxy does when a key is
 * absent). Strings are read as latin1 bytes, as Node's HTTP parser produces them.
 */
export interface PickKey {
  /** `source`: the client address, IPv4 dotted or IPv6 text (`::ffff:a.b.c.d` is hashed as IPv6). */
  clientIp?: string;
  /** `uri`, `url_param`: the request target as received (`/path?query`, or an absolute URI). */
  uri?: string;
  /** `url_param`: the method; with `POST`, the body is searched when the query has no such parameter. */
  method?: string;
  /** `url_param`: the beginning of the request body (what was buffered). */
  body?: Bytes;
  /** `hdr(<name>)`: the value of the named header's first occurrence (case-insensitive name). */
  header?: (name: string) => string | undefined;
  /** `rdp-cookie`: the first bytes of the connection (an RDP connection request). */
  payload?: Uint8Array;
  /** `hash <expr>`: the already-extracted key bytes. */
  hashKey?: Bytes;
  /** A server to avoid (a redispatch after a failed attempt): chosen only if nothing else can be. */
  avoid?: BalanceServer;
}

/** What an algorithm may use while picking. */
export interface PickContext {
  /** How many servers take traffic now (hashing algorithms skip the key when only one does). */
  readonly totUsed: number;
  /** The lookup's own turn-taking choice. */
  next(avoid: Slot | null): Slot | null;
  /** The server for a 32-bit hash (map or ring). */
  byHash(hash: number, avoid: Slot | null): Slot | null;
  /** The configured hash function over bytes [start, end), then `avalanche` if configured. */
  hashOf(data: Bytes, start: number, end: number): number;
  /** `avalanche` if configured (for `source`, which hashes no bytes). */
  mix(hash: number): number;
  /** A random unsigned 32-bit integer. */
  random(): number;
}

/**
 * One `balance` algorithm: an object of operations, registered by name in `ALGORITHMS`.
 * `parse` receives the algorithm as written (`hdr(host)`, `random(3)`) and the words
 * after it, and throws a `BalanceError` naming the keyword and what was expected.
 */
export interface Algorithm<P = unknown> {
  /** The name in the table: the word before any parenthesis. */
  readonly name: string;
  /** The syntax, e.g. `uri [whole] [len <n>] [depth <n>] [path-only]`. */
  readonly syntax: string;
  /** What the algorithm reads from a request. */
  readonly reads: string;
  parse(word: string, args: readonly string[]): P;
  /** The lookup structure it works on, given `hash-type`. */
  lookup(hashType: HashType): LookupKind;
  pick(ctx: PickContext, params: P, key: PickKey | undefined, avoid: Slot | null): Slot | null;
}
