// End-to-end: the running process's life — soft stop, hard stop, hard-stop-after,
// pause/resume, Ctrl-C in the foreground, `bind fd@`. Each behaviour is checked on the
// real HAProxy 2.6 too, with the same configuration and traffic: haproxyd must match it.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  type Binary,
  binaryPath,
  freePort,
  type ProxyHandle,
  requireHaproxy,
  startProxy,
  startRawBackend,
  startTcpEchoBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  closeServer,
  download,
  exchange,
  groupMembers,
  isGone,
  killAllRuns,
  noteDir,
  plainListen,
  run,
  settleLeftovers,
  sha256,
  tcpConfig,
  tryConnect,
  waitFor,
} from './helpers.ts';

useTestkit();
afterEach(killAllRuns);
afterAll(async () => {
  expect(await settleLeftovers()).toEqual([]);
});
beforeAll(() => void requireHaproxy());

const BINARIES: readonly Binary[] = ['haproxyd', 'haproxy'];
const PAYLOAD = randomBytes(2 * 1024 * 1024);

/** Writes `payload` in `chunks` pieces, one every `everyMs`, then ends (stops quietly if the peer goes). */
function dribble(socket: Socket, payload: Buffer, chunks: number, everyMs: number): void {
  socket.on('error', () => {});
  const size = Math.ceil(payload.length / chunks);
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) {
      clearInterval(timer);
      return;
    }
    socket.write(payload.subarray(at, at + size));
    at += size;
    if (at >= payload.length) {
      clearInterval(timer);
      socket.end();
    }
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** A backend sending PAYLOAD slowly (chunks × everyMs), a proxy in front of it, and a download started. */
async function slowTransfer(binary: Binary, chunks: number, everyMs: number, global: string[] = []) {
  const be = await startRawBackend((s) => dribble(s, PAYLOAD, chunks, everyMs));
  const port = await freePort();
  const cfg = writeConfig(tcpConfig({ bind: `127.0.0.1:${port}`, server: be.addr, global }));
  noteDir(tempDir());
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  const dl = download(port);
  await dl.firstByte;
  return { proxy, port, dl };
}

async function exitOf(p: ProxyHandle) {
  const st = await p.waitForExit(15_000);
  return { code: st.code, signal: st.signal };
}

describe.each(BINARIES)('%s: stopping', (binary) => {
  it('SIGUSR1 (soft stop): new connections refused at once, the transfer in flight ends byte-exact, then exit 0', async () => {
    // 2 MB over about 1.3 s
    const { proxy, port, dl } = await slowTransfer(binary, 32, 40);
    expect(proxy.signal('SIGUSR1')).toBe(true);
    await waitFor(async () => (await tryConnect(port)) === 'ECONNREFUSED', 'the port to refuse connections');
    // refused while the transfer is still under way, and the process still serving it
    expect(dl.received()).toBeLessThan(PAYLOAD.length);
    expect(proxy.exitStatus()).toBeNull();
    const { data, error } = await dl.done;
    expect(error).toBeUndefined();
    expect(data.length).toBe(PAYLOAD.length);
    expect(sha256(data)).toBe(sha256(PAYLOAD));
    expect(await exitOf(proxy)).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM (hard stop): the transfer in flight is cut, the process dies by SIGTERM as HAProxy does', async () => {
    const { proxy, dl } = await slowTransfer(binary, 32, 40);
    expect(proxy.signal('SIGTERM')).toBe(true);
    const { data } = await dl.done;
    expect(data.length).toBeLessThan(PAYLOAD.length);
    expect(await exitOf(proxy)).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('hard-stop-after 500ms bounds a soft stop: a longer transfer is cut, then exit 0', async () => {
    // 2 MB over about 6 s: far longer than 500 ms
    const { proxy, port, dl } = await slowTransfer(binary, 100, 60, ['hard-stop-after 500ms']);
    expect(proxy.signal('SIGUSR1')).toBe(true);
    await waitFor(async () => (await tryConnect(port)) === 'ECONNREFUSED', 'the port to refuse connections');
    const { data } = await dl.done;
    expect(data.length).toBeLessThan(PAYLOAD.length);
    expect(await exitOf(proxy)).toEqual({ code: 0, signal: null });
  });

  it('SIGINT in the foreground (-db) ends it as HAProxy does (by SIGINT); no child outlives it; stdio closes', async () => {
    const be = await startTcpEchoBackend();
    const port = await freePort();
    const cfg = writeConfig(tcpConfig({ bind: `127.0.0.1:${port}`, server: be.addr }));
    noteDir(tempDir());
    const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
    expect((await exchange(port, 'ping')).toString()).toBe('ping');
    expect(proxy.signal('SIGINT')).toBe(true);
    expect(await exitOf(proxy)).toEqual({ code: null, signal: 'SIGINT' });
    expect(proxy.process.stdout?.closed).toBe(true);
    expect(proxy.process.stderr?.closed).toBe(true);
    await waitFor(() => groupMembers(proxy.pid).length === 0, 'the process group to be empty', 5000);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
  });
});

describe.each(BINARIES)('%s: pause and resume', (binary) => {
  it('SIGTTOU releases the port (a plain exclusive bind succeeds), SIGTTIN takes it back and traffic flows', async () => {
    const be = await startTcpEchoBackend();
    const port = await freePort();
    const cfg = writeConfig(tcpConfig({ bind: `127.0.0.1:${port}`, server: be.addr }));
    noteDir(tempDir());
    const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
    expect((await exchange(port, 'before')).toString()).toBe('before');

    expect(proxy.signal('SIGTTOU')).toBe(true);
    let other: Server | undefined;
    const seen: string[] = [];
    await waitFor(
      async () => {
        const r = await plainListen(port);
        if ('server' in r) other = r.server;
        else seen.push(r.error);
        return other !== undefined;
      },
      `a plain bind on the paused port (errors so far: ${seen.slice(-1).join()})`,
    );
    await closeServer(other!);

    expect(proxy.signal('SIGTTIN')).toBe(true);
    await waitFor(async () => (await tryConnect(port)) === 'connected', 'the port to accept again');
    expect((await exchange(port, 'after')).toString()).toBe('after');
    expect(proxy.exitStatus()).toBeNull();
    await proxy.stop();
  });
});

describe.each(BINARIES)('%s: bind fd@', (binary) => {
  it('adopts a listening socket the parent created and passed as fd 3 (bind "fd@<FD from the environment>")', async () => {
    const be = await startTcpEchoBackend();
    const server = createServer();
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (server.address() as { port: number }).port;
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    expect(fd).toBeGreaterThan(2);
    // `${FD}` is expanded by the program itself, from its environment
    const cfg = writeConfig(tcpConfig({ bind: `"fd@$\{FD}"`, server: be.addr }));
    noteDir(tempDir());
    const proxy = run(binaryPath(binary), ['-db', '-f', cfg], { env: { FD: '3' }, extraStdio: [fd] });
    // the child has its own copy now: only it may accept from this socket
    await closeServer(server);
    const reply = await Promise.race([
      exchange(port, 'through fd@'),
      proxy.closed.then((st) => {
        throw new Error(`${binary} exited (${JSON.stringify(st)}): ${proxy.stderr()}`);
      }),
    ]);
    expect(reply.toString()).toBe('through fd@');
    expect(be.requests.length).toBe(1);
    process.kill(-proxy.pid, 'SIGUSR1');
    expect(await proxy.closed).toEqual({ code: 0, signal: null });
    expect(isGone(proxy.pid)).toBe(true);
  });
});
