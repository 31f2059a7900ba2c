import { describe, expect, it, vi } from 'vitest';
import { createManualSignalSource, SignalQueue, SignalsError } from '../src/index.ts';

function setup() {
  const source = createManualSignalSource();
  const queue = new SignalQueue({ source });
  return { source, queue };
}

describe('SignalQueue with a manual source', () => {
  it('records deliveries without running handlers', () => {
    const { source, queue } = setup();
    const handler = vi.fn();
    queue.register('SIGHUP', handler);
    expect(source.raise('SIGHUP')).toBe(true);
    expect(handler).not.toHaveBeenCalled();
    expect(queue.pending).toBe(1);
    expect(queue.count('SIGHUP')).toBe(1);
    expect(queue.process()).toBe(1);
    expect(handler).toHaveBeenCalledExactlyOnceWith('SIGHUP', 1);
    expect(queue.pending).toBe(0);
    expect(queue.count('SIGHUP')).toBe(0);
  });

  it('coalesces repeated deliveries into one run that carries the count', () => {
    const { source, queue } = setup();
    const handler = vi.fn();
    queue.register('SIGUSR1', handler);
    source.raise('SIGUSR1');
    source.raise('SIGUSR1');
    source.raise('SIGUSR1');
    expect(queue.pending).toBe(1);
    expect(queue.count('SIGUSR1')).toBe(3);
    queue.process();
    expect(handler).toHaveBeenCalledExactlyOnceWith('SIGUSR1', 3);
  });

  it('runs handlers in first-arrival order, each signal once', () => {
    const { source, queue } = setup();
    const seen: string[] = [];
    const record = (signal: NodeJS.Signals, count: number) => seen.push(`${signal}x${count}`);
    queue.register('SIGHUP', record);
    queue.register('SIGUSR1', record);
    queue.register('SIGQUIT', record);
    source.raise('SIGUSR1');
    source.raise('SIGHUP');
    source.raise('SIGUSR1');
    source.raise('SIGQUIT');
    expect(queue.pending).toBe(3);
    expect(queue.process()).toBe(3);
    expect(seen).toEqual(['SIGUSR1x2', 'SIGHUPx1', 'SIGQUITx1']);
    expect(queue.process()).toBe(0);
  });

  it('runs several handlers of one signal in registration order', () => {
    const { source, queue } = setup();
    const seen: number[] = [];
    queue.register('SIGHUP', () => seen.push(1));
    queue.register('SIGHUP', () => seen.push(2));
    source.raise('SIGHUP');
    queue.process();
    expect(seen).toEqual([1, 2]);
  });

  it('defers a signal raised by a handler to the next process()', () => {
    const { source, queue } = setup();
    const seen: string[] = [];
    queue.register('SIGUSR2', (signal) => {
      seen.push(signal);
      source.raise('SIGUSR1');
      source.raise('SIGUSR2');
    });
    queue.register('SIGUSR1', (signal) => seen.push(signal));
    source.raise('SIGUSR2');
    expect(queue.process()).toBe(1);
    expect(seen).toEqual(['SIGUSR2']);
    expect(queue.pending).toBe(2);
    // Arrival order of the second batch: SIGUSR1 was raised before SIGUSR2.
    queue.process();
    expect(seen).toEqual(['SIGUSR2', 'SIGUSR1', 'SIGUSR2']);
  });

  it('calls onPending hooks only when the queue becomes non-empty', () => {
    const { source, queue } = setup();
    queue.register('SIGHUP', () => {});
    queue.register('SIGUSR1', () => {});
    const hook = vi.fn();
    const remove = queue.onPending(hook);
    source.raise('SIGHUP');
    source.raise('SIGUSR1');
    source.raise('SIGHUP');
    expect(hook).toHaveBeenCalledTimes(1);
    queue.process();
    source.raise('SIGUSR1');
    expect(hook).toHaveBeenCalledTimes(2);
    remove();
    queue.process();
    source.raise('SIGUSR1');
    expect(hook).toHaveBeenCalledTimes(2);
  });

  it('keeps running the other handlers when one throws, then reports', () => {
    const { source, queue } = setup();
    const after = vi.fn();
    queue.register('SIGHUP', () => {
      throw new Error('boom');
    });
    queue.register('SIGHUP', after);
    source.raise('SIGHUP');
    expect(() => queue.process()).toThrow('boom');
    expect(after).toHaveBeenCalledOnce();

    queue.register('SIGUSR1', () => {
      throw new Error('one');
    });
    queue.register('SIGUSR1', () => {
      throw new Error('two');
    });
    source.raise('SIGUSR1');
    expect(() => queue.process()).toThrow(AggregateError);
  });

  it('subscribes once per signal and lets go with the last registration', () => {
    const { source, queue } = setup();
    const a = queue.register('SIGHUP', () => {});
    const b = queue.register('SIGHUP', () => {});
    expect(source.listenerCount('SIGHUP')).toBe(1);
    source.raise('SIGHUP');
    a();
    a();
    expect(source.listenerCount('SIGHUP')).toBe(1);
    expect(queue.pending).toBe(1);
    b();
    expect(source.listenerCount('SIGHUP')).toBe(0);
    // The delivery queued for a signal nobody handles any more is dropped.
    expect(queue.pending).toBe(0);
    expect(source.raise('SIGHUP')).toBe(false);
  });

  it('close() unsubscribes everything, drops the queue and is idempotent', () => {
    const { source, queue } = setup();
    const handler = vi.fn();
    queue.register('SIGHUP', handler);
    queue.register('SIGTERM', handler);
    source.raise('SIGHUP');
    queue.close();
    queue.close();
    expect(queue.closed).toBe(true);
    expect(queue.pending).toBe(0);
    expect(source.listenerCount('SIGHUP')).toBe(0);
    expect(source.listenerCount('SIGTERM')).toBe(0);
    expect(queue.process()).toBe(0);
    expect(handler).not.toHaveBeenCalled();
    expect(() => queue.register('SIGHUP', handler)).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_SIGNALS_CLOSED' }),
    );
  });

  it('rejects signals that cannot be caught or do not exist', () => {
    const { queue } = setup();
    expect(() => queue.register('SIGKILL', () => {})).toThrow(SignalsError);
    expect(() => queue.register('SIGSTOP', () => {})).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_SIGNAL_UNCATCHABLE' }),
    );
    expect(() => queue.register('SIGNOPE' as NodeJS.Signals, () => {})).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_SIGNAL_UNKNOWN' }),
    );
  });
});
