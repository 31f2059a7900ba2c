// Test helpers: scripted TCP servers on 127.0.0.1, a spec builder, a recorder of what the
// checker reports. Servers are registered with @hap/testkit and closed after each test.
import { createServer, type Server, type Socket } from 'node:net';
import { freePort, startRawBackend } from '@hap/testkit';
import type { CheckerHooks, CheckResult, CheckSpec, LogLine, StateChange } from '../src/index.ts';

/** What a scripted server does with one connection. */
export type Reply =
  /** Answer these bytes to the first data, then close. */
  | { readonly answer: string | Buffer; readonly keepOpen?: boolean }
  /** Say this first (banner), then answer each read with the next entry of `next`. */
  | { readonly banner: string | Buffer; readonly next?: readonly (string | Buffer)[] }
  /** Accept and never answer. */
  | 'hang'
  /** Accept and close at once. */
  | 'close'
  /** Read and close without answering. */
  | 'read-close'
  /** Accept and reset. */
  | 'reset';

export interface Scripted {
  readonly port: number;
  /** Bytes received on each connection, in order. */
  readonly received: Buffer[];
  close(): Promise<void>;
}

/** A server that plays `script[i]` on its i-th connection (the last entry repeats). */
export async function scripted(script: readonly Reply[] | ((i: number) => Reply)): Promise<Scripted> {
  const received: Buffer[] = [];
  const pick =
    typeof script === 'function' ? script : (i: number) => script[Math.min(i, script.length - 1)] ?? 'close';
  let n = 0;
  const backend = await startRawBackend((socket: Socket) => {
    const i = n++;
    received[i] = Buffer.alloc(0);
    const r = pick(i);
    socket.on('data', (d: Buffer) => {
      received[i] = Buffer.concat([received[i] ?? Buffer.alloc(0), d]);
    });
    play(socket, r);
  });
  return { port: backend.port, received, close: () => backend.close() };
}

function play(socket: Socket, r: Reply): void {
  if (r === 'hang') return;
  if (r === 'close') {
    socket.end();
    return;
  }
  if (r === 'reset') {
    socket.resetAndDestroy();
    return;
  }
  if (r === 'read-close') {
    socket.once('data', () => socket.end());
    return;
  }
  if ('answer' in r) {
    socket.once('data', () => {
      if (r.keepOpen) socket.write(r.answer);
      else socket.end(r.answer);
    });
    return;
  }
  socket.write(r.banner);
  const rest = [...(r.next ?? [])];
  socket.on('data', () => {
    const next = rest.shift();
    if (next === undefined) socket.end();
    else socket.write(next);
  });
}

/** A port nothing listens on. */
export function deadPort(): Promise<number> {
  return freePort();
}

export function spec(over: Partial<CheckSpec> & { port: number }): CheckSpec {
  return {
    backend: 'be',
    server: 's1',
    addr: '127.0.0.1',
    weight: 1,
    backup: false,
    check: true,
    inter: 100,
    fastinter: 0,
    downinter: 0,
    rise: 2,
    fall: 2,
    kind: { type: 'tcp' },
    sendProxy: false,
    disabled: false,
    slowstart: 0,
    logHealthChecks: false,
    disableOn404: false,
    sendState: false,
    errorLimit: 10,
    onError: 'fail-check',
    ...over,
  };
}

export interface Recorder {
  readonly hooks: CheckerHooks;
  readonly logs: LogLine[];
  readonly changes: StateChange[];
  readonly results: CheckResult[];
  /** Log texts with `check duration: Nms` replaced by `check duration: _ms`. */
  texts(): string[];
  waitFor(what: () => boolean, timeoutMs?: number): Promise<void>;
}

export function record(extra: Partial<CheckerHooks> = {}): Recorder {
  const logs: LogLine[] = [];
  const changes: StateChange[] = [];
  const results: CheckResult[] = [];
  const hooks: CheckerHooks = {
    onStateChange: (c) => changes.push(c),
    onCheckResult: (r) => results.push(r),
    onLog: (l) => logs.push(l),
    ...extra,
  };
  return {
    hooks,
    logs,
    changes,
    results,
    texts: () => logs.map((l) => anonymise(l.text)),
    async waitFor(what, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (!what()) {
        if (Date.now() > end) {
          throw new Error(
            `timed out; logs:\n${logs.map((l) => l.text).join('\n')}\nresults: ${results.map((r) => r.status).join(',')}`,
          );
        }
        await sleep(5);
      }
    },
  };
}

export function anonymise(text: string): string {
  return text.replace(/check duration: \d+ms/g, 'check duration: _ms');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const HTTP_OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
export const http = (status: string, body = '', headers = ''): string =>
  `HTTP/1.1 ${status}\r\nContent-Length: ${body.length}\r\n${headers}\r\n${body}`;

const listeners = new Set<Server>();

/** Listens on a given port (to bring a dead server back); accepted sockets are closed at once. */
export function listenOn(
  port: number,
  onSocket: (s: Socket) => void = (s) => s.end(),
): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  listeners.add(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () =>
      resolve({
        close: () =>
          new Promise<void>((r) => {
            listeners.delete(server);
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}

/** Closes what listenOn() opened and the test forgot. */
export async function closeListeners(): Promise<void> {
  await Promise.all(
    [...listeners].map(
      (s) =>
        new Promise<void>((r) => {
          listeners.delete(s);
          s.close(() => r());
        }),
    ),
  );
}
