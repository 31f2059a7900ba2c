// A small HTTP client over undici with bounded timeouts and no shared connection pool.
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
