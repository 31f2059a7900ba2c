// The two ends of every case: a raw recording backend (a node:net server that records
// every byte each connection received and answers with a scripted response) and a raw
// client (a node:net socket sending exact bytes and collecting everything until close or a
// bounded idle time). Both live only in this directory's tests.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { finalResponses, type Message, type ParseResult, parseRequests, parseResponses } from './wire.ts';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- the recording backend ---------------------------------------------------------------

/**
 * One step of a scripted answer:
 * - a string (latin1) or Buffer: written as is;
 * - `{ delay }`: wait that long;
 * - END: half-close (FIN) after what was written; DESTROY: reset the connection at once
 *   (RST, pending output discarded); CLOSE: end and destroy;
 * - ECHO: from now on, every byte received is written back (a tunnel after a 101);
 * - HANG: stop here, never answer (the connection stays open).
 */
export type BackendStep = string | Buffer | { readonly delay: number } | { readonly op: BackendOp };
export type BackendOp = 'end' | 'destroy' | 'close' | 'echo' | 'hang';

/** Control steps of backend scripts. */
export const END = { op: 'end' } as const;
export const DESTROY = { op: 'destroy' } as const;
export const CLOSE = { op: 'close' } as const;
export const ECHO = { op: 'echo' } as const;
export const HANG = { op: 'hang' } as const;

export interface BackendRequestContext {
  /** The framed request (complete). */
  readonly request: Message;
  /** 0-based index of the request on its connection. */
  readonly index: number;
  readonly conn: BackendConnection;
}

/** What the backend does; the default answers every request `200` with a small body. */
export interface Script {
  /** Steps run as soon as the connection is accepted (before anything is read). */
  readonly onConnect?: readonly BackendStep[];
  /** Steps run when a request head arrives (before its body), e.g. `100 Continue`. */
  readonly onHead?: (head: Message, index: number) => readonly BackendStep[];
  /** Steps answering one complete request. */
  readonly onRequest?: (ctx: BackendRequestContext) => readonly BackendStep[];
}

export interface BackendConnection {
  readonly id: number;
  readonly socket: Socket;
  /** Every byte received, in order. */
  data: Buffer;
  /** The peer (the proxy) sent FIN. */
  peerEnded: boolean;
  /** The socket is closed (either side). */
  closed: boolean;
  /** Closed because the script ended or destroyed it (not the proxy). */
  closedByScript: boolean;
  /** After an 'echo' step: the connection is a tunnel. */
  tunnel: boolean;
  /** Index of the request after which the connection became a tunnel (-1: none). */
  tunnelAt: number;
  /** Number of requests whose head reached the backend. */
  heads: number;
  readonly script: Script;
}

/** Counts every request answered by default scripts (all backends of this process). */
let served = 0;

/**
 * The default answer: `200 OK`, `Content-Type: text/plain`, a Content-Length body
 * `hello <index on the connection>` (head only for HEAD requests).
 */
export const defaultScript: Script = {
  onRequest: ({ index, request }) => {
    served += 1;
    const r = okResponse(`hello ${index}\n`);
    return [request.startLine.startsWith('HEAD ') ? r.slice(0, r.indexOf('\r\n\r\n') + 4) : r];
  },
};

export function defaultServed(): number {
  return served;
}

/** `HTTP/1.1 200 OK` with a Content-Length body and optional extra header lines. */
export function okResponse(body: string, extra: readonly string[] = []): string {
  return [
    'HTTP/1.1 200 OK',
    'Content-Type: text/plain',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ].join('\r\n');
}

