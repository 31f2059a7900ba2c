// A small HTTP client over undici with bounded timeouts and no shared connection pool.
import { connect } from 'node:net';
import { Agent, type Dispatcher, request as undiciRequest } from 'undici';

export interface RequestOptions {
  /** Default GET. */
  readonly method?: Dispatcher.HttpMethod;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: string | Uint8Array;
  /** Bound on the whole exchange, body included (default 10 s). */
  readonly timeoutMs?: number;
  /** Use this dispatcher instead of a fresh one-request Agent (e.g. to test keep-alive). */
  readonly dispatcher?: Dispatcher;
}

export interface Response {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * Sends one request and reads the whole body as UTF-8. Without `dispatcher`, a fresh Agent
 * is used and destroyed afterwards, so no connection outlives the call.
 */
export async function request(url: string | URL, opts: RequestOptions = {}): Promise<Response> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const own =
    opts.dispatcher === undefined
      ? new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      : null;
  const dispatcher = opts.dispatcher ?? own;
  try {
    const res = await undiciRequest(url, {
      method: opts.method ?? 'GET',
      ...(opts.headers ? { headers: { ...opts.headers } } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      ...(dispatcher ? { dispatcher } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body };
  } finally {
    if (own) await own.destroy().catch(() => {});
  }
}

export interface OneShotOptions {
  readonly path?: string;
  readonly host?: string;
  /** Local address to connect from (127.0.0.x: a distinct client for `src`-keyed rules). */
  readonly from?: string;
  readonly timeoutMs?: number;
}

export interface OneShotAnswer {
  /** The status code, 0 when nothing came. */
  readonly status: number;
  /** The status line, '' when nothing came. */
  readonly statusLine: string;
  /** Everything after the head, as received. */
  readonly body: string;
}

/**
 * One `GET` with `Connection: close` on its own raw connection (no client library in the
 * way): what came back once the peer closed. For balancing, persistence and counters tests
 * that must control the client address and see every byte.
 */
export function oneShot(port: number, o: OneShotOptions = {}): Promise<OneShotAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', ...(o.from !== undefined ? { localAddress: o.from } : {}) });
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(
        new Error(
          `no answer to ${o.path ?? '/'} within ${o.timeoutMs ?? 5000} ms; got ${JSON.stringify(got)}`,
        ),
      );
    }, o.timeoutMs ?? 5000);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('close', () => {
      clearTimeout(t);
      const eol = got.indexOf('\r\n');
      const end = got.indexOf('\r\n\r\n');
      resolve({
        status: Number(got.slice(9, 12)) || 0,
        statusLine: eol < 0 ? '' : got.slice(0, eol),
        body: end < 0 ? '' : got.slice(end + 4),
      });
    });
    s.write(`GET ${o.path ?? '/'} HTTP/1.1\r\nHost: ${o.host ?? 'a'}\r\nConnection: close\r\n\r\n`);
  });
}
