// End-to-end: `balance` in real HAProxy 2.6 and in haproxyd, the same configuration, the same
// sequence of requests (one connection each): the same servers must answer, in the same order.
import {
  type Binary,
  freePorts,
  oneShot,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';

useTestkit();
beforeAll(() => void requireHaproxy());

interface Scenario {
  name: string;
  lines: string[];
  /** server line suffixes, one per server */
  servers: string[];
  requests: { path: string; host?: string }[];
}

const paths = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/p${i % 7}/x${i}?u=${i % 5}` }));

const SCENARIOS: Scenario[] = [
  {
    name: 'roundrobin, weights 3/2/1',
    lines: ['balance roundrobin'],
    servers: ['weight 3', 'weight 2', 'weight 1'],
    requests: paths(18),
  },
  {
    name: 'roundrobin with a backup and a weight-0 server',
    lines: [],
    servers: ['', 'weight 0', 'backup'],
    requests: paths(6),
  },
  {
    name: 'static-rr, weights 1/2',
    lines: ['balance static-rr'],
    servers: ['weight 1', 'weight 2'],
    requests: paths(9),
  },
  { name: 'uri (map-based)', lines: ['balance uri'], servers: ['', '', ''], requests: paths(14) },
  {
    name: 'uri whole, consistent',
    lines: ['balance uri whole', 'hash-type consistent'],
    servers: ['', '', ''],
    requests: paths(14),
  },
  { name: 'url_param u', lines: ['balance url_param u'], servers: ['', '', ''], requests: paths(10) },
  {
    name: 'hdr(host), consistent djb2',
    lines: ['balance hdr(host)', 'hash-type consistent djb2'],
    servers: ['', '', ''],
    requests: ['a', 'b', 'c', 'example.com', 'www.example.com', 'x.y', 'a', 'zz'].map((host) => ({
      path: '/',
      host,
    })),
  },
  { name: 'source', lines: ['balance source'], servers: ['', '', ''], requests: paths(4) },
];

async function sequence(binary: Binary, sc: Scenario, backends: { port: number }[]): Promise<string[]> {
  const [port] = (await freePorts(1)) as [number];
  const cfg = writeConfig(
    [
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      ...sc.lines.map((l) => `  ${l}`),
      ...sc.servers.map((o, i) => `  server s${i + 1} 127.0.0.1:${backends[i]!.port} ${o}`),
      '',
    ].join('\n'),
    `${binary}-${sc.name.replace(/\W+/g, '-')}.cfg`,
  );
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  const got: string[] = [];
  for (const r of sc.requests) got.push((await oneShot(port, { path: r.path, host: r.host ?? 'a' })).body);
  await proxy.stop();
  return got;
}

describe('balance: the same servers in the same order as HAProxy', () => {
  for (const sc of SCENARIOS) {
    it(sc.name, async () => {
      const backends = await Promise.all(
        sc.servers.map((_, i) =>
          startHttpBackend((_req, res) => {
            res.end(`s${i + 1}`);
          }),
        ),
      );
      const want = await sequence('haproxy', sc, backends);
      const got = await sequence('haproxyd', sc, backends);
      expect(got).toEqual(want);
      // the scenario means something: more than one server answered where weights allow it
      if (sc.name.startsWith('roundrobin, weights')) expect(new Set(want).size).toBe(3);
    });
  }
});