export interface RecordingBackend {
  readonly port: number;
  readonly connections: BackendConnection[];
  /** The script used for connections accepted from now on. */
  script: Script;
  /** Connections accepted since `mark` (an index into `connections`). */
  since(mark: number): BackendConnection[];
  /** Resolves once every connection since `mark` is closed, or after `ms`. */
  settle(mark: number, ms: number): Promise<void>;
  /** Destroys every open connection. */
  dropAll(): void;
  /**
   * Closes (FIN) every open connection since `mark`, waits up to `ms` for the peer to close
   * them too, then destroys what is left.
   */
  retire(mark: number, ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Adjacent data steps (strings, Buffers) become one write: only an explicit pause separates
 * writes, so that how the peer happens to read them does not depend on scheduling.
 */
export function coalesce<T>(steps: readonly (T | string | Buffer)[]): (T | Buffer)[] {
  const out: (T | Buffer)[] = [];
  let pending: Buffer[] = [];
  const flush = () => {
    if (pending.length > 0) out.push(Buffer.concat(pending));
    pending = [];
  };
  for (const step of steps) {
    if (typeof step === 'string') pending.push(Buffer.from(step, 'latin1'));
    else if (Buffer.isBuffer(step)) pending.push(step);
    else {
      flush();
      out.push(step);
    }
  }
  flush();
  return out;
}

function writeStep(socket: Socket, step: string | Buffer): void {
  if (socket.destroyed || socket.writableEnded) return;
  socket.write(typeof step === 'string' ? Buffer.from(step, 'latin1') : step);
}

/** Starts a recording backend on 127.0.0.1 (a kernel-chosen port). */
export async function startRecordingBackend(): Promise<RecordingBackend> {
  const connections: BackendConnection[] = [];
  const sockets = new Set<Socket>();
  const state: { script: Script } = { script: defaultScript };
  let nextId = 0;

  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const conn: BackendConnection = {
      id: nextId++,
      socket,
      data: Buffer.alloc(0),
      peerEnded: false,
      closed: false,
      closedByScript: false,
      tunnel: false,
      tunnelAt: -1,
      heads: 0,
      script: state.script,
    };
    connections.push(conn);
    let answered = 0; // complete requests handed to the script
    let pendingUpgrade = -1; // an upgrade request whose answer is still being written
    let queue: Promise<void> = Promise.resolve();
    let stopped = false;

    const run = (steps: readonly BackendStep[], index: number): Promise<void> => {
      queue = queue.then(async () => {
        for (const step of coalesce(steps)) {
          if (stopped || socket.destroyed) return;
          if (typeof step === 'string' || Buffer.isBuffer(step)) writeStep(socket, step);
          else if ('delay' in step) await sleep(step.delay);
          else if (step.op === 'end') {
            conn.closedByScript = true;
            socket.end();
          } else if (step.op === 'destroy') {
            conn.closedByScript = true;
            socket.resetAndDestroy();
          } else if (step.op === 'close') {
            conn.closedByScript = true;
            socket.end(() => socket.destroy());
          } else if (step.op === 'echo') {
            conn.tunnel = true;
            conn.tunnelAt = index;
            // Bytes that arrived after the upgrade request are echoed at once.
            const parsed = parseRequests(conn.data, { tunnelAfter: (_m, i) => i === index });
            if (parsed.rest.length > 0) writeStep(socket, parsed.rest);
          } else {
            stopped = true;
            return;
          }
        }
      });
      return queue;
    };

    const pump = () => {
      if (conn.tunnel || stopped) return;
      // Stop framing after an upgrade request not answered yet: what follows may be tunnel data.
      const parsed: ParseResult = parseRequests(conn.data, {
        tunnelAfter: (m, i) => isUpgrade(m) && (i === pendingUpgrade || i >= answered),
      });
      while (conn.heads < parsed.messages.length) {
        const head = parsed.messages[conn.heads]!;
        const idx = conn.heads;
        conn.heads += 1;
        if (conn.script.onHead) void run(conn.script.onHead(head, idx), idx);
      }
      while (
        pendingUpgrade === -1 &&
        answered < parsed.messages.length &&
        parsed.messages[answered]!.complete
      ) {
        const request = parsed.messages[answered]!;
        const index = answered;
        answered += 1;
        const done = run(conn.script.onRequest ? conn.script.onRequest({ request, index, conn }) : [], index);
        if (isUpgrade(request)) {
          pendingUpgrade = index;
          void done.then(() => {
            pendingUpgrade = -1;
            pump();
          });
        }
      }
    };

    if (conn.script.onConnect) void run(conn.script.onConnect, -1);

    socket.on('data', (chunk: Buffer) => {
      conn.data = Buffer.concat([conn.data, chunk]);
      if (conn.tunnel) {
        writeStep(socket, chunk);
        return;
      }
      pump();
    });
    socket.on('end', () => {
      conn.peerEnded = true;
      // The proxy half-closed: finish what the script writes, then close our side too
      // (a server reading until close answers and closes).
      void queue.then(() => {
        if (!socket.destroyed && !stopped) socket.end();
      });
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      conn.closed = true;
      sockets.delete(socket);
    });
  };

  const server: Server = createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    port,
    connections,
    get script() {
      return state.script;
    },
    set script(s: Script) {
      state.script = s;
    },
    since: (mark) => connections.slice(mark),
    async settle(mark, ms) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && connections.slice(mark).some((c) => !c.closed)) await sleep(5);
    },
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    async retire(mark, ms) {
      const open = connections.slice(mark).filter((c) => !c.closed);
      if (open.length === 0) return;
      for (const c of open) c.socket.end();
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && open.some((c) => !c.closed)) await sleep(2);
      for (const c of open) if (!c.closed) c.socket.destroy();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

