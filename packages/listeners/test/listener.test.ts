import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@hap/config';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bindAll,
  ConnectionLimit,
  createListeners,
  enableAll,
  formatBindAlert,
  Listener,
  ListenerError,
  pauseAll,
  resumeAll,
  unbindAll,
} from '../src/index.ts';
import {
  acceptLog,
  clients,
  closeServer,
  fetchText,
  freePort,
  freePortRange,
  ipv6Available,
  plainServer,
  until,
} from './helpers.ts';

const log = acceptLog();
const conns = clients();
let listeners: Listener[] = [];
const servers: net.Server[] = [];
const dirs: string[] = [];

afterEach(async () => {
  unbindAll(listeners);
  listeners = [];
  conns.closeAll();
  log.cleanup();
  for (const s of servers.splice(0)) await closeServer(s);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function track(...ls: Listener[]): Listener[] {
  listeners.push(...ls);
  return ls;
}

function bindModel(text: string) {
  const result = parseConfig(`frontend www\n  ${text}\n`, 'test.cfg');
  const bind = result.model.proxies[0]?.binds[0];
  if (bind === undefined) throw new Error(`no bind parsed from '${text}'`);
  return bind;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hap-listeners-'));
  dirs.push(dir);
  return dir;
}

describe('bind, enable, accept', () => {
  it('binds (nothing handed over), then enable hands over, held connections first', async () => {
    const [l] = track(
      new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: log.onAccept }),
    );
    expect(l!.state).toBe('new');
    expect(await l!.bind()).toBeNull();
    expect(l!.state).toBe('bound');
    expect(l!.port).toBeGreaterThan(0);
    expect(l!.key).toBe(`127.0.0.1:${l!.port}`);
    expect(l!.fd).toBeGreaterThan(2);

    const early = fetchText({ host: '127.0.0.1', port: l!.port });
    await until(() => l!.heldConns === 1, 'the early connection to be held');
    expect(log.accepted).toHaveLength(0);

    l!.enable();
    expect(l!.state).toBe('ready');
    expect(await early).toBe(`hello from 127.0.0.1:${l!.port}\n`);
    expect(await fetchText({ host: '127.0.0.1', port: l!.port })).toBe(`hello from 127.0.0.1:${l!.port}\n`);
    expect(l!.totalConns).toBe(2);
    expect(log.accepted.every((a) => a.listener === l)).toBe(true);
  });

  it('a port range gives one listener per port', async () => {
    const base = await freePortRange(3);
    const ls = track(
      ...createListeners(bindModel(`bind 127.0.0.1:${base}-${base + 2}`), { onAccept: log.onAccept }),
    );
    expect(ls.map((l) => l.key)).toEqual([0, 1, 2].map((i) => `127.0.0.1:${base + i}`));
    const result = await bindAll(ls);
    expect(result).toEqual({ ok: 3, failed: [] });
    enableAll(ls);
    for (const l of ls) {
      expect(await fetchText({ host: '127.0.0.1', port: l.port })).toBe(`hello from ${l.key}\n`);
    }
  });

  it('binds ipv6 with v6only', async (ctx) => {
    if (!(await ipv6Available())) ctx.skip();
    const port = await freePort();
    const [l] = track(...createListeners(bindModel(`bind [::1]:${port} v6only`), { onAccept: log.onAccept }));
    expect(l!.ipv6Only).toBe(true);
    expect(l!.key).toBe(`[::1]:${port}`);
    expect(await l!.bind()).toBeNull();
    l!.enable();
    expect(await fetchText({ host: '::1', port })).toBe(`hello from [::1]:${port}\n`);
  });

  it('unbind while the bind is under way drops the stale bind', async () => {
    const [l] = track(
      new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: log.onAccept }),
    );
    const pending = l!.bind();
    l!.unbind();
    const err = await pending;
    expect(err?.code).toBe('HAP_ERR_LISTENER_STOPPED');
    expect(l!.state).toBe('stopped');
    expect(l!.fd).toBe(-1);
    expect((await l!.bind())?.code).toBe('HAP_ERR_LISTENER_STOPPED');
  });
});

