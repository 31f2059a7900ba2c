import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, type LoopExit, RunLoop, type Task, TICK_ETERNITY } from '../src/index.ts';

const loops: RunLoop[] = [];
let child: ChildProcess | null = null;

function makeLoop(options: ConstructorParameters<typeof RunLoop>[0] = {}): RunLoop {
  const loop = new RunLoop(options);
  loops.push(loop);
  return loop;
}

afterEach(async () => {
  for (const loop of loops.splice(0)) await loop.destroy();
  if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
});

// Promise.withResolvers is ES2024; the tree's lib is ES2023.
function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

describe('RunLoop', () => {
  it('runs timers and woken tasks on Node timers, then ends on soft stop with no job', async () => {
    const loop = makeLoop();
    const log: string[] = [];
    const done = deferred<void>();
    const handler = (task: Task<{ name: string }>, ctx: { name: string }) => {
      log.push(ctx.name);
      if (ctx.name === 'late') done.resolve();
      else if (task.calls === 1) task.queue(loop.scheduler.now() + 5);
    };
    const running = loop.run();
    expect(loop.state).toBe('running');
    loop.scheduler.createTask(handler, { name: 'late' }).queue(loop.scheduler.now() + 30);
    loop.scheduler.createTask(handler, { name: 'soon' }).wake();
    await done.promise;
    expect(log).toEqual(['soon', 'soon', 'late']);
    loop.softStop();
    expect(loop.state).toBe('stopping');
    await expect(running).resolves.toEqual({ reason: 'soft-stop', error: null });
    expect(loop.state).toBe('stopped');
    expect(loop.exit).toEqual({ reason: 'soft-stop', error: null });
  });

  it('brings its single timer forward when a task is re-armed earlier', async () => {
    const loop = makeLoop();
    const fired = deferred<number>();
    const task = loop.scheduler.createTask((t) => fired.resolve(t.calls), null);
    task.queue(loop.scheduler.now() + 3_600_000);
    void loop.run();
    await turns(2);
    task.queue(loop.scheduler.now() + 1);
    // Would wait an hour (and time the test out) if the timer stayed where it was.
    expect(await fired.promise).toBe(1);
  });

  it('runs the beforeTurn hooks every turn and on wakeup()', async () => {
    const pending: string[] = [];
    const handled: string[] = [];
    const processPending = () => {
      for (const item of pending.splice(0)) handled.push(item);
    };
    const loop = makeLoop({ beforeTurn: [processPending] });
    let extra = 0;
    loop.onBeforeTurn(() => extra++);
    void loop.run();
    await turns(2);
    expect(extra).toBeGreaterThan(0);
    pending.push('SIGHUP');
    loop.wakeup();
    await turns(2);
    expect(handled).toEqual(['SIGHUP']);
  });

  it('runs at most batchSize tasks per turn and lets I/O in between', async () => {
    const loop = makeLoop({ batchSize: 100 });
    const turnOfRun: number[] = [];
    const record = (_t: Task<RunLoop>, l: RunLoop) => {
      turnOfRun.push(l.stats().turns);
    };
    for (let i = 0; i < 450; i++) loop.scheduler.createTask(record, loop).wake();
    // A task that wakes itself forever must not starve Node's callbacks.
    const spin = loop.scheduler.createTask((t) => t.wake(), null);
    spin.wake();
    const running = loop.run();
    // bounded wait (a loaded machine may need more than a few ms for five turns)
    const deadline = Date.now() + 2000;
    while (turnOfRun.length < 450 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    loop.hardStop();
    await expect(running).resolves.toEqual({ reason: 'hard-stop', error: null });
    expect(turnOfRun).toHaveLength(450);
    const perTurn = new Map<number, number>();
    for (const turn of turnOfRun) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    expect(perTurn.size).toBe(5);
    for (const count of perTurn.values()) expect(count).toBeLessThanOrEqual(100);
  });

  it('counts jobs by kind and ends a soft stop only when the last stoppable job goes', async () => {
    const loop = makeLoop();
    loop.addJob('listener');
    loop.addJob('connection');
    loop.addJob('connection');
    loop.addJob('other', { unstoppable: true }); // e.g. the stats socket
    expect(loop.jobs).toBe(4);
    expect(loop.unstoppableJobs).toBe(1);
    expect(loop.jobsOf('connection')).toBe(2);
    let exited: LoopExit | null = null;
    const running = loop.run().then((exit) => {
      exited = exit;
      return exit;
    });
    loop.softStop();
    loop.softStop();
    loop.releaseJob('listener');
    await turns(3);
    expect(exited).toBeNull();
    loop.releaseJob('connection');
    await turns(3);
    expect(exited).toBeNull();
    expect(loop.state).toBe('stopping');
    loop.releaseJob('connection');
    expect(await running).toEqual({ reason: 'soft-stop', error: null });
    expect(loop.jobs).toBe(1);
    expect(loop.stats().jobsByKind).toEqual({ listener: 0, connection: 0, check: 0, other: 1 });
  });

  it('refuses to release a job that was not taken', () => {
    const loop = makeLoop();
    expect(() => loop.releaseJob('check')).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_JOB_UNDERFLOW' }),
    );
    loop.addJob('check');
    expect(() => loop.releaseJob('check', { unstoppable: true })).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_JOB_UNDERFLOW' }),
    );
    expect(() => loop.addJob('socket' as 'other')).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_INVALID_ARG' }),
    );
  });

  it('ends at hard-stop-after with a manual clock, jobs or not', async () => {
    const clock = createManualClock(0);
    const exits: LoopExit[] = [];
    const loop = makeLoop({ clock, hardStopAfter: 60_000, onExit: (exit) => exits.push(exit) });
    loop.addJob('connection');
    const running = loop.run();
    loop.softStop();
    await turns(3);
    expect(loop.state).toBe('stopping');
    clock.advance(59_999);
    loop.wakeup();
    await turns(3);
    expect(loop.state).toBe('stopping');
    clock.advance(1);
    loop.wakeup();
    await expect(running).resolves.toEqual({ reason: 'hard-stop-after', error: null });
    expect(loop.jobs).toBe(1);
    expect(exits).toEqual([{ reason: 'hard-stop-after', error: null }]);
  });

  it('ends at hard-stop-after on a short real timer', async () => {
    const loop = makeLoop({ hardStopAfter: 20 });
    loop.addJob('connection');
    const running = loop.run();
    loop.softStop();
    await expect(running).resolves.toEqual({ reason: 'hard-stop-after', error: null });
  });

  it('hardStop() ends now whatever the jobs and timers', async () => {
    const loop = makeLoop();
    loop.addJob('connection');
    loop.scheduler.createTask(() => {}, null).queue(loop.scheduler.now() + 60_000);
    const running = loop.run();
    await turns(2);
    loop.hardStop();
    loop.hardStop();
    expect(loop.state).toBe('stopped');
    await expect(running).resolves.toEqual({ reason: 'hard-stop', error: null });
  });

  it('close() is idempotent and waits for the jobs', async () => {
    const loop = makeLoop();
    loop.addJob('connection');
    const running = loop.run();
    const first = loop.close();
    const second = loop.close();
    expect(second).toBe(first);
    expect(loop.stopping).toBe(true);
    await turns(3);
    expect(loop.state).toBe('stopping');
    loop.releaseJob('connection');
    await first;
    expect(await running).toEqual({ reason: 'soft-stop', error: null });
    await loop.destroy(new Error('too late'));
    expect(loop.exit).toEqual({ reason: 'soft-stop', error: null });
  });

  it('destroy(err) ends now, rejects run() with err, and is idempotent', async () => {
    const loop = makeLoop();
    loop.addJob('connection');
    const running = loop.run();
    const pendingClose = loop.close();
    const err = new Error('fatal');
    await loop.destroy(err);
    await loop.destroy(new Error('second'));
    await pendingClose;
    await loop.close();
    await expect(running).rejects.toBe(err);
    expect(loop.exit).toEqual({ reason: 'destroy', error: err });
  });

  it('a loop stopped before it ran refuses to run', async () => {
    const loop = makeLoop();
    await loop.close();
    expect(loop.exit).toEqual({ reason: 'soft-stop', error: null });
    await expect(loop.run()).rejects.toMatchObject({ code: 'HAP_ERR_LOOP_STOPPED' });
  });

  it('a soft stop asked before run() takes effect when it runs', async () => {
    const loop = makeLoop();
    loop.softStop();
    expect(loop.state).toBe('stopping');
    await expect(loop.run()).resolves.toEqual({ reason: 'soft-stop', error: null });
  });

  it('a throwing task destroys the loop with its error', async () => {
    const loop = makeLoop();
    const boom = new Error('handler bug');
    loop.scheduler
      .createTask(() => {
        throw boom;
      }, null)
      .wake();
    await expect(loop.run()).rejects.toBe(boom);
    expect(loop.exit).toEqual({ reason: 'destroy', error: boom });
  });

  it('reports stats with real figures', async () => {
    const loop = makeLoop();
    const before = loop.stats();
    expect(before).toMatchObject({ state: 'idle', turns: 0, uptimeMs: 0, idlePct: 100 });
    const periodic = loop.scheduler.createTask((task) => task.queue(loop.scheduler.now() + 20), null);
    periodic.wake();
    loop.addJob('connection');
    void loop.run();
    // Just over one window, so the figures come from a complete second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stats = loop.stats();
    expect(Object.keys(stats).sort()).toEqual(
      [
        'idlePct',
        'jobs',
        'jobsByKind',
        'lagMs',
        'runQueue',
        'state',
        'stopping',
        'tasksRun',
        'timers',
        'turns',
        'unstoppableJobs',
        'uptimeMs',
      ].sort(),
    );
    expect(stats.state).toBe('running');
    expect(stats.stopping).toBe(false);
    expect(stats.tasksRun).toBeGreaterThan(10);
    expect(stats.turns).toBeGreaterThan(10);
    expect(stats.timers).toBe(1);
    expect(stats.jobs).toBe(1);
    expect(stats.uptimeMs).toBeGreaterThan(0);
    expect(stats.idlePct).toBeGreaterThanOrEqual(0);
    expect(stats.idlePct).toBeLessThanOrEqual(100);
    for (const value of Object.values(stats.lagMs)) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
    }
    expect(stats.lagMs.max).toBeGreaterThanOrEqual(stats.lagMs.mean);
    loop.hardStop();
    const after = loop.stats();
    expect(after.state).toBe('stopped');
    expect(after.timers).toBe(1); // the periodic task's timer is the application's
    expect(Number.isFinite(after.idlePct)).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new RunLoop({ batchSize: 0 })).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_INVALID_ARG' }),
    );
    expect(() => new RunLoop({ hardStopAfter: -1 })).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_INVALID_ARG' }),
    );
    expect(new RunLoop({ hardStopAfter: TICK_ETERNITY }).state).toBe('idle');
  });

  it('keeps its process alive until a soft stop releases the last job', async () => {
    const script = fileURLToPath(new URL('./fixtures/keepalive.ts', import.meta.url));
    const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const ready = deferred<void>();
    proc.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('running\n')) ready.resolve();
    });
    const exited = once(proc, 'exit');
    await ready.promise;
    // Still alive a few event-loop turns later: nothing but the loop holds it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(proc.exitCode).toBeNull();
    proc.kill('SIGUSR1');
    const [code] = await exited;
    expect(stderr).toBe('');
    expect(stdout).toBe('running\nsoft stop\nloop ended: soft-stop jobs=0\nexit 0\n');
    expect(code).toBe(0);
  });
});
