import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { collect, firstLine, Harness, nextEvent, resourceCount, waitFor } from './harness.ts';

const h = new Harness();
let baseline: ReturnType<typeof resourceCount>;

beforeAll(() => {
  baseline = resourceCount();
});
afterEach(() => h.cleanup());

describe('TcpStream failures', () => {
  it('closes the client after retries+1 refused connects on every server; hooks balanced', async () => {
    const ports = [await h.refusedPort(), await h.refusedPort()];
    const p = await h.proxy({
      servers: ports.map((port, i) => ({ name: `s${i + 1}`, host: '127.0.0.1', port })),
      retries: 3,
    });
    const c = h.client(p.port);
    const { data } = await collect(c);
    expect(data.length).toBe(0);
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    const st = p.closed[0]!;
    expect(st.attempts).toBe(4);
    expect(st.endReason).toBe('server connection failed');
    expect(st.state).toBe('closed');
    expect(p.opened).toEqual([st]);
    expect(p.frontend.streams.size).toBe(0);
  });

  it('makes exactly one attempt with retries 0', async () => {
    const p = await h.proxy({
      servers: [{ name: 's1', host: '127.0.0.1', port: await h.refusedPort() }],
      retries: 0,
    });
    await collect(h.client(p.port));
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.attempts).toBe(1);
  });

  // HAProxy 2.6 `retries`: "the number of times a connection attempt should be
  // retried on a server"; only with `option redispatch` may "the last retry be
  // performed on another server". Without redispatch (the only mode this package
  // has), every attempt goes to the server first chosen.
  it('retries the same server when its connect is refused (no option redispatch)', async () => {
    const refused = await h.refusedPort();
    const b = await h.backend('B', (s) => s.end('B\n'));
    const c3 = await h.backend('C', (s) => s.end('C\n'));
    const p = await h.proxy({
      servers: [{ name: 'A', host: '127.0.0.1', port: refused }, b.target, c3.target],
      retries: 2,
    });
    const c = h.client(p.port);
    const { data } = await collect(c);
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    const st = p.closed[0]!;
    expect({
      reply: data.toString(),
      acceptedByB: b.accepted.length,
      acceptedByC: c3.accepted.length,
      target: st.target?.name,
      attempts: st.attempts,
      endReason: st.endReason,
    }).toEqual({
      reply: '',
      acceptedByB: 0,
      acceptedByC: 0,
      target: 'A',
      attempts: 3,
      endReason: 'server connection failed',
    });
  });

  it('closes the client at once, with no hooks, when the backend has no server', async () => {
    const p = await h.proxy({ servers: [] });
    const { data } = await collect(h.client(p.port));
    expect(data.length).toBe(0);
    await waitFor(() => p.frontend.totalStreams === 1, 'the connection to be counted');
    expect(p.opened).toHaveLength(0);
    expect(p.closed).toHaveLength(0);
    expect(p.frontend.streams.size).toBe(0);
  });

  it('closes the client when the server resets mid-transfer; hooks balanced', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const srv = await h.backend('rst', (s) => {
      s.write(chunk);
    });
    const p = await h.proxy({ servers: [srv.target] });
    const c = h.client(p.port);
    const done = collect(c);
    await nextEvent(c, 'data');
    await waitFor(() => srv.accepted.length === 1, 'the server to accept');
    srv.accepted[0]!.resetAndDestroy();
    const { data } = await done;
    expect(data.length).toBeLessThanOrEqual(chunk.length);
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.endReason).toMatch(/^server/);
    expect(p.opened).toHaveLength(1);
    expect(p.frontend.streams.size).toBe(0);
    expect(p.accepted[0]!.destroyed).toBe(true);
  });

  it('closes the server side when the client resets; hooks balanced', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [echo.target] });
    const c = h.client(p.port);
    c.write('hi\n');
    expect(await firstLine(c)).toBe('hi');
    const serverClosed = nextEvent(echo.accepted[0]!, 'close');
    c.resetAndDestroy();
    await serverClosed;
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.closed[0]!.endReason).toBe('client error');
    expect(p.frontend.streams.size).toBe(0);
  });

  it('forwards what a server sends before closing early, then ends the client', async () => {
    const srv = await h.backend('early', (s) => s.end('bye\n'), { allowHalfOpen: false });
    const p = await h.proxy({ servers: [srv.target] });
    const c = h.client(p.port);
    const { data, error } = await collect(c);
    expect(error).toBeUndefined();
    expect(data.toString()).toBe('bye\n');
    await waitFor(() => p.closed.length === 1, 'the stream to close');
    expect(p.frontend.streams.size).toBe(0);
  });

  it('asks the backend for a server once per connection (no retry involved)', async () => {
    const echo = await h.backend('echo', (s) => s.pipe(s));
    const p = await h.proxy({ servers: [echo.target] });
    const pick = vi.spyOn(p.backend, 'pickServer');
    const c = h.client(p.port);
    c.write('x\n');
    expect(await firstLine(c)).toBe('x');
    expect(pick).toHaveBeenCalledTimes(1);
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