describe('UNIX and abstract sockets', () => {
  it('binds with mode 0600 and an owner, replacing a stale socket file', async () => {
    const dir = tempDir();
    const path = join(dir, 'admin.sock');
    // A stale socket: a socket file whose server is gone.
    const stale = await plainServer({ path: `${path}.old` });
    if (stale instanceof Error) throw stale;
    renameSync(`${path}.old`, path);
    await closeServer(stale);
    expect(statSync(path).isSocket()).toBe(true);

    const root = process.getuid?.() === 0;
    const ls = track(
      ...createListeners(bindModel(`bind unix@${path} mode 600${root ? ' user nobody gid 65534' : ''}`), {
        onAccept: log.onAccept,
      }),
    );
    expect(await bindAll(ls)).toEqual({ ok: 1, failed: [] });
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    if (root) {
      expect(st.uid).toBe(65534);
      expect(st.gid).toBe(65534);
    }
    expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
    enableAll(ls);
    expect(await fetchText({ path })).toBe(`hello from unix@${path}\n`);
  });

  it('refuses a path taken by something that is not a socket', async () => {
    const path = join(tempDir(), 'not-a-socket');
    writeFileSync(path, 'keep me');
    const [l] = track(new Listener({ family: 'unix', host: path, port: 0 }, { onAccept: log.onAccept }));
    const err = await l!.bind();
    expect(err).toBeInstanceOf(ListenerError);
    expect(err?.code).toBe('HAP_ERR_UNIX_PATH');
    expect(err?.retryable).toBe(false);
    expect(err?.message).toContain(`[${path}]`);
    expect(statSync(path).isFile()).toBe(true);
  });

  it('reports an unknown user', async () => {
    const path = join(tempDir(), 's.sock');
    const [l] = track(
      new Listener(
        { family: 'unix', host: path, port: 0 },
        { onAccept: log.onAccept, user: 'no-such-user-hap' },
      ),
    );
    const err = await l!.bind();
    expect(err?.code).toBe('HAP_ERR_UNIX_OWNERSHIP');
    expect(err?.message).toBe(
      `cannot change UNIX socket ownership (unknown user 'no-such-user-hap') [${path}]`,
    );
    expect(existsSync(path)).toBe(false);
  });

  it('binds an abstract socket', async (ctx) => {
    if (process.platform !== 'linux') ctx.skip();
    const name = `hap-listeners-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const ls = track(...createListeners(bindModel(`bind abns@${name}`), { onAccept: log.onAccept }));
    expect(await bindAll(ls)).toEqual({ ok: 1, failed: [] });
    enableAll(ls);
    expect(await fetchText({ path: `\0${name}` })).toBe(`hello from abns@${name}\n`);
    // A second bind of the same name is "in use", and retryable as in HAProxy.
    const [other] = track(new Listener({ family: 'abns', host: name, port: 0 }, { onAccept: log.onAccept }));
    const err = await other!.bind();
    expect(err?.code).toBe('HAP_ERR_BIND_ADDRINUSE');
    expect(err?.retryable).toBe(true);
  });
});

describe('pause and resume', () => {
  it('pause releases the port; resume takes it back and accepts again', async () => {
    const [l] = track(
      new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: log.onAccept }),
    );
    expect(await l!.bind()).toBeNull();
    l!.enable();
    const port = l!.port;
    expect(await fetchText({ host: '127.0.0.1', port })).toContain('hello');

    expect(pauseAll([l!])).toEqual({ ok: 1, failed: [] });
    expect(l!.state).toBe('paused');
    expect(l!.fd).toBe(-1);
    // Another process (here a server without SO_REUSEPORT) can take the port.
    const other = await plainServer({ host: '127.0.0.1', port });
    expect(other).toBeInstanceOf(net.Server);
    // ... and while it has it, resume fails with "in use" and the listener stays paused.
    const failed = await resumeAll([l!]);
    expect(failed.failed[0]?.error.code).toBe('HAP_ERR_BIND_ADDRINUSE');
    expect(l!.state).toBe('paused');
    await closeServer(other as net.Server);

    expect(await resumeAll([l!])).toEqual({ ok: 1, failed: [] });
    expect(l!.state).toBe('ready');
    expect(l!.port).toBe(port);
    expect(await fetchText({ host: '127.0.0.1', port })).toBe(`hello from 127.0.0.1:${port}\n`);
    expect(l!.totalConns).toBe(2);
  });

  it('a UNIX path listener keeps its socket while paused', async () => {
    const path = join(tempDir(), 'p.sock');
    const [l] = track(new Listener({ family: 'unix', host: path, port: 0 }, { onAccept: log.onAccept }));
    expect(await l!.bind()).toBeNull();
    l!.enable();
    l!.pause();
    expect(l!.state).toBe('paused');
    const reply = fetchText({ path });
    await until(() => l!.heldConns === 1, 'the connection to be held');
    expect(log.accepted).toHaveLength(0);
    expect(await l!.resume()).toBeNull();
    expect(await reply).toBe(`hello from unix@${path}\n`);
  });
});

describe('maxconn', () => {
  it('stops accepting at maxconn and accepts the waiting connection when one closes', async () => {
    const [l] = track(
      new Listener(
        { family: 'ipv4', host: '127.0.0.1', port: 0 },
        { onAccept: log.onAcceptKeep, maxconn: 2 },
      ),
    );
    expect(await l!.bind()).toBeNull();
    l!.enable();
    const target = { host: '127.0.0.1', port: l!.port };
    await conns.open(target);
    await conns.open(target);
    await until(() => log.accepted.length === 2, 'two connections accepted');
    expect(l!.state).toBe('full');
    expect(l!.currentConns).toBe(2);

    await conns.open(target);
    await until(() => l!.heldConns === 1, 'the third connection to wait');
    expect(log.accepted).toHaveLength(2);
    expect(l!.state).toBe('full');

    log.accepted[0]!.socket.destroy();
    await until(() => log.accepted.length === 3, 'the third connection accepted');
    expect(l!.heldConns).toBe(0);
    expect(l!.currentConns).toBe(2);
    expect(l!.totalConns).toBe(3);
    expect(l!.state).toBe('full');

    log.accepted[1]!.socket.destroy();
    await until(() => l!.state === 'ready', 'a free slot');
    expect(l!.currentConns).toBe(1);
  });

  it('limits changed at run time: raised, held connections go in; lowered, new ones wait', async () => {
    const limit = new ConnectionLimit(1);
    const [a] = track(
      new Listener(
        { family: 'ipv4', host: '127.0.0.1', port: 0 },
        { onAccept: log.onAcceptKeep, limit, maxconn: 1 },
      ),
    );
    expect(await a!.bind()).toBeNull();
    a!.enable();
    await conns.open({ host: '127.0.0.1', port: a!.port });
    await until(() => log.accepted.length === 1, 'the first connection');
    await conns.open({ host: '127.0.0.1', port: a!.port });
    await until(() => a!.heldConns === 1, 'the second to wait');
    // the global limit alone is not enough: the listener's own still holds it
    limit.setMax(3);
    expect(a!.state).toBe('full');
    expect(log.accepted).toHaveLength(1);
    a!.setMaxconn(3);
    await until(() => log.accepted.length === 2, 'the held one accepted');
    expect(a!.state).toBe('ready');
    // lowered under what is open: full, a new one waits
    limit.setMax(2);
    expect(a!.state).toBe('full');
    await conns.open({ host: '127.0.0.1', port: a!.port });
    await until(() => a!.heldConns === 1, 'the third to wait');
    expect(log.accepted).toHaveLength(2);
    log.accepted[0]!.socket.destroy();
    await until(() => log.accepted.length === 3, 'the third accepted once one closed');
  });

  it('a shared limit (global maxconn) holds every listener once the process has that many', async () => {
    const limit = new ConnectionLimit(2);
    const [a] = track(
      new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: log.onAcceptKeep, limit }),
    );
    const [b] = track(
      new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: log.onAcceptKeep, limit }),
    );
    expect(await a!.bind()).toBeNull();
    expect(await b!.bind()).toBeNull();
    a!.enable();
    b!.enable();
    await conns.open({ host: '127.0.0.1', port: a!.port });
    await conns.open({ host: '127.0.0.1', port: b!.port });
    await until(() => log.accepted.length === 2, 'one connection on each listener');
    expect(limit.current).toBe(2);
    expect([a!.state, b!.state]).toEqual(['full', 'full']);
    // a third connection, on either listener, waits
    await conns.open({ host: '127.0.0.1', port: a!.port });
    await until(() => a!.heldConns === 1, 'the third connection to wait');
    expect(log.accepted).toHaveLength(2);
    // a connection of the other listener closes: the limit has room, the waiting one goes in
    log.accepted.find((x) => x.listener === b)!.socket.destroy();
    await until(() => log.accepted.length === 3, 'the third connection accepted');
    expect(limit.current).toBe(2);
    expect(a!.heldConns).toBe(0);
  });

  it('the waiting connection keeps the bytes its client sent', async () => {
    const received: string[] = [];
    const [l] = track(
      new Listener(
        { family: 'ipv4', host: '127.0.0.1', port: 0 },
        {
          maxconn: 1,
          onAccept: (socket, listener) => {
            log.onAcceptKeep(socket, listener);
            socket.setEncoding('utf8');
            socket.on('data', (chunk: string) => received.push(chunk));
          },
        },
      ),
    );
    expect(await l!.bind()).toBeNull();
    l!.enable();
    const target = { host: '127.0.0.1', port: l!.port };
    await conns.open(target);
    await until(() => log.accepted.length === 1, 'first connection');
    const second = await conns.open(target);
    second.write('early bytes');
    await until(() => l!.heldConns === 1, 'second connection to wait');
    log.accepted[0]!.socket.destroy();
    await until(() => received.join('') === 'early bytes', 'the early bytes');
  });
});

describe('errors and SO_REUSEPORT', () => {
  it('reports "address in use" with its code, errno and HAProxy wording', async () => {
    const port = await freePort();
    const blocker = await plainServer({ host: '127.0.0.1', port });
    if (blocker instanceof Error) throw blocker;
    servers.push(blocker);
    const ls = track(
      ...createListeners(bindModel(`bind 127.0.0.1:${port}`), {
        onAccept: log.onAccept,
        proxy: 'frontend www',
      }),
    );
    const result = await bindAll(ls);
    expect(result.ok).toBe(0);
    const failure = result.failed[0]!;
    expect(failure.listener).toBe(ls[0]);
    expect(failure.error.code).toBe('HAP_ERR_BIND_ADDRINUSE');
    expect(failure.error.errno).toBe('EADDRINUSE');
    expect(failure.error.retryable).toBe(true);
    expect(failure.error.message).toBe(`cannot bind socket (Address already in use) for [127.0.0.1:${port}]`);
    expect(formatBindAlert(failure)).toBe(
      `Binding [test.cfg:2] for frontend www: cannot bind socket (Address already in use) for [127.0.0.1:${port}]`,
    );
    expect(ls[0]!.state).toBe('new');
  });

  it('reports an address that is not local', async () => {
    const [l] = track(
      new Listener({ family: 'ipv4', host: '192.0.2.1', port: 0 }, { onAccept: log.onAccept }),
    );
    const err = await l!.bind();
    expect(err?.code).toBe('HAP_ERR_BIND');
    expect(err?.errno).toBe('EADDRNOTAVAIL');
    expect(err?.message).toBe('cannot bind socket (Cannot assign requested address) for [192.0.2.1:0]');
  });

  it('two listeners share a port with SO_REUSEPORT (the default), not with noreuseport', async () => {
    const port = await freePort();
    const shared = track(
      ...createListeners(bindModel(`bind 127.0.0.1:${port}`), { onAccept: log.onAccept }),
      ...createListeners(bindModel(`bind 127.0.0.1:${port}`), { onAccept: log.onAccept }),
    );
    expect(shared.every((l) => l.reusePort)).toBe(true);
    expect(await bindAll(shared)).toEqual({ ok: 2, failed: [] });
    unbindAll(shared);

    // HAProxy 2.6 has no per-bind switch, only the global one; a listener can still be built without.
    const first = [
      new Listener({ family: 'ipv4', host: '127.0.0.1', port }, { onAccept: log.onAccept, reusePort: false }),
    ];
    const second = createListeners(bindModel(`bind 127.0.0.1:${port}`), {
      onAccept: log.onAccept,
      noReusePort: true, // global noreuseport / -dR
    });
    track(...first, ...second);
    expect(first[0]!.reusePort).toBe(false);
    expect(second[0]!.reusePort).toBe(false);
    expect(await bindAll(first)).toEqual({ ok: 1, failed: [] });
    const result = await bindAll(second);
    expect(result.failed.map((f) => f.error.code)).toEqual(['HAP_ERR_BIND_ADDRINUSE']);
  });
});

describe('createListeners', () => {
  it('reads the bind options', () => {
    const [l] = createListeners(bindModel('bind 127.0.0.1:8080 maxconn 10 backlog 64 name web id 7 v4v6'), {
      onAccept: log.onAccept,
    });
    expect(l).toMatchObject({
      maxconn: 10,
      backlog: 64,
      name: 'web',
      id: 7,
      reusePort: true,
      family: 'ipv4',
    });
    const [d] = createListeners(bindModel('bind :8080'), { onAccept: log.onAccept, defaultMaxconn: 5 });
    expect(d).toMatchObject({ key: '0.0.0.0:8080', maxconn: 5, backlog: 5 });
    const [u] = createListeners(bindModel('bind /run/x.sock mode 660 uid 10 group adm'), {
      onAccept: log.onAccept,
    });
    expect(u).toMatchObject({ family: 'unix', key: 'unix@/run/x.sock', mode: 0o660, user: 10, group: 'adm' });
    const [f] = createListeners(bindModel('bind fd@4'), { onAccept: log.onAccept });
    expect(f).toMatchObject({ family: 'fd', key: 'fd@4', inheritedFd: 4 });
  });

  it('refuses a mode that is not octal', () => {
    const bind = bindModel('bind /run/x.sock');
    bind.options['mode'] = '9x';
    expect(() => createListeners(bind, { onAccept: log.onAccept })).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_LISTENER_OPTION' }),
    );
  });
});
