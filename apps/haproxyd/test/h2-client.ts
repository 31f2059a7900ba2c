// A node:http2 client request for the HTTP/2 tests (h2.test.ts, h2-server.test.ts): the
// answer's status, its fields without pseudo-headers, its body and its trailers.
import type * as http2 from 'node:http2';

export interface H2Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  trailers?: Record<string, string | string[]>;
}

/** One request on an HTTP/2 session; `body` ends the stream after it (none: at once). */
export function h2Request(
  s: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const req = s.request(headers, { endStream: body === undefined });
    const parts: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let trailers: Record<string, string | string[]> | undefined;
    req.on('response', (h) => {
      head = h;
    });
    req.on('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = {};
      for (const [k, v] of Object.entries(t)) if (v !== undefined) trailers[k] = v;
    });
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(head)) if (!k.startsWith(':') && v !== undefined) out[k] = v;
      resolve({
        status: Number(head[':status']),
        headers: out,
        body: Buffer.concat(parts),
        ...(trailers !== undefined ? { trailers } : {}),
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}
