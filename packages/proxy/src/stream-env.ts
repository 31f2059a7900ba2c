/**
 * The sample environment of one client connection: what rules and ACLs read (addresses,
 * the current request and response, variables). Made only for proxies that have rules, once
 * per connection; its message objects are reused from one request to the next.
 */

import type { Socket } from 'node:net';
import { type HttpMessage, newOutcome, type RuleOutcome } from '@hap/rules';
import { createVarStore, type ProxyWorld, type SampleEnv, type SampleValue } from '@hap/sample';
import { connectionAddresses } from './accept-proxy.ts';

/** Variables of the `proc` scope, shared by every stream of the process. */
const PROC_VARS = new Map<string, SampleValue>();

type Vars = ReturnType<typeof createVarStore>;

function message(): HttpMessage {
  return { method: '', target: '', version: 'HTTP/1.1', status: 0, reason: '', headers: [], body: undefined };
}

export class StreamEnv implements SampleEnv {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly frontend: string;
  backend: string | undefined;
  server: string | undefined;
  req: HttpMessage | undefined;
  res: HttpMessage | undefined;
  readonly ssl: undefined;
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
  /** Set by a payload fetch that read bytes while more may come (HAProxy's "missing data"). */
  missed: boolean;

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
    this.ssl = undefined;
    this.vars = createVarStore(PROC_VARS);
    this.world = world;
    this.reqMsg = message();
    this.resMsg = message();
    this.outcome = newOutcome();
    this.payloadFinal = true;
    this.missed = false;
  }
}
