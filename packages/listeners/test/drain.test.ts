// Closing a listening socket resets the connections the kernel still queues on it.
// With `drainPending` (accept4 until EAGAIN, from @hap/daemon) a pause or an unbind first
// takes them and hands them to onAccept, so those clients are served.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { acceptPending } from '@hap/daemon';
import { afterEach, describe, expect, it } from 'vitest';
import { Listener, unbindAll } from '../src/index.ts';

const CLIENTS = 5;
let listeners: Listener[] = [];
const accepted: net.Socket[] = [];

afterEach(() => {
  unbindAll(listeners);
  listeners = [];
  for (const s of accepted.splice(0)) s.destroy();
});

/** Answers "ok:<what the client sent>" on each connection handed over. */
function onAccept(socket: net.Socket): void {
  accepted.push(socket);
  socket.once('data', (d: Buffer) => socket.end(`ok:${d.toString()}`));
}

/**
 * Connects CLIENTS clients from a child process while this process is blocked in
 * spawnSync: the kernel completes their handshakes and queues them, and nobody here
 * accepts. Each client sends "c<i>" and the child exits; the bytes wait in the sockets.
 */
function queueClients(port: number): void {
  const script = `
    const net = require('net');
    for (let i = 0; i < ${CLIENTS}; i++) {
      const c = net.connect(${port}, '127.0.0.1', () => { c.write('c' + i); });
      c.on('error', () => {});
    }
    // leave once every handshake is done: the connections stay queued in the parent's listener
    setTimeout(() => process.exit(0), 300);
  `;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 10_000 });
  expect(r.status, r.stderr.toString()).toBe(0);
}

describe('draining the kernel queue before closing', () => {
  it('pause() hands queued connections to onAccept instead of resetting them', async () => {
    const l = new Listener(
      { family: 'ipv4', host: '127.0.0.1', port: 0 },
      { onAccept, drainPending: acceptPending },
    );
    listeners.push(l);
    expect(await l.bind()).toBeNull();
    l.enable();
    queueClients(l.port);
    // no event-loop turn has run since the clients connected: all of them are still queued
    expect(accepted.length).toBe(0);
    l.pause();
    expect(accepted.length).toBe(CLIENTS);
    const sent = await Promise.all(
      accepted.map(
        (s) =>
          new Promise<string>((resolve) => {
            // the client wrote "c<i>" before it exited; it is waiting in the socket
            s.once('data', (d: Buffer) => resolve(d.toString()));
          }),
      ),
    );
    expect(sent.sort()).toEqual(Array.from({ length: CLIENTS }, (_, i) => `c${i}`).sort());
    // and the port really was released by the pause
    await new Promise<void>((resolve, reject) => {
      const other = net.createServer();
      other.once('error', reject);
      other.listen({ host: '127.0.0.1', port: l.port, exclusive: true }, () => other.close(() => resolve()));
    });
  });

  it('without drainPending the same queued connections are lost at pause()', () => {
    const l = new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept });
    listeners.push(l);
    return l.bind().then((err) => {
      expect(err).toBeNull();
      l.enable();
      queueClients(l.port);
      l.pause();
      expect(accepted.length).toBe(0);
    });
  });
});
