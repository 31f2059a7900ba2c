// One check: walk the ruleset over a real socket and come back with a status, a code and
// an info text worded as HAProxy 2.6 words them. Never throws; every path ends in done().
import { isIPv6, Socket } from 'node:net';
import { parseHttpResponse } from './http.ts';
import type { ExpectStep, Ruleset, Step, Verdict } from './rules.ts';
import { sslHello } from './rules.ts';
import { type CheckStatus, errnoText } from './status.ts';
import type { CheckTls } from './types.ts';

/** HAProxy's tune.bufsize: a check never looks at more than this. */
const BUFSIZE = 16384;

export interface RunTarget {
  readonly addr: string;
  readonly port: number;
  /** The server's own PROXY-protocol setting, used by connects with `default`. */
  readonly sendProxy: boolean;
  /** The check's connection is a TLS one (`check-ssl`). */
  readonly tls?: CheckTls | undefined;
  /** Overall limit (the check's `inter`), re-armed at each connect. */
  readonly inter: number;
  /** `timeout check`: limit once connected. */
  readonly timeout: number | undefined;
  readonly connectTimeout: number | undefined;
  readonly disableOn404: boolean;
  /** Whether the server is currently DOWN (404 only counts as "stopping" for running servers). */
  serverDown(): boolean;
  /** `x-haproxy-server-state` value, when `http-check send-state` is on. */
  stateHeader(): string | undefined;
  now(): number;
}

export interface RunOutcome {
  readonly status: CheckStatus;
  readonly code: number;
  readonly info: string;
  /** Agent checks: the first line the agent sent (undefined if none arrived). */
  readonly line?: string;
}

type Done = (outcome: RunOutcome) => void;

export class CheckRun {
  private readonly rules: Ruleset;
  private readonly target: RunTarget;
  private readonly done: Done;
  private readonly agent: boolean;
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private stepIdx = 0;
  /** Index of the step in progress (HAProxy's current_step), -1 before the first. */
  private current = -1;
  private connected = false;
  private eos = false;
  private errorCode: string | undefined;
  /** Data (or the end of it) arrived since the last connect or send. */
  private input = false;
  private waiting: 'connect' | 'data' | 'none' = 'none';
  private finished = false;
  private code = 0;
  /** The last connect went over TLS. */
  private tlsUsed = false;

  constructor(rules: Ruleset, target: RunTarget, done: Done) {
    this.rules = rules;
    this.target = target;
    this.done = done;
    this.agent = rules.proto === 'agent';
  }

  start(): void {
    this.advance();
  }

