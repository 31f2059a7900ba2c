// Rates against figures computed by hand from HAProxy 2.6's freq_ctr rules:
// rate = floor((prev × remaining part of the current window + curr × period) / period),
// with prev reported as is while curr is 0 and prev ≤ 1.
import { describe, expect, it } from 'vitest';
import { FreqCounter, parseStickTable, StickTable } from '../src/index.ts';

const P = 10_000;

describe('FreqCounter', () => {
  it('opens a window at the first event and counts within it', () => {
    const f = new FreqCounter();
    expect(f.update(P, 1, 1_000_000)).toBe(1);
    // window starts at the event (two periods since tick 0: nothing carried over)
    expect(f).toMatchObject({ tick: 1_000_000, curr: 1, prev: 0 });
    f.update(P, 4, 1_002_000);
    expect(f.read(P, 1_005_000)).toBe(5);
    expect(f.read(P, 1_009_999)).toBe(5);
  });

  it('weights the previous period by what remains of the current one', () => {
    const f = new FreqCounter();
    f.update(P, 5, 1_000_000);
    // next period: [1_010_000, 1_020_000)
    f.update(P, 1, 1_012_000);
    expect(f).toMatchObject({ tick: 1_010_000, curr: 1, prev: 5 });
    // remaining 6000 ms: (5 × 6000 + 1 × 10000) / 10000 = 4
    expect(f.read(P, 1_014_000)).toBe(4);
    // remaining 1 ms: (5 + 10000) / 10000 = 1
    expect(f.read(P, 1_019_999)).toBe(1);
    // at 1_011_000, remaining 9000: (45000 + 10000) / 10000 = 5
    expect(f.read(P, 1_011_000)).toBe(5);
  });

  it('slides out the last period once the window has moved', () => {
    const f = new FreqCounter();
    f.update(P, 8, 1_000_000);
    // 2_500 ms into the next period: the 8 events weigh 7500/10000
    expect(f.read(P, 1_012_500)).toBe(6);
    expect(f.read(P, 1_015_000)).toBe(4);
    expect(f.read(P, 1_019_999)).toBe(0);
    expect(f.read(P, 1_020_000)).toBe(0);
  });

  it('keeps reporting a single event for the whole next window (anti-flapping)', () => {
    const f = new FreqCounter();
    f.update(P, 1, 1_000_000);
    f.update(P, 1, 1_012_000); // prev = 1, curr = 1, window [1_010_000, 1_020_000)
    expect(f.read(P, 1_021_000)).toBe(1); // curr became prev: 1, reported as is
    expect(f.read(P, 1_030_000)).toBe(1); // exactly two periods after the window start
    expect(f.read(P, 1_030_001)).toBe(0);
  });

  it('forgets everything after two idle periods', () => {
    const f = new FreqCounter();
    f.update(P, 9, 1_000_000);
    f.update(P, 1, 1_025_001);
    expect(f).toMatchObject({ tick: 1_025_000, curr: 1, prev: 0 }); // tick kept even
    expect(f.read(P, 1_025_001)).toBe(1);
  });

  it('accumulates in the window starting at 0 while the clock is below one period', () => {
    const f = new FreqCounter();
    f.update(P, 1, 100);
    f.update(P, 1, 9_999);
    expect(f).toMatchObject({ tick: 0, curr: 2 });
    // at 10_000 the window [0, 10_000) just ended: nothing of it has slid out yet
    expect(f.read(P, 10_000)).toBe(2);
    expect(f.read(P, 15_000)).toBe(1);
  });

  it('wraps like 32-bit ticks', () => {
    const f = new FreqCounter();
    const near = 2 ** 32 - 4_000;
    f.update(P, 3, near);
    f.update(P, 2, near + 5_000); // now wrapped past 2^32, same window
    expect(f.curr).toBe(5);
    expect(f.read(P, near + 9_999)).toBe(5);
    expect(f.read(P, near + 15_000)).toBe(2);
  });

  it('holds a value set from the CLI for a period, then fades it', () => {
    const f = new FreqCounter();
    f.set(100, 5_000_001);
    expect(f.tick).toBe(5_000_000);
    expect(f.read(P, 5_009_000)).toBe(100);
    expect(f.read(P, 5_012_500)).toBe(75);
  });

  it('reads 0 for a zero period instead of dividing by zero', () => {
    const f = new FreqCounter();
    f.update(0, 1, 1000);
    expect(f.read(0, 1000)).toBe(0);
  });
});

describe('rates in a table', () => {
  it('conn_rate follows the tracked connections', () => {
    let now = 50_000_000;
    const t = new StickTable(
      't',
      parseStickTable('type ip size 10 store conn_rate(10s)'.split(' ')),
      () => now,
    );
    for (let i = 0; i < 6; i++) {
      const e = t.track('10.0.0.1');
      if (e) t.release(e);
      now += 1_000;
    }
    // 6 connections at 50_000_000 … 50_005_000; read at 50_006_000
    expect(t.lookup('10.0.0.1')?.get('conn_rate')).toBe(6);
    now = 50_013_000; // next window [50_010_000, 50_020_000), 7 s left of it
    expect(t.lookup('10.0.0.1')?.get('conn_rate')).toBe(4); // 6 × 7000 / 10000 = 4.2
    now = 50_030_000;
    expect(t.lookup('10.0.0.1')?.get('conn_rate')).toBe(0);
  });
});
