/**
 * Issue 8, systemd's protocol: the test plays systemd (Type=notify) by creating the unix
 * datagram socket named by $NOTIFY_SOCKET and reading the messages in order while the
 * master starts (READY=1, MAINPID=), reloads (RELOADING=1 then READY=1, for a valid and for
 * an invalid configuration) and stops (STOPPING=1). HAProxy 2.6 -Ws runs the same scenario.
 */

import { writeFileSync } from 'node:fs';
import { NotifyReceiver } from '@hap/master';
import { type Binary, freePorts, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlainBackend } from './master-harness.ts';
import { processesWith, waitGone } from './reload-harness.ts';

useTestkit();

const receivers: NotifyReceiver[] = [];
afterEach(() => {
  for (const r of receivers.splice(0)) r.close();
});

function config(port: number, backend: string, extra = ''): string {
  return `global
defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
${extra}  default_backend be
backend be
  server s1 ${backend}
`;
}

/** The next notification, as its KEY=VALUE pairs. */
async function next(r: NotifyReceiver): Promise<Record<string, string>> {
  const text = await r.next(15_000);
  if (text === null) throw new Error('no notification within 15 s');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

describe('-Ws: systemd notifications', () => {
  for (const binary of ['haproxyd', 'haproxy'] as const satisfies readonly Binary[]) {
    it(`${binary}: READY, RELOADING/READY (valid), RELOADING/READY (invalid), STOPPING, in order`, async () => {
      const backend = await startPlainBackend();
      const [port] = await freePorts(1);
      const cfg = writeConfig(config(port!, backend.addr), `notify-${binary}.cfg`);
      const r = new NotifyReceiver(`${tempDir()}/notify-${binary}.sock`);
      receivers.push(r);
      const proxy = await startProxy(binary, cfg, {
        baseArgs: ['-Ws'],
        readyPorts: [port!],
        readyTimeoutMs: 20_000,
        env: { NOTIFY_SOCKET: r.path },
      });
      const seen: Record<string, string>[] = [];
      /** reads notifications until one with `key` (READY or STOPPING) */
      const until = async (key: string) => {
        for (let i = 0; i < 10; i++) {
          const m = await next(r);
          seen.push(m);
          if (m[key] === '1') return m;
        }
        throw new Error(`no ${key}=1 in ${JSON.stringify(seen)}`);
      };
      const ready = await until('READY');
      expect(ready['MAINPID']).toBe(String(proxy.pid));

      // a valid change
      writeFileSync(cfg, config(port!, backend.addr, '  timeout client 12s\n'));
      proxy.signal('SIGUSR2');
      expect((await until('READY'))['MAINPID']).toBe(String(proxy.pid));

      // an invalid configuration: the reload fails, the service is still ready
      writeFileSync(cfg, config(port!, backend.addr, '  no-such-keyword here\n'));
      proxy.signal('SIGUSR2');
      await until('READY');

      proxy.signal('SIGTERM');
      await until('STOPPING');
      const st = await proxy.waitForExit(10_000);
      expect(st.code).toBe(0);
      // the states in order, repeats merged (HAProxy 2.6 re-executes its master at start and
      // twice per reload, each time saying RELOADING=1 again)
      const states = seen.map((m) =>
        m['READY'] ? 'READY' : m['RELOADING'] ? 'RELOADING' : m['STOPPING'] ? 'STOPPING' : '?',
      );
      const merged = states.filter((x, i) => i === 0 || x !== states[i - 1]);
      if (binary === 'haproxy' && merged[0] === 'RELOADING') merged.shift();
      expect(merged).toEqual(['READY', 'RELOADING', 'READY', 'RELOADING', 'READY', 'STOPPING']);
      if (binary === 'haproxyd') {
        // exactly one message per step, and haproxyd also says what it is doing
        expect(states).toEqual(merged);
        expect(seen.map((m) => m['STATUS'])).toEqual([
          'Ready.',
          'Reloading Configuration.',
          'Ready.',
          'Reloading Configuration.',
          'Reload failed, still running the previous configuration.',
          'Stopping.',
        ]);
        expect(seen[1]!['MONOTONIC_USEC']).toMatch(/^\d+$/);
      }
      for (const pid of processesWith(cfg)) await waitGone(pid, 5000);
      expect(processesWith(cfg)).toEqual([]);
      expect(r.receive()).toBeNull();
    }, 60_000);
  }
});
