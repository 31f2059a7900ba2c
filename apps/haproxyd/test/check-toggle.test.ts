// `disable health` / `enable health`, `set server <b>/<s> health`, `disable agent` /
// `enable agent` and `set server <b>/<s> agent` on servers whose checks run: the same
// steps on the stats socket of HAProxy and haproxyd give the same answers, the same
// `show stat` status and check columns and the same `show servers state` fields.
import { join } from 'node:path';
import { type Binary, freePorts, requireHaproxy, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, waitUntil } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

function columns(csv: string, px: string, sv: string, names: readonly string[]): string[] {
  const lines = csv.split('\n');
  const head = lines[0]!.slice(2).split(',');
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    // "* " marks a check in progress at that instant: timing, not state
    if (c[0] === px && c[1] === sv) return names.map((n) => (c[head.indexOf(n)] ?? '?').replace(/^\* /, ''));
  }
  return [];
}

/** `show servers state` fields of one server, without the time since the last change. */
function stateFields(text: string, sv: string, port: number): string {
  const line = text.split('\n').find((l) => l.split(' ')[3] === sv) ?? '';
  const f = line.split(' ');
  // a check in progress at that instant (CHK_ST_INPROGRESS, bit 0) is timing, not state
  for (const i of [13, 14]) f[i] = String(Number(f[i]) & ~1);
  f.splice(9, 1);
  // the ports differ from run to run
  return f.join(' ').replaceAll(String(port), 'PORT');
}

describe('enable/disable health and agent, set server health/agent', () => {
  it('follow HAProxy', async () => {
    const run = async (binary: Binary) => {
      // nothing listens on these: the checks fail with a refused connection
      const [port, dead] = (await freePorts(2)) as [number, number];
      const sock = join(tempDir(), `${binary}-toggle.sock`);
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'backend be',
          `  server hc 127.0.0.1:${dead} check inter 200 rise 2 fall 3`,
          `  server ag 127.0.0.1:${dead} agent-check agent-port ${dead} agent-inter 200`,
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  default_backend be',
          '',
        ].join('\n'),
        `${binary}-toggle.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const cols = ['status', 'check_status', 'agent_status'];
      const trace: unknown[] = [];
      const snap = async (label: string, answer: string) => {
        const csv = await cli(sock, 'show stat');
        const state = await cli(sock, 'show servers state be');
        trace.push({
          label,
          answer,
          hc: columns(csv, 'be', 'hc', cols),
          ag: columns(csv, 'be', 'ag', cols),
          hcState: stateFields(state, 'hc', dead),
          agState: stateFields(state, 'ag', dead),
        });
      };
      try {
        await waitUntil('hc down by its check', async () => {
          const csv = await cli(sock, 'show stat');
          return (
            columns(csv, 'be', 'hc', cols)[1] === 'L4CON' && columns(csv, 'be', 'ag', cols)[2] === 'L4CON'
          );
        });
        await snap('disable health', await cli(sock, 'disable health be/hc'));
        await snap('set health up', await cli(sock, 'set server be/hc health up'));
        await snap('set health stopping', await cli(sock, 'set server be/hc health stopping'));
        await snap('set health down', await cli(sock, 'set server be/hc health down'));
        await snap('set health bad', await cli(sock, 'set server be/hc health maybe'));
        await snap('enable health', await cli(sock, 'enable health be/hc'));
        await snap('enable agent without one', await cli(sock, 'enable agent be/hc'));
        await snap('disable agent', await cli(sock, 'disable agent be/ag'));
        await snap('set agent up', await cli(sock, 'set server be/ag agent up'));
        await snap('set agent down', await cli(sock, 'set server be/ag agent down'));
        await snap('set agent up again', await cli(sock, 'set server be/ag agent up'));
        await snap('enable agent', await cli(sock, 'enable agent be/ag'));
        await snap('set enabled agent down', await cli(sock, 'set server be/ag agent down'));
        await snap('set enabled agent up', await cli(sock, 'set server be/ag agent up'));
        // an enabled health check runs again: the server goes back down
        await waitUntil('hc down again', async () => {
          const csv = await cli(sock, 'show stat');
          return columns(csv, 'be', 'hc', cols)[0] === 'DOWN';
        });
        return trace;
      } finally {
        await proxy.stop();
      }
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    // the steps did something: the forced states and the disabled check show
    const steps = Object.fromEntries(
      (want as { label: string; hc: string[]; ag: string[] }[]).map((s) => [s.label, s]),
    );
    expect(steps['set health up']?.hc[0]).toBe('no check');
    expect(steps['set health stopping']?.hc[0]).toBe('NOLB');
    expect(steps['enable health']?.hc[1]).toBe('L4CON');
    expect(steps['disable health']?.hc[1]).toBe('');
    expect(got).toEqual(want);
  }, 60_000);
});