  /** Ends the check without reporting (stop, maintenance). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
  }

  // ---- the walk ------------------------------------------------------------------------

  private advance(): void {
    try {
      this.walk();
    } catch (e) {
      this.finish({ status: 'SOCKERR', code: 0, info: String((e as Error).message) });
    }
  }

  private walk(): void {
    const steps = this.rules.steps;
    while (!this.finished) {
      const step = steps[this.stepIdx];
      if (step === undefined) {
        if (this.agent) {
          this.agentLine();
          return;
        }
        this.success();
        return;
      }
      this.current = this.stepIdx;
      this.code = 0;
      switch (step.action) {
        case 'connect':
          this.connect(step);
          return;
        case 'send':
          this.send(step.sslHello ? sslHello(Math.floor(this.target.now() / 1000)) : step.data);
          this.stepIdx++;
          break;
        case 'send-http': {
          const state = this.target.stateHeader();
          const head =
            state === undefined
              ? step.head
              : Buffer.concat([step.head, Buffer.from(`x-haproxy-server-state: ${state}\r\n`, 'latin1')]);
          this.send(Buffer.concat([head, step.tail]));
          this.stepIdx++;
          break;
        }
        case 'expect': {
          if (!this.input && !this.eos && this.errorCode === undefined) {
            this.waiting = 'data';
            return;
          }
          const v = this.judge(step);
          if (v.kind === 'wait') {
            this.waiting = 'data';
            this.input = false;
            this.stepIdx = step.head;
            return;
          }
          if (v.kind === 'stop') {
            this.finish({ status: v.status, code: v.code, info: v.info });
            return;
          }
          if (v.kind === 'done') {
            this.finish({ status: v.status, code: v.code, info: v.info });
            return;
          }
          if (v.code !== undefined) this.code = v.code;
          this.stepIdx++;
          // A following expect judges the same bytes: no new read needed.
          break;
        }
      }
    }
  }

  private success(): void {
    const step = this.rules.steps[this.current];
    if (step === undefined) {
      this.finish({ status: 'L7OK', code: 0, info: '(tcp-check)' });
      return;
    }
    if (step.action === 'expect') {
      if (this.target.disableOn404 && this.code === 404 && !this.target.serverDown()) {
        this.finish({ status: 'L7OKC', code: 404, info: '' });
        return;
      }
      const info = step.onSuccess
        ? step.onSuccess(this.buf)
        : this.rules.proto === 'tcp'
          ? '(tcp-check)'
          : '';
      const code = step.statusCode?.(this.buf) ?? this.code;
      this.finish({ status: step.okStatus ?? 'L7OK', code, info });
      return;
    }
    if (step.action === 'connect') {
      // over TLS, a completed handshake is a layer-6 success
      const status = this.tlsUsed ? 'L6OK' : 'L4OK';
      this.finish({ status, code: 0, info: step.implicit ? '' : '(tcp-check)' });
      return;
    }
    this.finish({ status: 'L7OK', code: 0, info: '(tcp-check)' });
  }

  // ---- sockets ---------------------------------------------------------------------------

  private connect(step: Extract<Step, { action: 'connect' }>): void {
    this.closeSocket();
    this.buf = EMPTY;
    this.input = false;
    this.eos = false;
    this.errorCode = undefined;
    this.connected = false;
    const host = step.addr ?? this.target.addr;
    const port = step.port ?? this.target.port;
    const proxy = step.sendProxy || (step.useDefaults && this.target.sendProxy && !this.agent);
    // Half-open: a server closing first must not make our next send fail (HAProxy keeps sending).
    const socket = new Socket({ allowHalfOpen: true });
    this.socket = socket;
    const t = this.target;
    this.arm(
      t.timeout !== undefined && t.connectTimeout !== undefined
        ? Math.min(t.inter, t.connectTimeout)
        : t.inter,
    );
    this.waiting = 'connect';
    socket.setNoDelay(true);
    const tls = this.agent ? undefined : t.tls;
    this.tlsUsed = tls !== undefined;
    const ready = (conn: Socket) => {
      if (this.socket !== conn || this.finished) return;
      this.connected = true;
      this.waiting = 'none';
      if (t.timeout !== undefined) this.arm(t.timeout);
      if (proxy) conn.write(proxyLine(socket));
      this.stepIdx++;
      this.advance();
    };
    if (tls === undefined) socket.on('connect', () => ready(socket));
    else {
      // TLS: the handshake follows the TCP connection; the check starts once it is done
      socket.on('connect', () => {
        if (this.socket !== socket || this.finished) return;
        if (proxy) socket.write(proxyLine(socket));
        let secure: Socket;
        try {
          secure = tls.connect(socket);
        } catch (err) {
          this.finish({ status: 'L6RSP', code: 0, info: (err as Error).message });
          return;
        }
        this.socket = secure;
        secure.on('secureConnect', () => {
          if (this.socket !== secure || this.finished) return;
          this.connected = true;
          this.waiting = 'none';
          if (t.timeout !== undefined) this.arm(t.timeout);
          this.stepIdx++;
          this.advance();
        });
        secure.on('error', (err: NodeJS.ErrnoException) => {
          if (this.socket !== secure || this.finished || this.connected) return;
          this.finish({
            status: 'L6RSP',
            code: 0,
            info:
              err.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
                ? 'Server presented an SSL certificate different from the expected one'
                : 'SSL handshake failure',
          });
        });
        this.listen(secure);
      });
    }
    this.listen(socket);
    socket.connect({ host, port });
  }

  /** Reads the check's answer on `socket` (the TCP one, or the TLS one over it). */
  private listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket || this.finished) return;
      if (this.buf.length < BUFSIZE) {
        const room = BUFSIZE - this.buf.length;
        this.buf =
          this.buf.length === 0
            ? chunk.subarray(0, room)
            : Buffer.concat([this.buf, chunk.subarray(0, room)]);
      }
      this.input = true;
      if (this.waiting === 'data') {
        this.waiting = 'none';
        this.advance();
      }
    });
    socket.on('end', () => {
      if (this.socket !== socket || this.finished) return;
      this.eos = true;
      if (this.waiting === 'data') {
        this.waiting = 'none';
        this.advance();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket !== socket || this.finished) return;
      this.errorCode = err.code ?? 'EIO';
      if (!this.connected) {
        // A reset right after the handshake is a socket error for HAProxy, not a failed connect.
        const status = this.errorCode === 'ECONNRESET' ? 'SOCKERR' : 'L4CON';
        this.finish({ status, code: 0, info: errnoText(this.errorCode) + this.stepText() });
        return;
      }
      if (this.waiting === 'data' && this.buf.length > 0) {
        this.waiting = 'none';
        this.advance();
        return;
      }
      this.finish({ status: 'SOCKERR', code: 0, info: errnoText(this.errorCode) + this.stepText() });
    });
  }

  private send(data: Buffer): void {
    // The input buffer is dropped before each send: the next expect reads the answer only.
    this.buf = EMPTY;
    this.input = false;
    if (this.socket && !this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.expired(), Math.max(1, ms));
  }

  private expired(): void {
    this.timer = null;
    if (this.finished) return;
    if (!this.connected) {
      this.finish({ status: 'L4TOUT', code: 0, info: this.stepText() });
      return;
    }
    const step = this.rules.steps[this.current];
    const status = step?.action === 'expect' && step.timeoutStatus ? step.timeoutStatus : 'L7TOUT';
    this.finish({ status, code: 0, info: this.stepText() });
  }

  private finish(outcome: RunOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    this.done(outcome);
  }

  private cleanup(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closeSocket();
  }

  private closeSocket(): void {
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    // HAProxy closes checks with a reset unless `linger`; destroy() is close enough.
    s.removeAllListeners('data');
    s.on('error', () => {});
    s.destroy();
  }

  // ---- judging ---------------------------------------------------------------------------

  private judge(step: ExpectStep): Verdict {
    const buf = this.buf;
    const failed = this.errorCode !== undefined;
    if (this.rules.proto === 'http') return this.judgeHttp(step, buf);
    const lastRead = this.eos || failed || buf.length >= BUFSIZE;
    if (buf.length === 0) {
      if (failed) {
        return {
          kind: 'stop',
          status: 'SOCKERR',
          info: errnoText(this.errorCode) + this.stepText(),
          code: 0,
        };
      }
      const comment = step.comment !== undefined ? ` comment: '${step.comment}'` : '';
      return {
        kind: 'stop',
        status: step.errorStatus ?? 'L7RSP',
        info: `TCPCHK got an empty response at step ${step.index + 1}${comment}`,
        code: 0,
      };
    }
    if (step.custom) return step.custom(buf, lastRead, this.isLastStep());
    const m = step.match;
    if (m === undefined) return { kind: 'continue' };
    if (!lastRead) {
      if (step.bytes && buf.length < step.bytes.length) return { kind: 'wait' };
      if (step.minRecv > 0 && buf.length < step.minRecv) return { kind: 'wait' };
    }
    let match = false;
    if (m.kind === 'string' || m.kind === 'binary')
      match = step.bytes !== undefined && buf.includes(step.bytes);
    else if (m.kind === 'rstring') match = step.regex?.test(cString(buf)) ?? false;
    else if (m.kind === 'rbinary') match = step.regex?.test(buf.toString('hex').toUpperCase()) ?? false;
    if (!match && !lastRead && step.minRecv === -1) return { kind: 'wait' };
    if (match !== step.negate) return { kind: 'continue' };
    return this.refuse(step, buf, step.errorStatus ?? 'L7RSP', match, '');
  }

  private judgeHttp(step: ExpectStep, buf: Buffer): Verdict {
    const ended = this.eos || this.errorCode !== undefined;
    if (buf.length === 0 && this.errorCode !== undefined) {
      return { kind: 'stop', status: 'SOCKERR', info: errnoText(this.errorCode), code: 0 };
    }
    const res = parseHttpResponse(buf, ended);
    const lastRead = ended || buf.length >= BUFSIZE || res.complete;
    if (res.state === 'error') return this.refuse(step, buf, 'L7RSP', false, '');
    if (res.state === 'partial')
      return lastRead ? this.refuse(step, buf, 'L7RSP', false, '') : { kind: 'wait' };
    this.code = res.status;
    // disable-on-404: a running server answering 404 is "stopping", whatever the expect says.
    if (this.target.disableOn404 && res.status === 404 && !this.target.serverDown()) {
      return { kind: 'continue', code: 404 };
    }
    const m = step.match;
    if (m === undefined) return { kind: 'continue', code: res.status };
    let match = false;
    let status: CheckStatus;
    let desc = '';
    switch (m.kind) {
      case 'status':
        match = m.codes.some(([lo, hi]) => res.status >= lo && res.status <= hi);
        status = step.errorStatus ?? 'L7STS';
        if (!step.onError) desc = res.reason;
        break;
      case 'rstatus':
        match = step.regex?.test(String(res.status)) ?? false;
        status = step.errorStatus ?? 'L7STS';
        if (!step.onError) desc = res.reason;
        break;
      case 'hdr':
      case 'fhdr':
        match = headerMatches(step, res.headers);
        status = step.errorStatus ?? 'L7STS';
        if (!step.onError) desc = res.reason;
        break;
      default: {
        const body = res.body;
        status = step.errorStatus ?? 'L7RSP';
        if (body.length === 0) {
          if (!lastRead) return { kind: 'wait' };
          return this.refuse(
            step,
            buf,
            status,
            false,
            step.onError ? '' : 'HTTP content check could not find a response body',
          );
        }
        if (
          !lastRead &&
          ((step.bytes && body.length < step.bytes.length) ||
            (step.minRecv > 0 && body.length < step.minRecv))
        ) {
          return { kind: 'wait' };
        }
        match =
          m.kind === 'string'
            ? step.bytes !== undefined && body.includes(step.bytes)
            : (step.regex?.test(body.toString('latin1')) ?? false);
        if (!match && !lastRead && step.minRecv === -1) return { kind: 'wait' };
        if (!step.onError)
          desc = step.negate ? 'HTTP check matched unwanted content' : 'HTTP content check did not match';
      }
    }
    if (match !== step.negate) return { kind: 'continue', code: res.status };
    return this.refuse(step, buf, status, match, desc);
  }

  /** An expect failed: HAProxy's info text (given text, on-error text, or the generic one) and comment. */
  private refuse(
    step: ExpectStep,
    buf: Buffer,
    status: CheckStatus,
    matched: boolean,
    desc: string,
  ): Verdict {
    let info: string;
    if (desc !== '') info = desc;
    else if (step.onError) info = step.onError(buf);
    else if (this.rules.proto !== 'tcp') info = '';
    else
      info = `${matched ? 'TCPCHK matched unwanted content' : 'TCPCHK did not match content'}${genericTail(step)}`;
    if (step.comment !== undefined) info += ` comment: ${step.comment}`;
    const code = step.statusCode?.(buf) ?? this.code;
    return { kind: 'stop', status, info, code };
  }

  private isLastStep(): boolean {
    return this.stepIdx === this.rules.steps.length - 1;
  }

  /** Where a tcp-check stopped, as HAProxy appends it to connection errors and timeouts. */
  private stepText(): string {
    if (this.rules.proto !== 'tcp') return '';
    const step = this.rules.steps[this.current];
    if (step === undefined) return ' at step 1 of tcp-check';
    if (step.action === 'connect' && step.implicit) return ' at initial connection step of tcp-check';
    let s = ` at step ${step.index + 1} of tcp-check`;
    if (step.action === 'connect')
      s += step.port !== undefined ? ` (connect port ${step.port})` : ' (connect)';
    else if (step.action === 'expect') s += expectWhat(step);
    else s += ' (send)';
    if (step.comment !== undefined) s += ` comment: '${step.comment}'`;
    return s;
  }

  // ---- agent -----------------------------------------------------------------------------

  private agentLine(): void {
    if (!this.input && !this.eos && this.errorCode === undefined) {
      this.waiting = 'data';
      return;
    }
    const buf = this.buf;
    let eol = -1;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c === 0x0a || c === 0x0d || c === 0) {
        eol = i;
        break;
      }
    }
    if (eol >= 0) {
      this.finish({ status: 'CHECKED', code: 0, info: '', line: buf.toString('latin1', 0, eol) });
      return;
    }
    const ended = this.eos || this.errorCode !== undefined || buf.length >= BUFSIZE;
    if (!ended) {
      this.waiting = 'data';
      this.input = false;
      return;
    }
    if (buf.length === 0) {
      if (this.errorCode !== undefined) {
        this.finish({ status: 'SOCKERR', code: 0, info: errnoText(this.errorCode) });
        return;
      }
      const step = this.rules.steps.length;
      this.finish({ status: 'L7RSP', code: 0, info: `TCPCHK got an empty response at step ${step}` });
      return;
    }
    this.finish({ status: 'CHECKED', code: 0, info: 'Ignoring incomplete line from agent' });
  }
}

