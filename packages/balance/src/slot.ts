import type { Heap } from './heap.ts';
import type { BalanceServer, ServerState } from './server.ts';

/**
 * The balancer's record for one server: what was last committed (weight, usability)
 * and the bookkeeping of every lookup structure. All fields are set here so that every
 * record has the same shape; a lookup only touches its own.
 */
export class Slot {
  readonly server: BalanceServer;
  /** Position in declaration order. */
  readonly index: number;
  /** Numeric id (HAProxy's puid). */
  readonly puid: number;
  readonly backup: boolean;
  /** Weight at creation: static algorithms accept only this or 0 later. */
  readonly initialWeight: number;

  /** Committed effective weight (user weight × 16 × slow-start ramp / 16, or the map scale). */
  curEweight = 0;
  /** Effective weight being applied by an update. */
  nextEweight = 0;
  /** Committed: takes new traffic. */
  curUsable = false;
  /** Being applied by an update. */
  nextUsable = false;
  /** Last state seen by the balancer. */
  state: ServerState;
  /** When it came up (ms) while a slow start is in progress, else -1. */
  upSince = -1;

  // --- ordered structures (roundrobin, leastconn, first) ---
  /** The tree the algorithm considers the server to be in (may differ from `inHeap` during a pick). */
  tree: Heap | null = null;
  /** The heap that physically holds the record, and where. */
  inHeap: Heap | null = null;
  heapPos = -1;
  /** Ordering key (unsigned 32 bits); ties go by insertion order (`seq`). */
  key = 0;
  seq = 0;

  // --- roundrobin ---
  /** Next and last positions in the current window, remainder of the weight division. */
  npos = 0;
  lpos = 0;
  rweight = 0;
  /** Chain of servers found saturated during one pick. */
  fullNext: Slot | null = null;

  // --- map (static-rr and map-based hashing) ---
  wscore = 0;

  // --- consistent hashing ---
  /** Points this server has on its ring, and how many were prepared (grows with the weight). */
  points = 0;
  pointsCap = 0;

  constructor(server: BalanceServer, index: number, puid: number) {
    this.server = server;
    this.index = index;
    this.puid = puid;
    this.backup = server.backup;
    this.initialWeight = server.weight;
    this.state = server.state;
  }

  /** At its connection limit (HAProxy also counts its queue; this package has none). */
  full(): boolean {
    const max = this.server.maxconn;
    return max > 0 && this.server.served >= max;
  }
}
