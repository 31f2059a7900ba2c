import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, firstLine, Harness, nextEvent, resourceCount, waitFor } from './harness.ts';

// Timeouts are short (200–300 ms) and only ever awaited with a bounded wait for
// the close; nothing asserts how fast it happened.
const h = new Harness();
let baseline: ReturnType<typeof resourceCount>;

beforeAll(() => {
  baseline = resourceCount();
});
afterEach(() => h.cleanup());

describe('TcpStream timeouts', () => {
  it('timeout client: closes an idle client and its server connection', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [echo.target], client: 200 });
    const c = h.client(p.port);
    const { data } = await collect(c);
    expect(data.length).toBe(0);
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.endReason).toBe('client timeout');
    await waitFor(() => echo.accepted[0]?.destroyed === true, 'the server connection to close');
    expect(p.frontend.streams.size).toBe(0);
  });

  it('timeout client-fin: a client that half-closed is cut after client-fin, not timeout client', async () => {
    // the server keeps its side open and silent after the client's FIN
    const quiet = await h.backend('quiet', (s) => s.resume());
    const p = await h.proxy({ servers: [quiet.target], client: 5000, clientFin: 200 });
    const c = h.client(p.port, { allowHalfOpen: true });
    await nextEvent(c, 'connect');
    await waitFor(() => p.opened.length === 1 && quiet.accepted.length === 1, 'the stream to be established');
    const t0 = Date.now();
    c.end('bye\n');
    await waitFor(() => p.closed.length === 1, 'the half-closed stream to be cut', 3000);
    expect(p.closed[0]!.endReason).toBe('client timeout');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('server maxconn: a connection beyond it waits in the queue, then is served; timeout queue cuts a waiter', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [{ ...echo.target, maxconn: 1 }], queue: 300 });
    const a = h.client(p.port);
    a.write('one\n');
    expect(await firstLine(a)).toBe('one');
    const b = h.client(p.port);
    b.write('two\n');
    await waitFor(() => p.backend.queue.length === 1, 'the second connection to be queued');
    expect(echo.accepted).toHaveLength(1);
    a.destroy();
    // the slot is released: the queued connection goes to the server with its bytes
    expect(await firstLine(b)).toBe('two');
    expect(echo.accepted).toHaveLength(2);
    // a third one while b holds the slot: cut at timeout queue
    const c = h.client(p.port);
    const { data } = await collect(c);
    expect(data.length).toBe(0);
    await waitFor(() => p.closed.some((st) => st.endReason === 'queue timeout'), 'the queue timeout');
    expect(p.backend.queue.length).toBe(0);
    expect(p.backend.servers[0]!.served).toBe(1);
  });

  it('timeout server: closes when the server accepts but never answers', async () => {
    const mute = await h.backend('mute', (s) => s.resume());
    const p = await h.proxy({ servers: [mute.target], server: 200 });
    const c = h.client(p.port);
    c.write('hello?\n');
    const { data } = await collect(c);
    expect(data.length).toBe(0);
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.endReason).toBe('server timeout');
    expect(p.opened).toHaveLength(1);
  });

  it('timeout connect: gives up on a server that never completes the handshake, after retries', async () => {
    const port = await h.blackholePort();
    const p = await h.proxy({
      servers: [{ name: 'hole', host: '127.0.0.1', port }],
      connect: 200,
      retries: 1,
    });
    const c = h.client(p.port);
    const { data } = await collect(c);
    expect(data.length).toBe(0);
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    const st = p.closed[0]!;
    expect(st.endReason).toBe('connect timeout');
    expect(st.attempts).toBe(2);
    expect(st.server?.destroyed).toBe(true);
  });

  // A FIN from the client is only a half-close in TCP (HAProxy goes on connecting
  // unless `option abortonclose`); a reset is an abort.
  it('a client reset while the server connect is pending closes the attempt', async () => {
    const port = await h.blackholePort();
    const p = await h.proxy({ servers: [{ name: 'hole', host: '127.0.0.1', port }], connect: 60_000 });
    const c = h.client(p.port);
    await nextEvent(c, 'connect');
    await waitFor(() => p.opened.length === 1, 'the stream to open');
    expect(p.opened[0]!.state).toBe('connecting');
    c.resetAndDestroy();
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.endReason).toMatch(/^client (error|closed)$/);
    expect(p.closed[0]!.server?.destroyed).toBe(true);
  });

  it('timeout tunnel replaces client and server timeouts once established', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [echo.target], client: 200, server: 200, tunnel: 60_000 });
    const c = h.client(p.port);
    c.write('one\n');
    expect(await firstLine(c)).toBe('one');
    const st = p.opened[0]!;
    expect(st.state).toBe('established');
    // established streams keep one inactivity deadline on the frontend's wheel, not socket timers
    expect([st.clientMs, st.serverMs]).toEqual([60_000, 60_000]);
    expect(st.client.timeout ?? 0).toBe(0);
    // idle for three client/server timeouts: the tunnel timeout holds the stream open
    await new Promise((r) => setTimeout(r, 600));
    expect(st.state).toBe('established');
    c.write('two\n');
    expect(await firstLine(c)).toBe('two');
  });

  it('timeout tunnel closes an idle tunnel when client and server timeouts are unset', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [echo.target], tunnel: 200 });
    const c = h.client(p.port);
    c.write('x\n');
    expect(await firstLine(c)).toBe('x');
    await collect(c);
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.endReason).toMatch(/timeout$/);
  });

  it('uses the client timeout (not the tunnel one) while the server connect is pending', async () => {
    const port = await h.blackholePort();
    const p = await h.proxy({
      servers: [{ name: 'hole', host: '127.0.0.1', port }],
      client: 200,
      tunnel: 60_000,
      connect: 60_000,
    });
    await collect(h.client(p.port));
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.endReason).toBe('client timeout');
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