function isUpgrade(m: Message): boolean {
  return m.headers.some(([n]) => n.toLowerCase() === 'upgrade') || /^CONNECT /.test(m.startLine);
}

// ---- the raw client ------------------------------------------------------------------------

/**
 * One step of a client script: bytes to write (a string is latin1), a pause, a wait until
 * the received bytes (latin1) contain a text or match a pattern, a half-close, or a reset.
 */
export type ClientStep =
  | string
  | Buffer
  | { readonly delay: number }
  | { readonly waitFor: string | RegExp; readonly timeoutMs?: number }
  | { readonly waitResponses: number; readonly timeoutMs?: number }
  | { readonly op: 'end' | 'destroy' };

/** Client control steps: half-close (FIN) and reset (RST). */
export const CLIENT_END = { op: 'end' } as const;
export const CLIENT_RESET = { op: 'destroy' } as const;

export interface ClientOptions {
  /** Stop once this many complete final responses arrived (and the settle time passed). Default 1. */
  readonly responses?: number;
  /** Methods of the requests in order (for HEAD framing). */
  readonly methods?: readonly string[];
  /** After the expected responses: how long to wait for the proxy to close (default 20 ms). */
  readonly settleMs?: number;
  /** Stop when nothing arrived for this long after the last step (default 600 ms). */
  readonly idleMs?: number;
  /** Hard bound on the whole exchange (default 8 s). */
  readonly maxMs?: number;
  /** Also count the bytes after a 101/CONNECT as done when this many tunnel bytes arrived. */
  readonly tunnelBytes?: number;
}

export interface ClientResult {
  readonly data: Buffer;
  /** The proxy closed the connection (FIN or RST) before the client stopped. */
  readonly closed: boolean;
  /** The close was a reset (ECONNRESET / EPIPE). */
  readonly reset: boolean;
  /** Milliseconds from connect to the close (or to the stop). */
  readonly elapsedMs: number;
  /** Milliseconds from connect to the first byte received (-1: none). */
  readonly firstByteMs: number;
  /** Why the client stopped: 'closed', 'responses', 'idle', 'max', 'error'. */
  readonly stop: string;
  /** A waitFor step that timed out, if any. */
  readonly stepError: string;
}

/** How long a client waits for the close a `connection: close` response announced. */
const ANNOUNCED_CLOSE_MS = 1000;

