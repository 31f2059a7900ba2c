/**
 * The sample environment of one client connection: what rules and ACLs read (addresses,
 * the current request and response, variables). Made only for proxies that have rules, once
 * per connection; its message objects are reused from one request to the next.
 */

import type { Socket } from 'node:net';
import type { HttpMessage, RuleOutcome, TrackingEnv } from '@hap/rules';
import { newOutcome } from '@hap/rules/engine';
import type { CaptureSlots, ConnectionTlsView, ListenerView, ProxyWorld, SampleValue } from '@hap/sample';
import { createVarStore } from '@hap/sample/engine';
import type { StickEntry, StickFetchContext, StickKeyInput, StickTable } from '@hap/stick';
import { trackHttp, updateOnHttpRequest, updateOnHttpResponse, updateOnSession } from '@hap/stick/engine';
import { connectionAddresses, listenerOf } from './accept-proxy.ts';
import { isTlsSocket, TlsFacts } from './tls-facts.ts';

/** Variables of the `proc` scope, shared by every stream of the process. */
const PROC_VARS = new Map<string, SampleValue>();

/** The process's stick tables by name (set once at start by the application). */
let STICK_TABLES: ReadonlyMap<string, StickTable> = new Map();

export function useStickTables(tables: ReadonlyMap<string, StickTable>): void {
  STICK_TABLES = tables;
}

/** Tracked counters: slots 0..2, per stream (content and HTTP rules) and per session (connection rules). */
const SLOTS = 3;

type Vars = ReturnType<typeof createVarStore>;

function message(): HttpMessage {
  return { method: '', target: '', version: 'HTTP/1.1', status: 0, reason: '', headers: [], body: undefined };
}

export class StreamEnv implements TrackingEnv, StickFetchContext {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly frontend: string;
  backend: string | undefined;
  server: string | undefined;
  req: HttpMessage | undefined;
  res: HttpMessage | undefined;
  readonly ssl: ConnectionTlsView | undefined;
  /** The listening socket that accepted the connection, when the application marked it. */
  readonly listener: ListenerView | undefined;
  readonly vars: Vars;
  readonly world: ProxyWorld;
  /** The request and response messages, reused per transaction. */
  readonly reqMsg: HttpMessage;
  readonly resMsg: HttpMessage;
  readonly outcome: RuleOutcome;
  /** tcp-request content in mode tcp: the client's bytes held so far. */
  payload?: Buffer;
  /** No more bytes will be looked at (delay over, client done): what is there is final. */
  payloadFinal: boolean;
  /** The transaction's capture slots (the HTTP session sets them when the frontend has some). */
  captures: CaptureSlots | undefined;
  /** The request line as received (capture.req.*), reused per transaction; undefined before a request. */
  reqLine: { method: string; target: string; version: string } | undefined;
  /** The request is the first of its connection (http_first_req). */
  firstRequest: boolean | undefined;
  /** Set by a payload fetch that read bytes while more may come (HAProxy's "missing data"). */
  missed: boolean;
  /** What the sc_*, src_* and table_* fetches read: this object (null while nothing is tracked is fine). */
  readonly stick: StickFetchContext;
  /** Entries tracked by this stream (released at its end) and by the session (released with it). */
  private streamSlots: (StickEntry | undefined)[] | undefined;
  private sessionSlots: (StickEntry | undefined)[] | undefined;
  /** The session's rules are done: what they track from now is the stream's. */
  private sessionOpen: boolean;

  constructor(frontend: string, client: Socket, world: ProxyWorld) {
    const a = connectionAddresses(client);
    this.src = a.src;
    this.srcPort = a.srcPort;
    this.dst = a.dst;
    this.dstPort = a.dstPort;
    this.frontend = frontend;
    // before the switching rules, the stream's backend is its frontend (as in HAProxy)
    this.backend = frontend;
    this.server = undefined;
    this.req = undefined;
    this.res = undefined;
    this.ssl = isTlsSocket(client) ? new TlsFacts(client) : undefined;
    this.listener = listenerOf(client);
    this.vars = createVarStore(PROC_VARS);
    this.world = world;
    this.reqMsg = message();
    this.resMsg = message();
    this.outcome = newOutcome();
    this.payloadFinal = true;
    this.captures = undefined;
    this.reqLine = undefined;
    this.firstRequest = undefined;
    this.missed = false;
    this.stick = this;
    this.streamSlots = undefined;
    this.sessionSlots = undefined;
    this.sessionOpen = true;
  }

  // --- stick counters ----------------------------------------------------------------------

  tracked(n: number): StickEntry | undefined {
    return this.streamSlots?.[n] ?? this.sessionSlots?.[n];
  }

  table(name: string | undefined): StickTable | undefined {
    return name === undefined ? STICK_TABLES.get(this.backend ?? this.frontend) : STICK_TABLES.get(name);
  }

  track(slot: number, table: StickTable, key: StickKeyInput, http: boolean): void {
    if (this.tracked(slot) !== undefined) return;
    // http-request tracking counts the request under way; other tracking counts the connection
    const e = http ? trackHttp(table, key) : table.track(key);
    if (e === undefined) return;
    if (this.sessionOpen) {
      this.sessionSlots ??= new Array(SLOTS);
      this.sessionSlots[slot] = e;
    } else {
      this.streamSlots ??= new Array(SLOTS);
      this.streamSlots[slot] = e;
    }
  }

  /** The connection's rules are done: the session counts, later tracking belongs to streams. */
  sessionStarted(): void {
    this.sessionOpen = false;
    const s = this.sessionSlots;
    if (s !== undefined) for (const e of s) if (e !== undefined) updateOnSession(e);
  }

  /** A new request (HTTP) or stream: the previous stream's entries go, the session's count it. */
  newStream(): void {
    this.sessionOpen = false;
    this.releaseStream();
    const s = this.sessionSlots;
    if (s !== undefined) for (const e of s) if (e !== undefined) updateOnHttpRequest(e);
  }

  /** A server's response status: 4xx and 5xx count for every tracked entry. */
  countResponse(status: number): void {
    for (let n = 0; n < SLOTS; n++) {
      const e = this.tracked(n);
      if (e !== undefined) updateOnHttpResponse(e, status);
    }
  }

  private releaseStream(): void {
    const s = this.streamSlots;
    if (s === undefined) return;
    this.streamSlots = undefined;
    for (const e of s) if (e !== undefined) e.table.release(e);
  }

  /** The connection ended: every tracked entry is released. */
  releaseAll(): void {
    this.releaseStream();
    const s = this.sessionSlots;
    this.sessionSlots = undefined;
    if (s !== undefined) for (const e of s) if (e !== undefined) e.table.release(e);
  }
}