const EMPTY = Buffer.alloc(0);
function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.toString('latin1', 0, nul < 0 ? buf.length : nul);
}

function genericTail(step: ExpectStep): string {
  const n = step.index + 1;
  const m = step.match;
  if (step.custom || m === undefined) return ` (custom function) at step ${n}`;
  switch (m.kind) {
    case 'string':
      return ` '${m.value}' at step ${n}`;
    case 'binary':
      return ` (binary) at step ${n}`;
    case 'rstring':
      return ` (regex) at step ${n}`;
    case 'rbinary':
      return ` (binary regex) at step ${n}`;
    case 'status':
      return `(status codes) at step ${n}`;
    case 'rstatus':
      return ` (regex) at step ${n}`;
    default:
      return ` (header pattern) at step ${n}`;
  }
}

function expectWhat(step: ExpectStep): string {
  const m = step.match;
  if (step.custom || m === undefined) return ' (expect custom function)';
  switch (m.kind) {
    case 'string':
      return ` (expect string '${m.value}')`;
    case 'binary':
      return ` (expect binary '${Buffer.from(m.hex, 'hex').toString('latin1')}')`;
    case 'rstring':
      return ' (expect regex)';
    case 'rbinary':
      return ' (expect binary regex)';
    case 'status':
      return ' (expect HTTP status codes)';
    case 'rstatus':
      return ' (expect HTTP status regex)';
    default:
      return ' (expect HTTP header pattern)';
  }
}

