import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bindWithRetries, Listener, MAX_START_RETRIES, unbindAll } from '../src/index.ts';
import { acceptLog, closeServer, freePort, plainServer } from './helpers.ts';

const log = acceptLog();
let listeners: Listener[] = [];
let blocker: net.Server | null = null;

afterEach(async () => {
  unbindAll(listeners);
  listeners = [];
  log.cleanup();
  if (blocker?.listening) await closeServer(blocker);
  blocker = null;
});

/** A port held by "the old process": a server without SO_REUSEPORT. */
async function occupied(): Promise<number> {
  const port = await freePort();
  const s = await plainServer({ host: '127.0.0.1', port });
  if (s instanceof Error) throw s;
  blocker = s;
  return port;
}

function listenersOn(port: number): Listener[] {
  listeners = [
    new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: log.onAccept }),
    new Listener({ family: 'ipv4', host: '127.0.0.1', port }, { onAccept: log.onAccept, reusePort: false }),
  ];
  return listeners;
}

describe('bindWithRetries (start_proxies)', () => {
  it('binds at once when nothing is in the way: no signal, no wait', async () => {
    const events: string[] = [];
    const ls = listenersOn(await freePort());
    const r = await bindWithRetries(ls, {
      oldPids: [100],
      sendSignal: (pid, sig) => events.push(`${sig} ${pid}`) > 0,
      sleep: async (ms) => void events.push(`sleep ${ms}`),
    });
    expect(r).toMatchObject({ ok: 2, failed: [], attempts: 1, paused: 0, resumed: false });
    expect(events).toEqual([]);
    expect(ls.map((l) => l.state)).toEqual(['bound', 'bound']);
  });

  it('SIGTTOU to the old pids, 10 ms wait, then the retry binds what was missing', async () => {
    const events: string[] = [];
    const ls = listenersOn(await occupied());
    const r = await bindWithRetries(ls, {
      oldPids: [100, 200],
      sendSignal: (pid, sig) => {
        events.push(`${sig} ${pid}`);
        // The old process pauses: its port is released.
        if (sig === 'SIGTTOU' && blocker?.listening) blocker.close();
        return true;
      },
      sleep: async (ms) => void events.push(`sleep ${ms}`),
    });
    expect(events).toEqual(['SIGTTOU 100', 'SIGTTOU 200', 'sleep 10']);
    expect(r).toMatchObject({ ok: 2, failed: [], attempts: 2, paused: 1, resumed: false });
    expect(ls.map((l) => l.state)).toEqual(['bound', 'bound']);
  });

  it('listenWhenFree: one try before the SIGTTOU, then one spin of spinMs, for IP listeners still unbound', async () => {
    const events: string[] = [];
    let clock = 1000;
    const port = await occupied();
    const ls = listenersOn(port);
    const r = await bindWithRetries(ls, {
      oldPids: [100],
      spinMs: 50,
      delayMs: 1,
      now: () => clock,
      listenWhenFree: (l, deadline) => {
        events.push(`take ${l.port === port ? 'old' : 'other'} within ${deadline - clock}`);
        clock += 5;
        return -1; // not free: the usual retry binds it
      },
      sendSignal: (pid, sig) => {
        events.push(`${sig} ${pid}`);
        if (sig === 'SIGTTOU' && blocker?.listening) blocker.close();
        return true;
      },
      sleep: async (ms) => void events.push(`sleep ${ms}`),
    });
    expect(events).toEqual(['take old within 0', 'SIGTTOU 100', 'take old within 50', 'sleep 1']);
    expect(r).toMatchObject({ ok: 2, failed: [], attempts: 2, paused: 1 });
  });

  it('gives up after maxRetries: unbinds everything and SIGTTINs the old pids', async () => {
    const events: string[] = [];
    const ls = listenersOn(await occupied());
    const r = await bindWithRetries(ls, {
      oldPids: [100],
      maxRetries: 3,
      sendSignal: (pid, sig) => events.push(`${sig} ${pid}`) > 0,
      sleep: async (ms) => void events.push(`sleep ${ms}`),
    });
    expect(events).toEqual([
      'SIGTTOU 100',
      'sleep 10',
      'SIGTTOU 100',
      'sleep 10',
      'SIGTTOU 100',
      'sleep 10',
      'SIGTTIN 100',
    ]);
    expect(r.attempts).toBe(4);
    expect(r.resumed).toBe(true);
    expect(r.ok).toBe(1);
    expect(r.failed.map((f) => f.error.code)).toEqual(['HAP_ERR_BIND_ADDRINUSE']);
    expect(ls.map((l) => l.state)).toEqual(['stopped', 'stopped']);
  });

  it('when no old pid can be signalled: one more attempt at once, then SIGTTIN', async () => {
    const events: string[] = [];
    const ls = listenersOn(await occupied());
    const r = await bindWithRetries(ls, {
      oldPids: [100],
      sendSignal: (pid, sig) => {
        events.push(`${sig} ${pid}`);
        return false;
      },
      sleep: async (ms) => void events.push(`sleep ${ms}`),
    });
    expect(events).toEqual(['SIGTTOU 100', 'SIGTTIN 100']);
    expect(r).toMatchObject({ attempts: 2, paused: 1, resumed: true });
  });

  it('without old pids: one attempt, no signal', async () => {
    const events: string[] = [];
    const ls = listenersOn(await occupied());
    const r = await bindWithRetries(ls, {
      oldPids: [],
      sendSignal: (pid, sig) => events.push(`${sig} ${pid}`) > 0,
      sleep: async (ms) => void events.push(`sleep ${ms}`),
    });
    expect(events).toEqual([]);
    expect(r).toMatchObject({ attempts: 1, paused: 0, resumed: false });
    expect(r.failed).toHaveLength(1);
  });

  it('a fatal error ends the loop at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hap-retry-'));
    try {
      writeFileSync(join(dir, 'file'), '');
      const events: string[] = [];
      listeners = [
        new Listener({ family: 'unix', host: join(dir, 'file'), port: 0 }, { onAccept: log.onAccept }),
      ];
      const r = await bindWithRetries(listeners, {
        oldPids: [100],
        sendSignal: (pid, sig) => events.push(`${sig} ${pid}`) > 0,
        sleep: async (ms) => void events.push(`sleep ${ms}`),
      });
      expect(events).toEqual([]);
      expect(r.attempts).toBe(1);
      expect(r.failed[0]?.error.code).toBe('HAP_ERR_UNIX_PATH');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses HAProxy 2.6 numbers by default', () => {
    expect(MAX_START_RETRIES).toBe(200);
  });
});
