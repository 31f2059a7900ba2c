// `show stat` counters after the same traffic through HAProxy 2.6 and haproxyd (same
// configuration, same requests): the deterministic columns must be equal — sessions and
// requests (stot, req_tot, lbtot), response classes (hrsp_*), connection errors and retries
// (econ, wretr, wredis), and bytes as HAProxy counts them (bin, bout) on the frontend, the
// backend and each server.
import net from 'node:net';
import { join } from 'node:path';
import {
  type Binary,
  freePorts,
  oneShot,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';

useTestkit();
beforeAll(() => void requireHaproxy());

/** One command on a unix stats socket. */
function cli(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let got = '';
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('close', () => resolve(got));
    s.write(`${text}\n`);
  });
}

const COLUMNS = [
  'stot',
  'req_tot',
  'lbtot',
  'hrsp_1xx',
  'hrsp_2xx',
  'hrsp_3xx',
  'hrsp_4xx',
  'hrsp_5xx',
  'hrsp_other',
  'econ',
  'wretr',
  'wredis',
  'bin',
  'bout',
];

function pick(csv: string): Record<string, Record<string, string>> {
  const lines = csv.split('\n').filter((l) => l !== '');
  const names = lines[0]!.slice(2).split(',');
  const out: Record<string, Record<string, string>> = {};
  for (const l of lines.slice(1)) {
    const cells = l.split(',');
    const r = Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
    out[`${r['pxname']}/${r['svname']}`] = Object.fromEntries(COLUMNS.map((c) => [c, r[c] ?? '']));
  }
  return out;
}

describe('show stat counters', () => {
  it('the same counters as HAProxy for the same traffic', async () => {
    const ok = await startHttpBackend((req, res) => {
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-length': 2 });
      res.end('ok');
    });
    const [dead] = (await freePorts(1)) as [number];
    const run = async (binary: Binary) => {
      const [port] = (await freePorts(1)) as [number];
      const sock = join(tempDir(), `${binary}.sock`);
      const cfg = writeConfig(
        [
          'global',
          `  stats socket ${sock} level admin`,
          'defaults',
          '  mode http',
          '  timeout connect 200ms',
          '  timeout client 5s',
          '  timeout server 5s',
          '  retries 2',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  http-request return status 403 if { path_beg /forbidden }',
          '  use_backend down if { path_beg /down }',
          '  default_backend be',
          'backend be',
          '  balance roundrobin',
          `  server s1 127.0.0.1:${ok.port}`,
          `  server s2 127.0.0.1:${ok.port}`,
          'backend down',
          `  server d1 127.0.0.1:${dead}`,
          '',
        ].join('\n'),
        `${binary}-counters.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const statuses: number[] = [];
      for (const p of ['/a', '/b', '/missing', '/c', '/forbidden', '/d', '/down', '/missing2'])
        statuses.push((await oneShot(port, { path: p })).status);
      const csv = await cli(sock, 'show stat');
      await proxy.stop();
      return { statuses, counters: pick(csv) };
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(got.statuses).toEqual(want.statuses);
    expect(want.statuses).toEqual([200, 200, 404, 200, 403, 200, 503, 404]);
    for (const key of ['fe/FRONTEND', 'be/BACKEND', 'be/s1', 'be/s2', 'down/BACKEND', 'down/d1'])
      expect({ key, ...got.counters[key] }).toEqual({ key, ...want.counters[key] });
  });
});
