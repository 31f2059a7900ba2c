import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  firstLine,
  Harness,
  nextEvent,
  resourceCount,
  sha256,
  type TestProxy,
  waitFor,
} from './harness.ts';

const MB = 1024 * 1024;
const h = new Harness();
let baseline: ReturnType<typeof resourceCount>;

beforeAll(() => {
  baseline = resourceCount();
});
afterEach(() => h.cleanup());

/** Largest amount the proxy holds in memory for one stream, sampled while `during` runs. */
async function sampleBuffered(p: TestProxy, during: Promise<unknown>): Promise<number> {
  let max = 0;
  const timer = setInterval(() => {
    for (const st of p.frontend.streams) {
      const held =
        st.client.writableLength +
        st.client.readableLength +
        (st.server ? st.server.writableLength + st.server.readableLength : 0);
      if (held > max) max = held;
    }
  }, 1);
  try {
    await during;
  } finally {
    clearInterval(timer);
  }
  return max;
}

/** A client that reads slowly: one chunk, then a pause. */
function slowReader(s: net.Socket, ms = 10_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => {
    chunks.push(d);
    s.pause();
    setTimeout(() => s.resume(), 1);
  });
  return nextEvent(s, 'end', ms).then(() => Buffer.concat(chunks));
}

describe('TcpFrontend forwarding (mode tcp)', () => {
  it('forwards 8 MB byte-exact through an echo server, both directions at once', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [echo.target] });
    const payload = randomBytes(8 * MB);
    const c = h.client(p.port, { allowHalfOpen: true });
    const got = collect(c);
    c.end(payload);
    const { data, error } = await got;
    expect(error).toBeUndefined();
    expect(data.length).toBe(payload.length);
    expect(sha256(data)).toBe(sha256(payload));
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.bytesIn).toBe(payload.length);
    expect(p.closed[0]!.bytesOut).toBe(payload.length);
  });

  it('keeps memory bounded when the client reads slowly (server → client back-pressure)', async () => {
    const payload = randomBytes(8 * MB);
    const big = await h.backend('big', (s) => {
      s.resume();
      s.end(payload);
    });
    const p = await h.proxy({ servers: [big.target] });
    const c = h.client(p.port);
    const received = slowReader(c);
    const held = await sampleBuffered(p, received);
    const data = await received;
    expect(sha256(data)).toBe(sha256(payload));
    // pipe() pauses the server side: a few socket chunks, never the 8 MB
    expect(held).toBeGreaterThan(0); // the sampler saw the stream
    expect(held).toBeLessThan(1 * MB);
  });

  it('keeps memory bounded when the server reads slowly (client → server back-pressure)', async () => {
    const payload = randomBytes(8 * MB);
    let digest = '';
    const slow = await h.backend('slow', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        s.pause();
        setTimeout(() => s.resume(), 1);
      });
      s.on('end', () => {
        digest = sha256(Buffer.concat(chunks));
        s.end(`${digest}\n`);
      });
    });
    const p = await h.proxy({ servers: [slow.target] });
    const c = h.client(p.port, { allowHalfOpen: true });
    const reply = collect(c);
    c.end(payload);
    const held = await sampleBuffered(p, reply);
    const { data } = await reply;
    expect(data.toString()).toBe(`${sha256(payload)}\n`);
    expect(held).toBeLessThan(1 * MB);
  });

  it('passes a half-close: the client ends, then receives the whole reply', async () => {
    const reply = randomBytes(1 * MB);
    const request = randomBytes(200 * 1024);
    let serverSawEnd = false;
    let serverGot = Buffer.alloc(0);
    const srv = await h.backend('halfclose', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => {
        serverSawEnd = true;
        serverGot = Buffer.concat(chunks);
        s.end(reply); // answers only after the client's FIN
      });
    });
    const p = await h.proxy({ servers: [srv.target] });
    const c = h.client(p.port, { allowHalfOpen: true });
    const got = collect(c);
    c.end(request);
    const { data, error } = await got;
    expect(error).toBeUndefined();
    expect(serverSawEnd).toBe(true);
    expect(sha256(serverGot)).toBe(sha256(request));
    expect(sha256(data)).toBe(sha256(reply));
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.opened).toHaveLength(1);
    expect(p.closed[0]!.state).toBe('closed');
    expect(p.closed[0]!.endReason).toMatch(/closed$/);
  });

  it('delivers a request and FIN sent before the server connection is up', async () => {
    const srv = await h.backend('late-reader', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('end', () => s.end(`got ${Buffer.concat(chunks).toString()}`));
    });
    const p = await h.proxy({ servers: [srv.target] });
    const c = h.client(p.port, { allowHalfOpen: true });
    c.end('request\n'); // queued before the client is even connected
    const { data } = await collect(c);
    expect(data.toString()).toBe('got request\n');
  });

  it('passes the FIN of a client that connects and closes at once, sending nothing (a probe)', async () => {
    let ended!: () => void;
    const serverSawFin = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const srv = await h.backend('probe', (s) => {
      s.resume();
      s.on('end', () => {
        ended();
        s.end();
      });
    });
    const p = await h.proxy({ servers: [srv.target] });
    const c = h.client(p.port);
    c.once('connect', () => c.end());
    await serverSawFin;
    // and the stream is gone (not left to 'timeout client')
    await waitFor(() => p.frontend.streams.size === 0, 'the stream ends');
  });

  it('passes a half-close from the server: the client keeps sending after the server FIN', async () => {
    let heard: string | undefined;
    const srv = await h.backend('early-fin', (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.write('hello\n');
      s.end(); // server done talking, still listening
      s.on('end', () => {
        heard = Buffer.concat(chunks).toString();
      });
    });
    const p = await h.proxy({ servers: [srv.target] });
    const c = h.client(p.port, { allowHalfOpen: true });
    const got = collect(c);
    expect(await firstLine(c)).toBe('hello');
    await nextEvent(c, 'end');
    c.end('still here\n');
    await got;
    await waitFor(() => heard !== undefined, 'the server to get the late bytes');
    expect(heard).toBe('still here\n');
  });

  it('spreads 6 connections over 3 servers in turn (round-robin)', async () => {
    const names = ['A', 'B', 'C'];
    const backends = await Promise.all(names.map((n) => h.backend(n, (s) => s.end(`${n}\n`))));
    const p = await h.proxy({ servers: backends.map((b) => b.target) });
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = h.client(p.port);
      seen.push(await firstLine(c));
      await nextEvent(c, 'close');
    }
    expect(seen).toEqual(['A', 'B', 'C', 'A', 'B', 'C']);
    await waitFor(() => p.closed.length === 6, 'six streams to close');
    expect(p.opened.map((st) => st.target?.name)).toEqual(seen);
    expect(p.frontend.totalStreams).toBe(6);
  });

  it('destroyAll() ends every stream and both sides of each', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [echo.target] });
    const clients = [h.client(p.port), h.client(p.port), h.client(p.port)];
    for (const [i, c] of clients.entries()) {
      c.write(`ping ${i}\n`);
      expect(await firstLine(c)).toBe(`ping ${i}`);
    }
    expect(p.frontend.streams.size).toBe(3);
    const closes = clients.map((c) => {
      c.on('error', () => {});
      return nextEvent(c, 'close');
    });
    const serverCloses = echo.accepted.map((s) => nextEvent(s, 'close'));
    p.frontend.destroyAll();
    expect(p.frontend.streams.size).toBe(0);
    await Promise.all([...closes, ...serverCloses]);
    expect(p.closed.map((st) => st.endReason)).toEqual(['hard stop', 'hard stop', 'hard stop']);
    expect(p.opened).toHaveLength(3);
    p.frontend.destroyAll(); // idempotent
    expect(p.closed).toHaveLength(3);
  });

  it('releases every socket it opened (handles and fds back to the baseline)', async () => {
    await h.cleanup();
    await waitFor(
      () => {
        const now = resourceCount();
        return now.tcp <= baseline.tcp && now.fds <= baseline.fds;
      },
      `handles/fds back to ${JSON.stringify(baseline)} (now ${JSON.stringify(resourceCount())})`,
    );
  });
});

afterAll(() => h.cleanup());
