// Helpers of the differential test: HAProxy's runtime API over its unix socket, and a raw
// HTTP/1.1 client that sends requests one after the other on one connection from a
// chosen loopback address, recording what went over the wire.
import { connect, type Socket } from 'node:net';

/** One command on HAProxy's stats socket (words escaped as the CLI expects); the whole answer. */
export function cli(socketPath: string, words: readonly string[]): Promise<string> {
  const line = words.map((w) => w.replace(/[\\ \t;]/g, (c) => `\\${c}`)).join(' ');
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    sock.on('connect', () => sock.write(Buffer.from(`${line}\n`, 'latin1')));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.on('error', reject);
    sock.setTimeout(10_000, () => sock.destroy(new Error(`cli '${line}' timed out`)));
  });
}

export interface Exchange {
  readonly path: string;
  readonly status: number;
  readonly body: string;
  /** Bytes of the request and of the response on the wire. */
  readonly reqBytes: number;
  readonly resBytes: number;
  /** Header lines of each (start line and empty line excluded). */
  readonly reqHeaders: number;
  readonly resHeaders: number;
}

/** An open keep-alive connection; `send` waits for the whole response. */
export class RawClient {
  private readonly sock: Socket;
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly closed: Promise<void>;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => {
      sock.on('close', () => {
        this.ended = true;
        this.waiter?.();
        resolve();
      });
    });
    sock.on('error', () => {});
  }

  static open(port: number, from: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, localAddress: from });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
      s.setTimeout(10_000, () => s.destroy(new Error('connection timed out')));
    });
  }

  /** Sends `GET <path>` (with `connection: close` when `last`) and reads the response. */
  async send(path: string, last: boolean): Promise<Exchange> {
    const headers = ['host: x', ...(last ? ['connection: close'] : [])];
    const req = `GET ${path} HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
    this.sock.write(req);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString('latin1');
        const lines = head.split('\r\n');
        const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        const total = end + 4 + len;
        if (this.buf.length >= total) {
          const body = this.buf.subarray(end + 4, total).toString('latin1');
          this.buf = this.buf.subarray(total);
          return {
            path,
            status: Number(lines[0]?.split(' ')[1]),
            body,
            reqBytes: req.length,
            resBytes: total,
            reqHeaders: headers.length,
            resHeaders: lines.length - 1,
          };
        }
      }
      if (this.ended) throw new Error(`connection closed before the response to ${path}`);
      await new Promise<void>((r) => {
        this.waiter = r;
      });
      this.waiter = null;
    }
  }

  /** Waits for the server to close (after `connection: close`), or closes. */
  async close(): Promise<void> {
    if (!this.ended) this.sock.end();
    await this.closed;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Masks what legitimately differs: the entry address and the expiry countdown. */
export function normalize(text: string): string {
  return text.replace(/^0x[0-9a-f]+:/gm, '0x?:').replace(/ exp=\d+ /g, ' exp=? ');
}
