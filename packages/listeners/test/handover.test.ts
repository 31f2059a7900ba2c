import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  adoptFds,
  adoptHeldConnections,
  formatListenFds,
  heldConnectionFds,
  LISTEN_FDS_ENV,
  Listener,
  listeningFds,
  parseListenFds,
  prepareHandover,
  unbindAll,
} from '../src/index.ts';
import { acceptLog, fetchText, until } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));
const log = acceptLog();
let listeners: Listener[] = [];
let child: ChildProcess | null = null;

afterEach(async () => {
  unbindAll(listeners);
  listeners = [];
  log.cleanup();
  if (child !== null && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  child = null;
});

function firstLine(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(text.slice(0, nl));
    });
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before answering: ${text}`)));
  });
}

async function boundListener(): Promise<Listener> {
  const l = new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: log.onAccept });
  listeners.push(l);
  expect(await l.bind()).toBeNull();
  return l;
}

describe('handing listening sockets to a child process', () => {
  it('the child adopts the socket by its address (HAPROXYD_LISTEN_FDS) and serves it', async () => {
    const l = await boundListener();
    expect(listeningFds([l])).toEqual(new Map([[l.key, l.fd]]));
    const handover = prepareHandover([l]);
    expect(handover.env).toBe(`${l.key}=3`);
    child = spawn(process.execPath, [CHILD, 'env'], {
      stdio: ['ignore', 'pipe', 'inherit', ...handover.stdio],
      env: { ...process.env, [LISTEN_FDS_ENV]: handover.env },
    });
    // The child has its copy now; the parent lets go of its own (it would take its share
    // of the connections otherwise), as a daemon's parent does by exiting.
    unbindAll([l]);
    expect(await firstLine(child)).toBe(`ready ${l.key}`);
    expect(await fetchText({ host: '127.0.0.1', port: l.port })).toBe(`child ${child.pid}\n`);
    expect(log.accepted).toHaveLength(0);
  });

  it('connections the parent accepted and held are served by the child, not reset', async () => {
    // a bound listener that does not accept yet holds what the kernel hands it (as a
    // daemon's parent between binding and starting its worker)
    const l = await boundListener();
    const early = fetchText({ host: '127.0.0.1', port: l.port });
    await until(() => l.heldConns === 1, 'the parent holds the connection');
    const held = heldConnectionFds([l]);
    expect(held).toHaveLength(1);
    expect(held[0]![0]).toBe(l.key);
    const handover = prepareHandover([l]);
    child = spawn(process.execPath, [CHILD, 'env'], {
      stdio: ['ignore', 'pipe', 'inherit', ...handover.stdio, held[0]![1]],
      env: { ...process.env, [LISTEN_FDS_ENV]: handover.env, HELD_FDS: `${l.key}=4` },
    });
    // the parent's copies go: the listening socket without taking its queue, the held
    // connection without a reset since the child has it too
    unbindAll([l], true);
    expect(await firstLine(child)).toBe(`ready ${l.key}`);
    expect(await early).toBe(`child ${child.pid}\n`);
    expect(log.accepted).toHaveLength(0);
  });

  it('the child adopts the socket as `bind fd@3`', async () => {
    const l = await boundListener();
    child = spawn(process.execPath, [CHILD, 'fd', '3'], { stdio: ['ignore', 'pipe', 'inherit', l.fd] });
    unbindAll([l]);
    expect(await firstLine(child)).toBe('ready fd@3');
    expect(await fetchText({ host: '127.0.0.1', port: l.port })).toBe(`child ${child.pid}\n`);
  });

  it('an fd@ that is not a listening socket is reported', async () => {
    child = spawn(process.execPath, [CHILD, 'fd', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    const line = await firstLine(child).catch((e: Error) => e.message);
    expect(line).toMatch(/^error HAP_ERR_FD_ADOPT cannot adopt file descriptor \(.*\) \[fd 0\]$/);
    await exited;
  });
});

describe('HAPROXYD_LISTEN_FDS format', () => {
  it('round-trips keys with the separators in them', () => {
    const fds = new Map([
      ['127.0.0.1:8080', 3],
      ['[::]:443', 4],
      ['unix@/run/a=b;c%d.sock', 5],
    ]);
    const text = formatListenFds(fds);
    expect(text).toBe('127.0.0.1:8080=3;[::]:443=4;unix@/run/a%3Db%3Bc%25d.sock=5');
    expect(parseListenFds(text)).toEqual(fds);
    expect(parseListenFds('')).toEqual(new Map());
  });

  it('rejects malformed entries', () => {
    expect(() => parseListenFds('127.0.0.1:80')).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_LISTEN_FDS' }),
    );
    expect(() => parseListenFds('127.0.0.1:80=x')).toThrow(/malformed entry '127.0.0.1:80=x'/);
  });

  it('adoptFds matches by key and returns what nobody wanted', () => {
    const a = new Listener({ family: 'ipv4', host: '127.0.0.1', port: 8080 }, { onAccept: log.onAccept });
    const b = new Listener({ family: 'unix', host: '/run/x.sock', port: 0 }, { onAccept: log.onAccept });
    const r = adoptFds(
      [a, b],
      new Map([
        ['unix@/run/x.sock', 7],
        ['10.0.0.1:80', 9],
      ]),
    );
    expect(r.adopted).toBe(1);
    expect(r.unused).toEqual(new Map([['10.0.0.1:80', 9]]));
    expect(a.inheritedFd).toBe(-1);
    expect(b.inheritedFd).toBe(7);
  });

  it('adoptHeldConnections returns the descriptors no listener wanted', () => {
    const a = new Listener({ family: 'ipv4', host: '127.0.0.1', port: 8080 }, { onAccept: log.onAccept });
    expect(adoptHeldConnections([a], [['10.0.0.1:80', 9]])).toEqual([9]);
    expect(a.heldConns).toBe(0);
  });
});
