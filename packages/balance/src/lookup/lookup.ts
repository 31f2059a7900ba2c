import type { Slot } from '../slot.ts';

/**
 * A lookup structure: how servers are kept so that the next one is found quickly.
 * Several algorithms share one (every hashing algorithm uses the map or the ring).
 *
 * - `update(slot)`: the farm has prepared `slot.next*` and recounted; apply the change.
 *   The farm commits (`cur* = next*`) afterwards.
 * - `next(avoid)`: the structure's own turn-taking choice (round robin, least loaded,
 *   first free, or the ring walk when a hashing algorithm found no key). `avoid` is only
 *   returned when nothing else can take the request.
 * - `byHash(hash, avoid)`: the server for a 32-bit hash (map and ring only).
 * - `taken(slot)` / `released(slot)`: `served` changed; reposition where it matters.
 */
export interface Lookup {
  update(slot: Slot): void;
  next(avoid: Slot | null): Slot | null;
  byHash(hash: number, avoid: Slot | null): Slot | null;
  taken(slot: Slot): void;
  released(slot: Slot): void;
}

export type LookupKind = 'fwrr' | 'map' | 'chash' | 'fwlc' | 'fas';
