/**
 * A backend: its servers and how the next one is chosen. Round-robin over
 * the usable servers for now; the balancing algorithms arrive as
 * `@hap/balance` and are given to the backend as a "pick a server" function.
 */

import type { ServerTarget } from './stream.ts';

export interface BackendSpec {
  name: string;
  servers: ServerTarget[];
  /** Connect retries after the first attempt (HAProxy's `retries`, default 3). */
  retries: number;
  timeouts: { connect: number; server: number; tunnel: number };
}

export class Backend {
  readonly name: string;
  readonly servers: ServerTarget[];
  readonly retries: number;
  readonly timeouts: BackendSpec['timeouts'];
  private next: number;

  constructor(spec: BackendSpec) {
    this.name = spec.name;
    this.servers = spec.servers;
    this.retries = spec.retries;
    this.timeouts = spec.timeouts;
    this.next = 0;
  }

  /** The next server in turn, or undefined when the backend has none. */
  pickServer(): ServerTarget | undefined {
    const n = this.servers.length;
    if (n === 0) return undefined;
    const s = this.servers[this.next % n];
    this.next = (this.next + 1) % n;
    return s;
  }
}
