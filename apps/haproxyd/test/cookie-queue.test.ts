// Cookie persistence on a full server: a request whose cookie names a server at its maxconn
// waits for that server in its own queue (HAProxy's server queue) and is served by it once
// the slot frees; `option redispatch` does not change that (HAProxy 2.6.12 waits too). Run
// against the real HAProxy 2.6 with the same configuration and the same sequence.
import {
  type Binary,
  freePorts,
  request,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

/** Two servers of maxconn 1 behind cookie persistence; s1 holds its requests until released. */
async function run(binary: Binary, redispatch: boolean) {
  const order: string[] = [];
  const held: (() => void)[] = [];
  const server = (name: string, hold: boolean) =>
    startHttpBackend((req, res) => {
      order.push(`${name}${req.url}`);
      const answer = () => {
        res.writeHead(200, { 'content-length': name.length, 'x-srv': name });
        res.end(name);
      };
      if (hold) held.push(answer);
      else answer();
    });
  const s1 = await server('s1', true);
  const s2 = await server('s2', false);
  const [port] = (await freePorts(1)) as [number];
  const cfg = writeConfig(
    [
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 20s',
      '  timeout server 20s',
      '  timeout queue 20s',
      ...(redispatch ? ['  option redispatch'] : []),
      'listen fe',
      `  bind 127.0.0.1:${port}`,
      '  balance roundrobin',
      '  cookie SRV insert indirect nocache',
      `  server s1 127.0.0.1:${s1.port} maxconn 1 cookie s1`,
      `  server s2 127.0.0.1:${s2.port} maxconn 1 cookie s2`,
      '',
    ].join('\n'),
    `${binary}-cookie-queue-${redispatch ? 'redisp' : 'plain'}.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  try {
    const get = (path: string) =>
      request(`http://127.0.0.1:${port}${path}`, { headers: { cookie: 'SRV=s1' }, timeoutMs: 30_000 });
    const first = get('/first');
    await waitUntil('the first request held by s1', async () => held.length === 1);
    const second = get('/second');
    // the second request names the full s1: it waits for it
    await new Promise((r) => setTimeout(r, 300));
    const beforeRelease = [...order];
    for (const release of held.splice(0)) release();
    const a = await first;
    await waitUntil('the second request answered', async () => order.length === 2);
    for (const release of held.splice(0)) release();
    const b = await second;
    return {
      beforeRelease,
      order,
      first: `${a.status} ${a.headers['x-srv']}`,
      second: `${b.status} ${b.headers['x-srv']}`,
    };
  } finally {
    for (const release of held.splice(0)) release();
    await proxy.stop();
  }
}

describe('cookie persistence and a full server', () => {
  it.each([
    ['without option redispatch', false],
    ['with option redispatch', true],
  ] as const)('%s the request waits for its server, as in HAProxy', async (_what, redispatch) => {
    const want = await run('haproxy', redispatch);
    const got = await run('haproxyd', redispatch);
    expect(want).toEqual({
      beforeRelease: ['s1/first'],
      order: ['s1/first', 's1/second'],
      first: '200 s1',
      second: '200 s1',
    });
    expect(got).toEqual(want);
  });
});
