// Accept rates: the sliding-second counter (pure), and listeners held by a rate limit
// (real sockets on 127.0.0.1): they stop handing connections over when the rate is
// reached, keep what arrives meanwhile, and go on when the window has room.
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Listener, nowMs, RATE_PERIOD_MS, RateCounter, RateLimit, unbindAll } from '../src/index.ts';
import { acceptLog, clients, until } from './helpers.ts';

const log = acceptLog();
const conns = clients();
let listeners: Listener[] = [];

afterEach(() => {
  unbindAll(listeners);
  listeners = [];
  conns.closeAll();
  log.cleanup();
});

async function listening(rates: RateLimit[], onAccept = log.onAcceptKeep): Promise<Listener> {
  const l = new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept, rates });
  listeners.push(l);
  expect(await l.bind()).toBeNull();
  l.enable();
  return l;
}

/** A small deterministic generator (the cases are the same at every run). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

describe('RateCounter', () => {
  it('counts a sliding second: the previous period fades as the current one runs', () => {
    const c = new RateCounter();
    const t0 = 10_000;
    for (let i = 0; i < 20; i++) c.add(t0);
    expect(c.read(t0)).toBe(20);
    expect(c.remain(20, t0)).toBe(0);
    expect(c.remain(25, t0)).toBe(5);
    // the next period starts: the 20 weigh what is left of the window
    expect(c.read(t0 + RATE_PERIOD_MS)).toBe(20);
    expect(c.read(t0 + RATE_PERIOD_MS + 250)).toBe(15);
    expect(c.remain(20, t0 + RATE_PERIOD_MS + 250)).toBe(5);
    // two periods later nothing is left
    expect(c.read(t0 + 2 * RATE_PERIOD_MS + 1)).toBe(0);
    // the count of the current period is what add() returns (maxima keep it)
    expect(c.add(t0 + RATE_PERIOD_MS + 10)).toBe(1);
    expect(c.prev).toBe(20);
    expect(c.add(t0 + 5 * RATE_PERIOD_MS)).toBe(1);
    expect(c.prev).toBe(0);
  });

  it('the first event opens a period at its own date, whatever the clock reads', () => {
    const c = new RateCounter();
    c.add(500);
    expect(c.remain(1, 500 + RATE_PERIOD_MS - 1)).toBe(0);
    expect(c.remain(1, 500 + RATE_PERIOD_MS + 1)).toBe(1);
  });

  it('a single event of the last period reads 1 until it leaves the window (no flapping)', () => {
    const c = new RateCounter();
    c.add(5000);
    expect(c.read(5000 + RATE_PERIOD_MS + 900)).toBe(1);
    expect(c.read(5000 + 2 * RATE_PERIOD_MS + 1)).toBe(0);
  });

  it('delay() is the first millisecond at which one more event fits (checked ms by ms)', () => {
    const rnd = lcg(7);
    let cases = 0;
    for (let n = 0; n < 400; n++) {
      const c = new RateCounter();
      const max = 1 + Math.floor(rnd() * 30);
      let t = 1000 + Math.floor(rnd() * 3000);
      // a random past: bursts at random dates, each stopping at the limit
      for (let b = 0; b < 1 + Math.floor(rnd() * 4); b++) {
        t += Math.floor(rnd() * 1500);
        const burst = 1 + Math.floor(rnd() * 2 * max);
        for (let i = 0; i < burst && c.remain(max, t) > 0; i++) c.add(t);
      }
      const now = t + Math.floor(rnd() * 50);
      const d = c.delay(max, now);
      // the brute-force answer: walk until there is room (bounded: 3 periods at most)
      let first = now;
      while (c.remain(max, first) === 0 && first < now + 3 * RATE_PERIOD_MS) first++;
      expect(c.remain(max, first)).toBeGreaterThan(0);
      expect({ max, now, d }).toEqual({ max, now, d: first === now ? 0 : first - now });
      if (d > 0) cases++;
    }
    // the walk above met limited windows, not only free ones
    expect(cases).toBeGreaterThan(50);
  });
});

describe('rate limits on listeners', () => {
  it('holds connections once the rate is reached and hands each one over when the window allows', async () => {
    const limit = new RateLimit(5);
    // when each one is handed over, on the listeners' clock
    const at: number[] = [];
    const l = await listening([limit], (s: net.Socket, li: Listener) => {
      at.push(nowMs());
      log.onAcceptKeep(s, li);
    });
    const burst = 15;
    await Promise.all(Array.from({ length: burst }, () => conns.open({ host: '127.0.0.1', port: l.port })));
    // every client is connected: the extra ones wait, held, none dropped
    await until(() => log.accepted.length + l.heldConns === burst, 'every connection taken from the kernel');
    expect(log.accepted.length).toBeLessThanOrEqual(5);
    expect(l.state).toBe('limited');
    expect(limit.waiting.has(l)).toBe(true);
    await until(() => log.accepted.length === burst, 'every held connection handed over', 15_000);
    expect(l.droppedConns).toBe(0);
    expect(l.heldConns).toBe(0);
    expect(l.totalConns).toBe(burst);
    // never more than 5 in one period, and 15 at 5 per second cannot all go in one second
    expect(limit.peak).toBe(5);
    expect(at[burst - 1]! - at[0]!).toBeGreaterThanOrEqual(RATE_PERIOD_MS);
    // no client was closed on the way
    for (const s of conns.list) expect(s.destroyed).toBe(false);
  }, 30_000);

  it('a limit removed at run time (0) lets every held connection in at once', async () => {
    const limit = new RateLimit(2);
    const l = await listening([limit]);
    await Promise.all(Array.from({ length: 8 }, () => conns.open({ host: '127.0.0.1', port: l.port })));
    await until(() => log.accepted.length + l.heldConns === 8, 'every connection taken');
    expect(l.state).toBe('limited');
    expect(log.accepted.length).toBeLessThanOrEqual(2);
    limit.setMax(0);
    // synchronous: the held ones went through within setMax()
    expect(log.accepted).toHaveLength(8);
    expect(l.state).toBe('ready');
    expect(limit.waiting.size).toBe(0);
    // still counted without a limit
    expect(limit.rate()).toBeGreaterThanOrEqual(8);
  });

  it('session rates count only what the handler kept; connection rates count everything', async () => {
    const conn = new RateLimit(0, 'connection');
    const sess = new RateLimit(0, 'session');
    let n = 0;
    const l = await listening([conn, sess], (socket, li) => {
      log.onAcceptKeep(socket, li);
      // every other one is refused, as a tcp-request rule would
      return n++ % 2 === 0;
    });
    for (let i = 0; i < 4; i++) await conns.open({ host: '127.0.0.1', port: l.port });
    await until(() => log.accepted.length === 4, 'four connections');
    expect(conn.counter.curr + conn.counter.prev).toBe(4);
    expect(sess.counter.curr + sess.counter.prev).toBe(2);
  });

  it('a limited listener pauses and resumes; unbinding it stops its limit’s timer', async () => {
    const limit = new RateLimit(1);
    const l = await listening([limit]);
    await conns.open({ host: '127.0.0.1', port: l.port });
    await conns.open({ host: '127.0.0.1', port: l.port });
    await until(() => l.heldConns === 1, 'the second one held');
    expect(l.state).toBe('limited');
    l.pause();
    expect(l.state).toBe('paused');
    expect(await l.resume()).toBeNull();
    // back from the pause, the rate still rules: ready only once the window allows
    await until(() => log.accepted.length === 2, 'the held one handed over', 10_000);
    await conns.open({ host: '127.0.0.1', port: l.port });
    await until(() => l.heldConns === 1, 'a third one held');
    expect(limit.waiting.has(l)).toBe(true);
    l.unbind();
    expect(limit.waiting.size).toBe(0);
    expect((limit as unknown as { timer: unknown }).timer).toBeNull();
  }, 20_000);

  it('a listener without rates reads no clock and counts nothing', async () => {
    const l = await listening([]);
    expect(l.rates).toBeNull();
    await conns.open({ host: '127.0.0.1', port: l.port });
    await until(() => log.accepted.length === 1, 'the connection');
  });
});
