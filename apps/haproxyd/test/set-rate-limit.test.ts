// `set rate-limit`: the usage answer for an unknown setting is HAProxy's (the settings
// themselves and their effects are in rate-limit.test.ts).
import { join } from 'node:path';
import { type Binary, freePorts, requireHaproxy, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

async function run<T>(binary: Binary, body: (sock: string) => Promise<T>): Promise<T> {
  const [port] = (await freePorts(1)) as [number];
  const sock = join(tempDir(), `${binary}-rate.sock`);
  const cfg = writeConfig(
    [
      'global',
      `  stats socket ${sock} level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '',
    ].join('\n'),
    `${binary}-rate.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  try {
    return await body(sock);
  } finally {
    await proxy.stop();
  }
}

describe('set rate-limit', () => {
  it('answers an unknown setting as HAProxy and is listed in help', async () => {
    const ask = async (sock: string) => ({
      bare: await cli(sock, 'set rate-limit'),
      half: await cli(sock, 'set rate-limit connections'),
      other: await cli(sock, 'set rate-limit requests global 5'),
      help: (await cli(sock, 'help')).split('\n').find((l) => l.includes('set rate-limit')),
    });
    const want = await run('haproxy', ask);
    const got = await run('haproxyd', ask);
    expect(want.bare).toContain("'set rate-limit' only supports :");
    expect(got).toEqual(want);
  }, 60_000);
});
