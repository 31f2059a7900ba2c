// `-c` on a configuration that is valid but binds nothing: HAProxy says it will not start and
// exits with 2; a stats socket counts as a listener.
import { type Binary, requireHaproxy, writeConfig } from '@hap/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllRuns, runBinary } from './helpers.ts';

beforeAll(() => void requireHaproxy());
afterEach(() => killAllRuns());

const DEFAULTS = [
  'defaults',
  '  mode http',
  '  timeout client 1s',
  '  timeout server 1s',
  '  timeout connect 1s',
];

async function check(binary: Binary, cfg: string): Promise<{ code: number | null; stdout: string }> {
  const r = runBinary(binary, ['-c', '-f', cfg]);
  const { code } = await r.closed;
  return { code, stdout: r.stdout() };
}

describe('-c without a listener', () => {
  it.each([
    ['only a backend', [...DEFAULTS, 'backend be', '  server s1 127.0.0.1:80'], 2],
    [
      'a frontend without bind',
      [...DEFAULTS, 'frontend f', '  default_backend be', 'backend be', '  server s1 127.0.0.1:80'],
      2,
    ],
    [
      'a disabled frontend',
      [
        ...DEFAULTS,
        'frontend f',
        '  disabled',
        '  bind 127.0.0.1:1',
        '  default_backend be',
        'backend be',
        '  server s1 127.0.0.1:80',
      ],
      2,
    ],
    [
      'a stats socket alone',
      [
        'global',
        '  stats socket /tmp/hap-nolistener.sock',
        ...DEFAULTS,
        'backend be',
        '  server s1 127.0.0.1:80',
      ],
      0,
    ],
  ] as const)('%s: the same verdict as HAProxy', async (_what, lines, want) => {
    const cfg = writeConfig(`${lines.join('\n')}\n`, 'no-listener.cfg');
    const [h, d] = await Promise.all([check('haproxy', cfg), check('haproxyd', cfg)]);
    expect(h.code).toBe(want);
    expect(d).toEqual(h);
  });
});
