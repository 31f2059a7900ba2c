// The server state machine outside plain checks: agent replies, the runtime API's admin
// states and weights, observe/on-error, slowstart and on-marked-* flags in the events.
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckerError, HealthChecker, parseAgentReply, parseWeight } from '../src/index.ts';
import { closeListeners, deadPort, record, scripted, sleep, spec } from './helpers.ts';

useTestkit();
let checker: HealthChecker | undefined;
afterEach(async () => {
  await checker?.stop();
  checker = undefined;
  await closeListeners();
});

describe('agent replies', () => {
  it('parses words in any order, the last of a kind winning, and a description after #', () => {
    expect(parseAgentReply('75%, drain up # all good')).toEqual({
      health: 'up',
      admin: 'drain',
      weight: '75%',
      maxconn: undefined,
      error: undefined,
      description: 'all good',
    });
    expect(parseAgentReply('DOWN\tmaxconn:30 ready junk more')).toMatchObject({
      health: 'DOWN',
      admin: 'ready',
      maxconn: '30',
      error: 'junk',
    });
    expect(parseWeight('75%', 20)).toBe(15);
    expect(parseWeight('50%', 1)).toBe(0);
    expect(parseWeight('300', 1)).toBe('Absolute weight can only be between 0 and 256 inclusive.');
    expect(parseWeight('-5%', 1)).toBe('Relative weight must be positive.');
    expect(parseWeight('7x', 1)).toBe('Trailing garbage in weight string');
  });

  it('drives the server: down/up, drain/ready, weight, maint, maxconn', async () => {
    const agent = await scripted(
      ['up', 'down', 'up', 'drain 50%', 'ready maxconn:7', 'maint', 'ready', 'foo'].map((l) => ({
        answer: `${l}\n`,
      })),
    );
    const rec = record();
    checker = new HealthChecker(
      [
        spec({
          port: agent.port,
          check: false,
          weight: 10,
          agent: { addr: '127.0.0.1', port: agent.port, inter: 30, send: 'hello\n' },
        }),
      ],
      rec.hooks,
    );
    checker.start();
    await rec.waitFor(() => rec.results.filter((r) => r.agent).length >= 8);
    expect(agent.received[0]?.toString()).toBe('hello\n');
    expect(
      rec.changes.map(
        (c) => `${c.cause}:${c.current.effective}/${c.current.weight}/${c.current.maxconn ?? '-'}`,
      ),
    ).toEqual([
      'agent-check:down/10/-',
      'agent-check:up/10/-',
      'agent-check:drain/10/-',
      'agent-check:drain/5/-',
      'agent-check:up/5/-',
      'agent-check:up/5/7',
      'agent-check:maint/5/7',
      'agent-check:up/5/7',
    ]);
    expect(rec.texts()).toEqual([
      'Server be/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via agent : down", check duration: _ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'backend be has no server available!',
      'Server be/s1 is UP, reason: Layer7 check passed, code: 0, info: "via agent : up", check duration: _ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server be/s1 enters drain state. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'backend be has no server available!',
      'Server be/s1 remains in forced drain mode.',
      'Server be/s1 is UP (leaving forced drain).',
      'Server be/s1 is going DOWN for maintenance. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'backend be has no server available!',
      'Server be/s1 is UP/READY (leaving forced maintenance).',
    ]);
    expect(rec.results.at(-1)).toMatchObject({ status: 'CHECKED', info: 'agent reports an error : foo' });
  });

  it('an unreachable agent changes nothing', async () => {
    const dead = await deadPort();
    const srv = await scripted(['close']);
    const rec = record();
    checker = new HealthChecker(
      [spec({ port: srv.port, agent: { addr: '127.0.0.1', port: dead, inter: 20 } })],
      rec.hooks,
    );
    checker.start();
    await rec.waitFor(() => rec.results.filter((r) => r.agent).length >= 3);
    expect(rec.changes).toEqual([]);
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'up', agent: { status: 'L4CON', health: 1 } });
  });
});

