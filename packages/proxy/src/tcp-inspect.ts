/**
 * `tcp-request content` rules in `mode tcp`: the client's first bytes are held (at most
 * `tcp-request inspect-delay`) while the rules cannot decide yet, then the connection is
 * refused, or goes to the backend `use_backend` names (else the default one) with those bytes
 * sent first. A rule that reads the payload while more may come does not decide: evaluation
 * waits for more bytes, the end of the client's data, or the delay (HAProxy's "missing data").
 */

import type { Socket } from 'node:net';
import type { HttpRuleList, TargetRules } from '@hap/rules';
import { V_ALLOW, V_REJECT, V_WAIT } from '@hap/rules/engine';
import type { ProxyWorld } from '@hap/sample';
import type { Backend } from './backend.ts';
import { StreamEnv } from './stream-env.ts';

/** The content rules of a TCP frontend and the backends its `use_backend` rules may name. */
export interface TcpInspection {
  readonly rules: HttpRuleList | undefined;
  /** `tcp-request inspect-delay`, ms (0: the rules are evaluated once, on what is there). */
  readonly delay: number;
  readonly switching: { rules: TargetRules; backends: ReadonlyMap<string, Backend> } | undefined;
  readonly world: ProxyWorld;
}

/** Where an inspected connection goes (called once). */
export interface InspectionDone {
  inspected(socket: Socket, backend: Backend | undefined, held: Buffer, ended: boolean, env: StreamEnv): void;
  refused(socket: Socket, reason: string): void;
}

const INSPECT = Symbol('hap.inspect');

interface InspectedSocket extends Socket {
  [INSPECT]?: Inspection | undefined;
}

class Inspection {
  readonly socket: InspectedSocket;
  readonly spec: TcpInspection;
  readonly done: InspectionDone;
  readonly env: StreamEnv;
  held: Buffer;
  timer: NodeJS.Timeout | undefined;
  ended: boolean;

  constructor(socket: Socket, spec: TcpInspection, done: InspectionDone, frontend: string, env?: StreamEnv) {
    this.socket = socket as InspectedSocket;
    this.spec = spec;
    this.done = done;
    this.env = env ?? new StreamEnv(frontend, socket, spec.world);
    this.held = EMPTY;
    this.timer = undefined;
    this.ended = false;
  }

  /** Evaluates the rules; true when the connection's fate is decided. */
  evaluate(final: boolean): boolean {
    const env = this.env;
    env.payload = this.held;
    env.payloadFinal = final;
    env.missed = false;
    const rules = this.spec.rules;
    const v = rules !== undefined ? rules.run(env, env.reqMsg, env.outcome) : V_ALLOW;
    if (v === V_REJECT) {
      this.finish();
      this.done.refused(this.socket, 'rejected by a tcp-request content rule');
      return true;
    }
    // a rule could not decide on the bytes there so far: wait for more
    if (v === V_WAIT) return false;
    const sw = this.spec.switching;
    let backend: Backend | undefined;
    if (sw !== undefined) {
      // switching rules see the data as final (HAProxy)
      env.payloadFinal = true;
      const name = sw.rules.select(env);
      backend = name !== undefined ? sw.backends.get(name) : undefined;
    }
    this.finish();
    this.done.inspected(this.socket, backend, this.held, this.ended, env);
    return true;
  }

  private finish(): void {
    const s = this.socket;
    s[INSPECT] = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    s.off('data', onData);
    s.off('end', onEnd);
    s.off('close', onClose);
    s.off('error', onClose);
    s.pause();
  }
}

const EMPTY = Buffer.alloc(0);
/** What the rules may look at (HAProxy's tune.bufsize less its reserve). */
const INSPECT_BUFFER = 16384;

function onData(this: InspectedSocket, chunk: Buffer): void {
  const i = this[INSPECT];
  if (i === undefined) return;
  i.held = i.held.length === 0 ? chunk : Buffer.concat([i.held, chunk]);
  // a full buffer (tune.bufsize) is final: no more data can be looked at
  i.evaluate(i.held.length >= INSPECT_BUFFER);
}

function onEnd(this: InspectedSocket): void {
  const i = this[INSPECT];
  if (i === undefined) return;
  i.ended = true;
  i.evaluate(true);
}

function onClose(this: InspectedSocket): void {
  const i = this[INSPECT];
  if (i === undefined) return;
  this[INSPECT] = undefined;
  if (i.timer !== undefined) clearTimeout(i.timer);
  this.destroy();
  i.done.refused(this, 'client closed during inspection');
}

function onDelay(i: Inspection): void {
  i.timer = undefined;
  if (i.socket[INSPECT] === i) i.evaluate(true);
}

/** Holds the client's bytes until the content rules decide (see the module comment). */
export function inspectConnection(
  socket: Socket,
  spec: TcpInspection,
  done: InspectionDone,
  frontend: string,
  env?: StreamEnv,
): void {
  const i = new Inspection(socket, spec, done, frontend, env);
  // without a delay the rules are evaluated once, on what is there (nothing yet)
  if (spec.delay <= 0) {
    i.evaluate(true);
    return;
  }
  // a rule that needs no payload may decide at once
  if (i.evaluate(false)) return;
  const s = socket as InspectedSocket;
  s[INSPECT] = i;
  s.on('data', onData);
  s.on('end', onEnd);
  s.on('close', onClose);
  s.on('error', onClose);
  i.timer = setTimeout(onDelay, spec.delay, i);
  s.resume();
}
