// The runtime API's address changes seen by the checker: `set server … addr` (the checks
// without an address / port of their own follow the server), `check-addr|check-port`,
// `agent-addr|agent-port` and `agent-send`, on real sockets on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { CheckerError, HealthChecker } from '../src/index.ts';
import { record, type Scripted, scripted, spec } from './helpers.ts';

let checker: HealthChecker | undefined;
const servers: Scripted[] = [];

afterEach(async () => {
  await checker?.stop();
  checker = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(reply: Parameters<typeof scripted>[0] = ['close']): Promise<Scripted> {
  const s = await scripted(reply);
  servers.push(s);
  return s;
}

/** Waits until `s` has had at least `n` connections. */
async function connections(rec: ReturnType<typeof record>, s: Scripted, n: number): Promise<void> {
  await rec.waitFor(() => s.received.length >= n);
}

describe('retargeting checks at run time', () => {
  it('a check without its own address and port follows the server to its new address', async () => {
    const a = await server();
    const b = await server();
    const rec = record();
    checker = new HealthChecker([spec({ port: a.port, inter: 30 })], rec.hooks);
    checker.start();
    await connections(rec, a, 1);
    expect(checker.state('be', 's1').check).toMatchObject({
      addr: undefined,
      port: 0,
      target: { addr: '127.0.0.1', port: a.port },
    });
    checker.setServerAddress('be', 's1', '127.0.0.1', b.port);
    expect(checker.state('be', 's1').check.target).toEqual({ addr: '127.0.0.1', port: b.port });
    await connections(rec, b, 2);
    const before = a.received.length;
    await connections(rec, b, 4);
    // at most the run that was in progress when the address changed went to the old one
    expect(a.received.length).toBeLessThanOrEqual(before + 1);
  });

  it('a check with its own port keeps it when the server moves; check-port and check-addr change it', async () => {
    const own = await server();
    const other = await server();
    const rec = record();
    checker = new HealthChecker(
      [spec({ port: own.port, serverPort: 1, ownPort: own.port, inter: 30 })],
      rec.hooks,
    );
    checker.start();
    checker.setServerAddress('be', 's1', '127.0.0.2', 2);
    // the address follows the server (no `addr`), the port is its own
    expect(checker.state('be', 's1').check).toMatchObject({
      port: own.port,
      target: { addr: '127.0.0.2', port: own.port },
    });
    checker.setCheckAddress('be', 's1', false, '127.0.0.1', other.port);
    expect(checker.state('be', 's1').check).toMatchObject({
      addr: '127.0.0.1',
      port: other.port,
      target: { addr: '127.0.0.1', port: other.port },
    });
    await connections(rec, other, 2);
    // 0.0.0.0 means "none" to HAProxy: the check goes to the server's address again
    checker.setCheckAddress('be', 's1', false, '0.0.0.0', undefined);
    expect(checker.state('be', 's1').check).toMatchObject({
      addr: '0.0.0.0',
      target: { addr: '127.0.0.2', port: other.port },
    });
    // port 0: the server's port again
    checker.setCheckAddress('be', 's1', false, undefined, 0);
    expect(checker.state('be', 's1').check.target).toEqual({ addr: '127.0.0.2', port: 2 });
  });

  it('agent-addr, agent-port and agent-send change where the agent goes and what it is sent', async () => {
    const first = await server([{ answer: 'up\n' }]);
    const second = await server([{ answer: 'up\n' }]);
    const rec = record();
    checker = new HealthChecker(
      [
        spec({
          port: 80,
          check: false,
          agent: { addr: '127.0.0.1', port: first.port, inter: 30, send: 'one\n' },
        }),
      ],
      rec.hooks,
    );
    checker.start();
    await connections(rec, first, 1);
    await rec.waitFor(() => first.received.some((b) => b.toString() === 'one\n'));
    checker.setAgentSend('be', 's1', 'two\n');
    checker.setCheckAddress('be', 's1', true, '127.0.0.1', second.port);
    expect(checker.state('be', 's1').agent).toMatchObject({
      addr: '127.0.0.1',
      port: second.port,
      target: { addr: '127.0.0.1', port: second.port },
    });
    await rec.waitFor(() => second.received.filter((b) => b.toString() === 'two\n').length >= 2);
    // with an address and a port of its own, the agent stays where it is when the server moves
    checker.setServerAddress('be', 's1', '127.0.0.3', 8080);
    expect(checker.state('be', 's1').agent?.target).toEqual({ addr: '127.0.0.1', port: second.port });
    expect(() => checker?.setAgentSend('be', 'nope', 'x')).toThrow(CheckerError);
  });

  it('an address change for a check that does not exist is refused', async () => {
    const rec = record();
    checker = new HealthChecker([spec({ port: 80, check: true })], rec.hooks);
    expect(() => checker?.setCheckAddress('be', 's1', true, '127.0.0.1', 1)).toThrow(
      /no agent check on be\/s1/,
    );
    expect(() => checker?.setAgentSend('be', 's1', 'x')).toThrow(/no agent check on be\/s1/);
    expect(() => checker?.setServerAddress('be', 'nope', '127.0.0.1', 1)).toThrow(/no such server/);
  });
});