describe('runtime API', () => {
  it('admin states and weights, with HAProxy sentences and errors', async () => {
    const srv = await scripted(['close']);
    const rec = record();
    checker = new HealthChecker(
      [
        spec({ port: srv.port, inter: 5000, onMarkedDown: 'shutdown-sessions', slowstart: 3000 }),
        spec({ port: srv.port, server: 's2', inter: 5000, weight: 4 }),
      ],
      rec.hooks,
    );
    checker.start();
    checker.setAdminState('be', 's1', 'drain');
    checker.setWeight('be', 's1', 3);
    checker.setAdminState('be', 's1', 'maint');
    checker.setAdminState('be', 's1', 'ready');
    checker.setWeight('be', 's2', '50%');
    expect(() => checker?.setWeight('be', 's2', '300')).toThrow(CheckerError);
    expect(() => checker?.setAdminState('be', 'nope', 'ready')).toThrow(/no such server: be\/nope/);
    expect(rec.texts()).toEqual([
      'Server be/s1 enters drain state. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server be/s1 remains in forced drain mode.',
      'Server be/s1 is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'Server be/s1 is UP/READY (leaving forced maintenance).',
    ]);
    expect(rec.logs[2]?.level).toBe('notice');
    const down = rec.changes.find((c) => c.current.admin === 'maint');
    expect(down).toMatchObject({ shutdownSessions: true, current: { oper: 'down', effective: 'maint' } });
    const back = rec.changes.find((c) => c.previous.admin === 'maint');
    expect(back).toMatchObject({ slowstart: 3000, current: { oper: 'up', effective: 'up', weight: 3 } });
    expect(checker.state('be', 's2')).toMatchObject({ weight: 2, initialWeight: 4 });
    expect(checker.state('be', 's1').check).toMatchObject({ health: 2, paused: false });
  });

  it('a disabled server starts in maintenance with its check paused', async () => {
    const srv = await scripted(['close']);
    const rec = record();
    checker = new HealthChecker([spec({ port: srv.port, disabled: true, inter: 20 })], rec.hooks);
    checker.start();
    await new Promise((r) => setTimeout(r, 80));
    expect(rec.results).toEqual([]);
    expect(checker.state('be', 's1')).toMatchObject({
      text: 'MAINT',
      effective: 'maint',
      check: { paused: true },
    });
    checker.setAdminState('be', 's1', 'ready');
    expect(rec.texts()).toEqual(['Server be/s1 is UP/READY (leaving forced maintenance).']);
    await rec.waitFor(() => rec.results.length > 0);
  });
});

describe('runtime API: disable/enable checks, forced health and agent results', () => {
  it('a disabled check runs no probe; a forced health moves the server with "changed from CLI"', async () => {
    const port = await deadPort();
    const rec = record();
    checker = new HealthChecker([spec({ port, inter: 20, rise: 2, fall: 3 })], rec.hooks);
    checker.start();
    await rec.waitFor(() => checker?.state('be', 's1').oper === 'down');
    checker.setCheckEnabled('be', 's1', false, false);
    const seen = rec.results.length;
    await sleep(120);
    // no probe while disabled
    expect(rec.results.length).toBe(seen);
    expect(checker.state('be', 's1')).toMatchObject({ text: 'DOWN', check: { enabled: false } });
    checker.forceHealth('be', 's1', 'up');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'up', text: 'no check', check: { health: 4 } });
    checker.forceHealth('be', 's1', 'stopping');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'stopping', text: 'NOLB' });
    checker.forceHealth('be', 's1', 'down');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'down', check: { health: 0 } });
    expect(rec.texts().filter((t) => t.includes('changed from CLI'))).toEqual([
      'Server be/s1 is UP, changed from CLI. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server be/s1 is stopping, changed from CLI. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server be/s1 is DOWN, changed from CLI. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ]);
    checker.forceHealth('be', 's1', 'up');
    checker.setCheckEnabled('be', 's1', false, true);
    // enabled again, the failing probes bring it down
    await rec.waitFor(() => checker?.state('be', 's1').oper === 'down');
    expect(rec.results.length).toBeGreaterThan(seen);
    expect(() => checker?.setCheckEnabled('be', 's1', true, false)).toThrow(CheckerError);
  });

  it('a forced agent result: down at once, up when the health check agrees', async () => {
    const port = await deadPort();
    const rec = record();
    checker = new HealthChecker(
      [spec({ port, check: false, agent: { addr: '127.0.0.1', port, inter: 5000 } })],
      rec.hooks,
    );
    checker.start();
    checker.forceAgent('be', 's1', 'down');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'down', agent: { health: 0 } });
    checker.forceAgent('be', 's1', 'up');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'up' });
    expect(rec.texts()).toEqual([
      'Server be/s1 is DOWN, changed from CLI. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'backend be has no server available!',
      'Server be/s1 is UP, changed from CLI. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    ]);
    expect(() => checker?.forceAgent('be', 'nope', 'up')).toThrow(CheckerError);
  });

  it('a forced health on a server with only an agent: the unconfigured check counter and the state', async () => {
    const port = await deadPort();
    const rec = record();
    checker = new HealthChecker(
      [spec({ port, check: false, rise: 2, fall: 3, agent: { addr: '127.0.0.1', port, inter: 5000 } })],
      rec.hooks,
    );
    checker.start();
    // HAProxy keeps a health counter for the check that is not configured: rise at first
    expect(checker.state('be', 's1').check).toMatchObject({ rise: 0, health: 2 });
    checker.forceHealth('be', 's1', 'down');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'down', check: { health: 0 } });
    checker.forceHealth('be', 's1', 'stopping');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'stopping', check: { health: 4 } });
    checker.forceHealth('be', 's1', 'up');
    expect(checker.state('be', 's1')).toMatchObject({ oper: 'up', check: { health: 4 } });
    expect(rec.texts()).toEqual([
      'Server be/s1 is DOWN, changed from CLI. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'backend be has no server available!',
      'Server be/s1 is stopping, changed from CLI. 0 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server be/s1 is UP, changed from CLI. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
    ]);
  });
});

