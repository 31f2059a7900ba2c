// Servers whose checks come and go at run time (the runtime API's `add server` and
// `del server`): add() schedules the new checks on a running checker, remove() ends them;
// and a disabled check (an added server's, or after `disable health`) has no say when its
// server leaves maintenance, as in HAProxy.
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckerError, HealthChecker } from '../src/index.ts';
import { closeListeners, deadPort, record, scripted, sleep, spec } from './helpers.ts';

useTestkit();
let checker: HealthChecker | undefined;
afterEach(async () => {
  await checker?.stop();
  checker = undefined;
  await closeListeners();
});

describe('add() and remove()', () => {
  it('runs the checks of a server added to a running checker, and stops those of a removed one', async () => {
    const dead = await deadPort();
    const rec = record();
    checker = new HealthChecker([], rec.hooks);
    checker.start();
    checker.add(spec({ server: 'n1', port: dead, rise: 1, fall: 1, inter: 20 }));
    await rec.waitFor(() => rec.results.filter((r) => r.server === 'n1').length >= 2);
    expect(checker.state('be', 'n1').oper).toBe('down');
    expect(() => checker?.add(spec({ server: 'n1', port: dead }))).toThrow(CheckerError);
    checker.remove('be', 'n1');
    const seen = rec.results.length;
    await sleep(100);
    // nothing more of it, and it is gone
    expect(rec.results.length).toBe(seen);
    expect(() => checker?.state('be', 'n1')).toThrow(CheckerError);
    expect(checker.states()).toEqual([]);
  });

  it('leaves a disabled check out when the server leaves maintenance', async () => {
    const ok = await scripted(() => ({ answer: '' }));
    const rec = record();
    checker = new HealthChecker(
      [spec({ server: 'n1', port: ok.port, rise: 2, fall: 2, inter: 5000 })],
      rec.hooks,
    );
    checker.restore('be', 'n1', { oper: 'down', maint: true, drain: false, health: 0 });
    checker.setCheckEnabled('be', 'n1', false, false);
    checker.start();
    checker.setAdminState('be', 'n1', 'ready');
    const st = checker.state('be', 'n1');
    // up at once, its check's health untouched (0): the check is not enabled
    expect(st.oper).toBe('up');
    expect(st.check.health).toBe(0);
    expect(rec.texts()).toEqual(['Server be/n1 is UP/READY (leaving forced maintenance).']);
    // back into maintenance: a disabled check is not paused (HAProxy pauses an enabled one)
    checker.setAdminState('be', 'n1', 'maint');
    expect(checker.state('be', 'n1').check.paused).toBe(false);
    checker.setAdminState('be', 'n1', 'ready');
    checker.setCheckEnabled('be', 'n1', false, true);
    checker.setAdminState('be', 'n1', 'maint');
    expect(checker.state('be', 'n1').check.paused).toBe(true);
  });
});