/** Connects to 127.0.0.1:port, runs `steps`, collects every byte until a stop condition. */
export function exchange(
  port: number,
  steps: readonly ClientStep[],
  opts: ClientOptions = {},
): Promise<ClientResult> {
  const expectResponses = opts.responses ?? 1;
  const settleMs = opts.settleMs ?? 20;
  const idleMs = opts.idleMs ?? 600;
  const maxMs = opts.maxMs ?? 8000;
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const chunks: Buffer[] = [];
    let data = Buffer.alloc(0);
    let closed = false;
    let reset = false;
    let firstByteMs = -1;
    let stepsDone = false;
    let stepError = '';
    let finished = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let settleTimer: NodeJS.Timeout | undefined;
    let waiter: (() => void) | null = null;
    const maxTimer = setTimeout(() => finish('max'), maxMs);

    const finish = (stop: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(maxTimer);
      clearTimeout(idleTimer);
      clearTimeout(settleTimer);
      data = Buffer.concat(chunks);
      socket.destroy();
      resolve({
        data,
        closed,
        reset,
        elapsedMs: Date.now() - started,
        firstByteMs,
        stop,
        stepError,
      });
    };
    const armIdle = () => {
      clearTimeout(idleTimer);
      if (stepsDone) idleTimer = setTimeout(() => finish('idle'), idleMs);
    };
    const enough = (): boolean => {
      const buf = Buffer.concat(chunks);
      const parsed = parseResponses(buf, opts.methods ? { methods: opts.methods } : {});
      if (opts.tunnelBytes !== undefined) {
        const last = parsed.messages[parsed.messages.length - 1];
        return last?.framing === 'tunnel' && parsed.rest.length >= opts.tunnelBytes;
      }
      return finalResponses(parsed) >= expectResponses;
    };
    const check = () => {
      if (!stepsDone || finished || settleTimer) return;
      if (expectResponses > 0 && enough()) settleTimer = setTimeout(() => finish('responses'), settleFor());
    };
    // a response that announces `connection: close` is followed by the proxy's close: wait for
    // it long enough that a busy machine does not turn the close into "still open"
    const settleFor = (): number => {
      const parsed = parseResponses(Buffer.concat(chunks), opts.methods ? { methods: opts.methods } : {});
      const last = parsed.messages[parsed.messages.length - 1];
      const announced = last?.headers.some(
        ([name, value]) => name.toLowerCase() === 'connection' && /\bclose\b/i.test(value),
      );
      return announced ? Math.max(settleMs, ANNOUNCED_CLOSE_MS) : settleMs;
    };

    socket.on('data', (c: Buffer) => {
      if (firstByteMs === -1) firstByteMs = Date.now() - started;
      chunks.push(c);
      armIdle();
      waiter?.();
      check();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
    });
    socket.on('end', () => {
      closed = true;
      finish('closed');
    });
    socket.on('close', () => {
      closed = true;
      finish('closed');
    });
    socket.once('connect', async () => {
      for (const step of coalesce(steps)) {
        if (finished || socket.destroyed) break;
        if (typeof step === 'string') socket.write(Buffer.from(step, 'latin1'));
        else if (Buffer.isBuffer(step)) socket.write(step);
        else if ('op' in step) {
          if (step.op === 'end') socket.end();
          else socket.resetAndDestroy();
        } else if ('delay' in step) await sleep(step.delay);
        else {
          const want = 'waitFor' in step ? step.waitFor : step.waitResponses;
          const ok = await new Promise<boolean>((res) => {
            const test = () => {
              if (typeof want === 'number') {
                const parsed = parseResponses(
                  Buffer.concat(chunks),
                  opts.methods ? { methods: opts.methods } : {},
                );
                return finalResponses(parsed) >= want;
              }
              const text = Buffer.concat(chunks).toString('latin1');
              return typeof want === 'string' ? text.includes(want) : want.test(text);
            };
            if (test()) return res(true);
            const t = setTimeout(() => {
              waiter = null;
              res(false);
            }, step.timeoutMs ?? 2000);
            waiter = () => {
              if (test() || finished) {
                clearTimeout(t);
                waiter = null;
                res(!finished || test());
              }
            };
          });
          if (!ok) {
            stepError = `waitFor ${String(want)} timed out`;
            break;
          }
        }
      }
      stepsDone = true;
      armIdle();
      check();
    });
  });
}