describe('observe', () => {
  it('layer4 errors up to error-limit fail the check (fail-check), mark-down goes down at once', async () => {
    const srv = await scripted(['close']);
    const rec = record();
    checker = new HealthChecker(
      [
        spec({
          port: srv.port,
          inter: 5000,
          fall: 3,
          observe: 'layer4',
          errorLimit: 2,
          logHealthChecks: true,
        }),
        spec({
          port: srv.port,
          server: 's2',
          inter: 5000,
          fall: 3,
          observe: 'layer4',
          errorLimit: 1,
          onError: 'mark-down',
        }),
      ],
      rec.hooks,
    );
    checker.observe('be', 's1', 'l4-error');
    checker.observe('be', 's1', 'http-status');
    checker.observe('be', 's1', 'l4-error');
    checker.observe('be', 's2', 'l4-error');
    expect(rec.texts()).toEqual([
      'Health check for server be/s1 failed, reason: Health analyze, info: "Detected 2 consecutive errors, last one was: L4 unsuccessful connection", status: 0/2 DOWN.',
      'Server be/s1 is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'Server be/s2 is DOWN, reason: Health analyze, info: "Detected 1 consecutive errors, last one was: L4 unsuccessful connection". 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'backend be has no server available!',
    ]);
    expect(rec.changes.every((c) => c.cause === 'observe')).toBe(true);
  });
});

describe('restore(): a state carried over from a previous process', () => {
  it('a DOWN server stays DOWN, silently, until rise checks pass; maintenance pauses its check', async () => {
    const rec = record();
    const up = await scripted(() => 'hang');
    checker = new HealthChecker(
      [spec({ port: up.port }), spec({ server: 's2', port: await deadPort() })],
      rec.hooks,
    );
    checker.restore('be', 's1', {
      oper: 'down',
      health: 0,
      maint: false,
      drain: false,
      weight: 7,
      status: 'L4CON',
    });
    checker.restore('be', 's2', { oper: 'down', health: 0, maint: true, drain: false });
    expect(checker.state('be', 's1')).toMatchObject({
      oper: 'down',
      weight: 7,
      effective: 'down',
      text: 'DOWN',
    });
    expect(checker.state('be', 's1').check).toMatchObject({ health: 0, status: 'L4CON', paused: false });
    expect(checker.state('be', 's2')).toMatchObject({ admin: 'maint', effective: 'maint' });
    expect(checker.state('be', 's2').check.paused).toBe(true);
    // restoring says nothing and tells the proxy nothing: the caller applies state() itself
    expect(rec.logs).toEqual([]);
    expect(rec.changes).toEqual([]);
    checker.start();
    // s1's server answers: UP after rise (2) checks, with one UP sentence and no DOWN before
    await rec.waitFor(() => rec.changes.some((c) => c.server === 's1' && c.current.oper === 'up'));
    const s1 = rec.logs.filter((l) => l.server === 's1').map((l) => l.text);
    expect(s1).toHaveLength(1);
    expect(s1[0]).toMatch(/^Server be\/s1 is UP/);
    expect(rec.results.filter((r) => r.server === 's1' && r.status === 'L4OK').length).toBeGreaterThanOrEqual(
      2,
    );
    expect(checker.state('be', 's1').weight).toBe(7);
    // s2 stays in maintenance: its check does not run
    expect(rec.results.filter((r) => r.server === 's2')).toEqual([]);
  });
});