function headerMatches(step: ExpectStep, headers: readonly (readonly [string, string])[]): boolean {
  const m = step.match;
  if (m === undefined || (m.kind !== 'hdr' && m.kind !== 'fhdr')) return false;
  for (const [name, value] of headers) {
    if (!textMatches(m.nameMethod, name.toLowerCase(), m.name.toLowerCase(), step.regex, name)) continue;
    if (m.value === undefined) return true;
    const values = m.kind === 'hdr' ? value.split(',').map((v) => v.trim()) : [value];
    for (const v of values) if (textMatches(m.valueMethod, v, m.value, step.valueRegex, v)) return true;
  }
  return false;
}

function textMatches(
  method: string,
  subject: string,
  pattern: string,
  rx: RegExp | undefined,
  raw: string,
): boolean {
  switch (method) {
    case 'beg':
      return subject.startsWith(pattern);
    case 'end':
      return subject.endsWith(pattern);
    case 'sub':
      return subject.includes(pattern);
    case 'reg':
      return rx?.test(raw) ?? false;
    default:
      return subject === pattern;
  }
}

/** PROXY protocol v1 with the check connection's own addresses, as HAProxy sends it. */
function proxyLine(socket: Socket): string {
  const src = socket.localAddress ?? '';
  const dst = socket.remoteAddress ?? '';
  const fam = isIPv6(src) ? 'TCP6' : 'TCP4';
  return `PROXY ${fam} ${src} ${dst} ${socket.localPort ?? 0} ${socket.remotePort ?? 0}\r\n`;
}
