import { describe, expect, it, vi } from 'vitest';
import {
  createManualSignalSource,
  registerStandardSignals,
  SignalQueue,
  STANDARD_SIGNALS,
} from '../src/index.ts';

describe('STANDARD_SIGNALS', () => {
  it('has one row per signal with the meaning HAProxy gives it', () => {
    const bySignal = Object.fromEntries(STANDARD_SIGNALS.map((row) => [row.signal, row.action]));
    expect(bySignal).toEqual({
      SIGUSR1: 'soft-stop',
      SIGTTOU: 'pause',
      SIGTTIN: 'resume',
      SIGHUP: 'dump-servers',
      SIGQUIT: 'dump-state',
      SIGTERM: 'hard-stop',
      SIGINT: 'hard-stop',
      SIGUSR2: 'reload',
      SIGPIPE: 'ignore',
    });
    expect(new Set(STANDARD_SIGNALS.map((row) => row.signal)).size).toBe(STANDARD_SIGNALS.length);
    for (const row of STANDARD_SIGNALS) expect(row.description.length).toBeGreaterThan(10);
    expect(Object.isFrozen(STANDARD_SIGNALS)).toBe(true);
  });
});

describe('registerStandardSignals', () => {
  it('registers only the actions given, never SIGPIPE', () => {
    const source = createManualSignalSource();
    const queue = new SignalQueue({ source });
    const hardStop = vi.fn();
    const softStop = vi.fn();
    const remove = registerStandardSignals(queue, { 'hard-stop': hardStop, 'soft-stop': softStop });
    expect(source.listenerCount('SIGTERM')).toBe(1);
    expect(source.listenerCount('SIGINT')).toBe(1);
    expect(source.listenerCount('SIGUSR1')).toBe(1);
    expect(source.listenerCount('SIGHUP')).toBe(0);
    expect(source.listenerCount('SIGPIPE')).toBe(0);

    source.raise('SIGINT');
    source.raise('SIGUSR1');
    source.raise('SIGTERM');
    queue.process();
    expect(softStop).toHaveBeenCalledExactlyOnceWith('SIGUSR1', 1);
    expect(hardStop.mock.calls).toEqual([
      ['SIGINT', 1],
      ['SIGTERM', 1],
    ]);

    remove();
    expect(source.listenerCount('SIGTERM')).toBe(0);
    expect(source.listenerCount('SIGUSR1')).toBe(0);
  });
});
