// Plain TCP checks against real sockets: the health counter, the rise/fall transitions,
// the intervals (inter, fastinter, downinter) and HAProxy's sentences.
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthChecker } from '../src/index.ts';
import { closeListeners, deadPort, listenOn, record, scripted, sleep, spec } from './helpers.ts';

useTestkit();
let checker: HealthChecker | undefined;
afterEach(async () => {
  await checker?.stop();
  checker = undefined;
  await closeListeners();
});

describe('TCP checks', () => {
  it('a dead server is DOWN after its first failed check (2.6 starts servers up, one failure from down)', async () => {
    const port = await deadPort();
    const rec = record();
    const t0 = Date.now();
    checker = new HealthChecker([spec({ port })], rec.hooks);
    checker.start();
    await rec.waitFor(() => rec.changes.length === 1);
    expect(Date.now() - t0).toBeLessThan(100);
    expect(rec.results.map((r) => r.status)).toEqual(['L4CON']);
    expect(rec.changes[0]?.current).toMatchObject({ oper: 'down', effective: 'down' });
    expect(rec.texts()).toEqual([
      'Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: _ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'backend be has no server available!',
    ]);
    expect(rec.logs.map((l) => l.level)).toEqual(['alert', 'emerg']);
    expect(checker.state('be', 's1')).toMatchObject({ text: 'DOWN', check: { health: 0, status: 'L4CON' } });
  });

  it('comes UP after rise successes and goes DOWN after fall failures, within rise/fall × inter', async () => {
    const port = await deadPort();
    const rec = record();
    checker = new HealthChecker(
      [spec({ port, inter: 60, rise: 3, fall: 2, logHealthChecks: true })],
      rec.hooks,
    );
    checker.start();
    await rec.waitFor(() => rec.changes.length === 1);
    const up = await listenOn(port);
    const tUp = Date.now();
    await rec.waitFor(() => rec.changes.length === 2);
    const riseTime = Date.now() - tUp;
    expect(riseTime).toBeGreaterThanOrEqual(2 * 60 - 15);
    expect(riseTime).toBeLessThan(3 * 60 + 150);
    expect(rec.changes[1]?.current.oper).toBe('up');
    await up.close();
    const tDown = Date.now();
    await rec.waitFor(() => rec.changes.length === 3);
    const fallTime = Date.now() - tDown;
    expect(fallTime).toBeGreaterThanOrEqual(60 - 15);
    expect(fallTime).toBeLessThan(2 * 60 + 150);
    const texts = rec.texts().filter((t) => !t.startsWith('backend'));
    expect(texts).toEqual([
      'Health check for server be/s1 failed, reason: Layer4 connection problem, info: "Connection refused", check duration: _ms, status: 0/3 DOWN.',
      'Server be/s1 is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'Health check for server be/s1 succeeded, reason: Layer4 check passed, check duration: _ms, status: 1/3 DOWN.',
      'Health check for server be/s1 succeeded, reason: Layer4 check passed, check duration: _ms, status: 2/3 DOWN.',
      'Health check for server be/s1 succeeded, reason: Layer4 check passed, check duration: _ms, status: 2/2 UP.',
      'Server be/s1 is UP. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Health check for server be/s1 failed, reason: Layer4 connection problem, info: "Connection refused", check duration: _ms, status: 1/2 UP.',
      // Once below rise the counter reads against rise.
      'Health check for server be/s1 failed, reason: Layer4 connection problem, info: "Connection refused", check duration: _ms, status: 0/3 DOWN.',
      'Server be/s1 is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ]);
  });

  it('uses downinter while fully down, fastinter while transitioning and inter when fully up', async () => {
    const port = await deadPort();
    const rec = record();
    checker = new HealthChecker(
      [spec({ port, inter: 400, fastinter: 40, downinter: 120, rise: 3, fall: 3 })],
      rec.hooks,
    );
    checker.start();
    // Start: health = rise, not max → fastinter; first failure → fully down → downinter.
    await rec.waitFor(() => rec.results.length === 3);
    const at = rec.results.map((r) => r.at);
    expect((at[2] ?? 0) - (at[1] ?? 0)).toBeGreaterThanOrEqual(110);
    const up = await listenOn(port);
    await rec.waitFor(() => rec.changes.length === 2, 3000);
    const n = rec.results.length;
    const ok = rec.results.slice(n - 3).map((r) => r.at);
    // The second and third successes came fastinter apart.
    expect((ok[2] ?? 0) - (ok[1] ?? 0)).toBeLessThan(100);
    await rec.waitFor(() => rec.results.length === n + 1, 2000);
    expect((rec.results[n]?.at ?? 0) - (ok[2] ?? 0)).toBeGreaterThanOrEqual(390);
    await up.close();
  });

  it('a backup server and the figures from the proxy go into the sentence', async () => {
    const port = await deadPort();
    const rec = record({
      figures: () => ({ active: 0, backup: 1, sessions: 3, requeued: 2, queued: 1 }),
    });
    checker = new HealthChecker([spec({ port, server: 'b1', backup: true })], rec.hooks);
    checker.start();
    await rec.waitFor(() => rec.logs.length >= 1);
    expect(rec.texts()[0]).toBe(
      'Backup Server be/b1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: _ms. 0 active and 1 backup servers left. Running on backup. 3 sessions active, 2 requeued, 1 remaining in queue.',
    );
  });

  it('spreads the first checks over the interval, in server order', async () => {
    const srv = await scripted(['close']);
    const rec = record();
    const specs = ['a', 'b', 'c', 'd'].map((server) => spec({ port: srv.port, server, inter: 200 }));
    const t0 = Date.now();
    checker = new HealthChecker(specs, rec.hooks);
    checker.start();
    await rec.waitFor(() => rec.results.length >= 4);
    expect(rec.results.slice(0, 4).map((r) => r.server)).toEqual(['a', 'b', 'c', 'd']);
    const d = (rec.results[3]?.at ?? 0) - t0;
    expect(d).toBeGreaterThanOrEqual(140);
    expect(d).toBeLessThan(260);
  });

  it('stop() ends checks stuck on a silent server at once and nothing is reported after it', async () => {
    const srv = await scripted(['hang']);
    const rec = record();
    checker = new HealthChecker([spec({ port: srv.port, inter: 5000, kind: { type: 'redis' } })], rec.hooks);
    checker.start();
    await rec.waitFor(() => checker?.state('be', 's1').check.running === true);
    const t0 = Date.now();
    await checker.stop();
    expect(Date.now() - t0).toBeLessThan(50);
    await sleep(50);
    expect(rec.results).toEqual([]);
    expect(checker.state('be', 's1').check.running).toBe(false);
  });

  it('times out a silent server with inter as the limit (no timeout check), and with timeout check once connected', async () => {
    const srv = await scripted(['hang']);
    const rec = record();
    checker = new HealthChecker(
      [
        spec({ port: srv.port, inter: 80, kind: { type: 'redis' } }),
        spec({ port: srv.port, server: 's2', inter: 1000, timeout: 50, kind: { type: 'redis' } }),
      ],
      rec.hooks,
    );
    checker.start();
    // s2's first check waits half of the smallest interval >= 1s (HAProxy's spreading).
    await rec.waitFor(() => rec.results.some((r) => r.server === 's2'));
    const by = (s: string) => rec.results.find((r) => r.server === s);
    expect(by('s1')).toMatchObject({ status: 'L7TOUT', info: '' });
    expect(by('s1')?.duration).toBeGreaterThanOrEqual(75);
    expect(by('s2')).toMatchObject({ status: 'L7TOUT' });
    expect(by('s2')?.duration).toBeLessThan(200);
  });
});
