import { describe, expect, it } from 'vitest';
import { TimerWheel, type WheelEntry } from '../src/timer-wheel.ts';

function entry(log: number[], id: number): WheelEntry {
  return {
    expire: 0,
    wheelNext: null,
    wheelPrev: null,
    wheelSlot: -1,
    wheelTick: 0,
    onExpire() {
      log.push(id);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TimerWheel', () => {
  it('fires entries after their deadline, in deadline order across slots, never early', async () => {
    const w = new TimerWheel();
    const log: number[] = [];
    const t0 = performance.now();
    const fired: number[] = [];
    const a = entry(log, 1);
    const b = entry(log, 2);
    a.onExpire = () => {
      log.push(1);
      fired.push(performance.now() - t0);
    };
    w.arm(b, 120);
    w.arm(a, 40);
    expect(w.size).toBe(2);
    await sleep(250);
    expect(log).toEqual([1, 2]);
    expect(fired[0]).toBeGreaterThanOrEqual(40 - 1);
    expect(w.size).toBe(0);
  });

  it('re-arming later is a field write: the entry fires at the new deadline only', async () => {
    const w = new TimerWheel();
    const log: number[] = [];
    const a = entry(log, 1);
    w.arm(a, 30);
    await sleep(10);
    w.arm(a, 150);
    await sleep(80);
    expect(log).toEqual([]);
    await sleep(150);
    expect(log).toEqual([1]);
  });

  it('a deadline moved earlier fires at the earlier time, not when its old slot comes round', async () => {
    const w = new TimerWheel();
    const log: number[] = [];
    const a = entry(log, 1);
    w.arm(a, 3000);
    w.arm(a, 40);
    await sleep(150);
    expect(log).toEqual([1]);
  });

  it('a disarmed entry never fires and the wheel stops ticking when empty', async () => {
    const w = new TimerWheel();
    const log: number[] = [];
    const a = entry(log, 1);
    w.arm(a, 20);
    w.disarm(a);
    expect(a.wheelSlot).toBe(-1);
    expect(w.size).toBe(0);
    await sleep(60);
    expect(log).toEqual([]);
  });

  it('deadlines beyond one revolution (256 × 16 ms) wait for their turn', async () => {
    const w = new TimerWheel();
    const log: number[] = [];
    const far = entry(log, 1);
    w.arm(far, 4200);
    // the slot comes round once before the deadline: the entry must be filed again, not fired
    await sleep(4150);
    expect(log).toEqual([]);
    await sleep(200);
    expect(log).toEqual([1]);
  }, 10_000);

  it('holds thousands of entries and fires each exactly once', async () => {
    const w = new TimerWheel();
    const log: number[] = [];
    for (let i = 0; i < 5000; i++) w.arm(entry(log, i), 10 + (i % 100));
    await sleep(250);
    expect(log.length).toBe(5000);
    expect(new Set(log).size).toBe(5000);
  });
});
