/**
 * The last invalid message of each proxy, for the runtime API's `show errors` (HAProxy's
 * error snapshots): a frontend keeps the last request it refused, a backend the last response
 * it refused; each capture takes the next number of the process's event counter, and a new
 * one replaces the previous one of its slot.
 *
 * Nothing here runs unless a message is refused: the HTTP session calls capture*() from its
 * error path only.
 */

import type { Socket } from 'node:net';
import type { MessageCapture } from '@hap/http';
import { connectionAddresses } from './accept-proxy.ts';
import type { Backend } from './backend.ts';
import type { Server } from './server.ts';

/** Numbers the captured errors of a process (HAProxy's error_snapshot_id); one per process. */
export class ErrorEvents {
  /** Errors captured so far: the next one's number. */
  count: number;

  constructor() {
    this.count = 0;
  }

  /** Takes the next event number. */
  next(): number {
    return this.count++;
  }
}

/** A proxy side that may refuse a message: a frontend (requests) or a backend (responses). */
export interface ErrorSlot {
  readonly name: string;
}

/** One captured invalid message. */
export interface ErrorSnapshot {
  /** When it was captured (ms since the epoch). */
  readonly when: number;
  /** Its number among every error the process captured (from 0). */
  readonly event: number;
  /** The client's address and port (the PROXY header's when one came). */
  readonly src: string;
  readonly srcPort: number;
  /**
   * The proxy at the other end: for a request, the backend when the request had reached one
   * (its head came in an earlier read), else null; for a response, the frontend.
   */
  readonly otherEnd: ErrorSlot | null;
  /** The server that sent a response; null for a request. */
  readonly server: Server | null;
  /** The message, the error's position in it and the parser's state. */
  readonly message: MessageCapture;
}

/** What holds the last refused request: a frontend. */
export interface RequestErrorSlot extends ErrorSlot {
  /** The last refused request, null when none. */
  invalidReq: ErrorSnapshot | null;
  /** The process's event counter (shared by every proxy). */
  readonly errorEvents: ErrorEvents;
}

function snapshot(
  events: ErrorEvents,
  client: Socket,
  otherEnd: ErrorSlot | null,
  server: Server | null,
  message: MessageCapture,
  now: number,
): ErrorSnapshot {
  const a = connectionAddresses(client);
  return { when: now, event: events.next(), src: a.src, srcPort: a.srcPort, otherEnd, server, message };
}

/** Keeps `message` as the frontend's last refused request. */
export function captureRequestError(
  frontend: RequestErrorSlot,
  client: Socket,
  backend: Backend | null,
  message: MessageCapture,
  now = Date.now(),
): ErrorSnapshot {
  const s = snapshot(frontend.errorEvents, client, backend, null, message, now);
  frontend.invalidReq = s;
  return s;
}

/** Keeps `message` as the backend's last refused response (from `server`, for `frontend`'s client). */
export function captureResponseError(
  frontend: RequestErrorSlot,
  backend: Backend,
  server: Server,
  client: Socket,
  message: MessageCapture,
  now = Date.now(),
): ErrorSnapshot {
  const s = snapshot(frontend.errorEvents, client, frontend, server, message, now);
  backend.invalidRep = s;
  return s;
}
