// HTTP compression (`compression algo|type|offload`, `filter compression`) compared with
// HAProxy 2.6: the same requests through both, answered by the same real server. Heads must
// be equal (which responses are compressed, chunked framing, Vary, Content-Encoding, weak
// ETag), bodies equal once decoded (the compressed bytes differ: another deflate encoder),
// a streamed body must reach the client part by part, and `show stat` counts the same
// compressed responses and bytes fed to the compressor.
import { request } from 'node:http';
import * as zlib from 'node:zlib';
import { type Binary, requireHaproxy, startHttpBackend, startProxy } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, httpConfigWithSocket } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

const BODY = 'hello world '.repeat(200);

interface Answer {
  status: number;
  head: string[];
  body: string;
  wire: number;
}

/** One request; the body decoded by its Content-Encoding, the head without Date. */
function get(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const enc = res.headers['content-encoding'];
        const body = enc === 'gzip' ? zlib.gunzipSync(raw) : enc === 'deflate' ? zlib.inflateSync(raw) : raw;
        const head: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const n = res.rawHeaders[i]!.toLowerCase();
          if (n !== 'date') head.push(`${n}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({ status: res.statusCode ?? 0, head, body: body.toString('latin1'), wire: raw.length });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The server: the query says what to answer. */
async function origin() {
  const seen: string[] = [];
  const server = await startHttpBackend((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const q = (k: string) => u.searchParams.get(k);
    seen.push(`${u.pathname} ae=${req.headers['accept-encoding'] ?? '-'}`);
    const h: Record<string, string> = { 'content-type': q('ct') ?? 'text/html; charset=utf-8' };
    for (const [k, name] of [
      ['etag', 'etag'],
      ['cc', 'cache-control'],
      ['ce', 'content-encoding'],
      ['vary', 'vary'],
    ] as const) {
      const v = q(k);
      if (v !== null) h[name] = v;
    }
    const status = Number(q('st') ?? 200);
    if (u.pathname === '/stream') {
      // a first part, then the rest once the client could decode something of it
      res.writeHead(status, h);
      res.write(BODY.slice(0, 600));
      const wait = setInterval(() => {
        if (streamed.has(u.search)) {
          clearInterval(wait);
          res.end(BODY.slice(600));
        }
      }, 10);
      return;
    }
    if (q('chunked') !== null) {
      res.writeHead(status, h);
      res.write(BODY.slice(0, 100));
      res.end(BODY.slice(100));
      return;
    }
    h['content-length'] = String(Buffer.byteLength(BODY));
    res.writeHead(status, h);
    res.end(req.method === 'HEAD' ? undefined : BODY);
  });
  return { server, seen };
}

/** Streamed requests of which the client decoded something. */
const streamed = new Set<string>();

/** Reads a streamed response until something of it decodes, then lets the server finish. */
function streamedGet(
  port: number,
  search: string,
): Promise<{ firstPart: string; body: string; wire: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/stream${search}`,
        headers: { 'accept-encoding': 'gzip' },
        agent: false,
      },
      (res) => {
        const gunzip = zlib.createGunzip();
        let wire = 0;
        res.on('data', (c: Buffer) => {
          wire += c.length;
        });
        let text = '';
        let firstPart = '';
        gunzip.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (firstPart === '') {
            firstPart = text;
            streamed.add(search);
          }
        });
        gunzip.on('end', () => resolve({ firstPart, body: text, wire }));
        gunzip.on('error', reject);
        res.pipe(gunzip);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const CASES: ReadonlyArray<[string, Record<string, string>, string?]> = [
  ['/plain', { 'accept-encoding': 'gzip, deflate' }],
  ['/plain', { 'accept-encoding': 'deflate' }],
  ['/plain', { 'accept-encoding': 'gzip;q=0, deflate' }],
  ['/plain', { 'accept-encoding': '*' }],
  ['/plain', { 'accept-encoding': 'br, deflate, gzip' }],
  ['/plain', { 'accept-encoding': 'GZIP' }],
  ['/plain', { 'accept-encoding': 'gzip; q=0' }],
  ['/plain', { 'accept-encoding': 'x-gzip' }],
  ['/plain', {}],
  ['/plain', { 'accept-encoding': 'gzip' }, 'HEAD'],
  ['/plain', { 'accept-encoding': 'gzip', 'user-agent': 'Mozilla/4.0 (compatible)' }],
  ['/plain', { 'accept-encoding': 'gzip', 'user-agent': 'Mozilla/4.0 (compatible; MSIE 7.0)' }],
  ['/plain?etag=%22abc%22', { 'accept-encoding': 'gzip' }],
  ['/plain?etag=W/%22abc%22', { 'accept-encoding': 'gzip' }],
  ['/plain?etag=abc', { 'accept-encoding': 'gzip' }],
  ['/plain?cc=private,%20no-transform', { 'accept-encoding': 'gzip' }],
  ['/plain?ce=br', { 'accept-encoding': 'gzip' }],
  ['/plain?ct=text/css', { 'accept-encoding': 'gzip' }],
  ['/plain?ct=TEXT/PLAIN', { 'accept-encoding': 'gzip' }],
  ['/plain?ct=multipart/mixed', { 'accept-encoding': 'gzip' }],
  ['/plain?st=201', { 'accept-encoding': 'gzip' }],
  ['/plain?st=404', { 'accept-encoding': 'gzip' }],
  ['/plain?chunked=1', { 'accept-encoding': 'gzip' }],
  ['/plain?vary=Cookie', { 'accept-encoding': 'gzip' }],
  // the backend's settings: its own types, and offload
  ['/api/x?ct=application/json', { 'accept-encoding': 'gzip' }],
  ['/api/x?ct=text/html', { 'accept-encoding': 'gzip' }],
];

describe('compression', () => {
  it('compresses the responses HAProxy compresses, with the same heads and counters', async () => {
    const { server, seen } = await origin();
    const run = async (binary: Binary) => {
      const { port, sock, cfg } = await httpConfigWithSocket(
        binary,
        'comp',
        ['compression algo gzip'],
        (p) => [
          'frontend fe',
          `  bind 127.0.0.1:${p}`,
          '  filter compression',
          '  compression algo deflate',
          '  compression type text/html text/plain',
          '  use_backend api if { path_beg /api }',
          '  default_backend web',
          'backend web',
          `  server s1 127.0.0.1:${server.port}`,
          'backend api',
          '  compression algo gzip',
          '  compression type application/json',
          '  compression offload',
          `  server s1 127.0.0.1:${server.port}`,
        ],
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      seen.length = 0;
      const answers: Answer[] = [];
      for (const [path, headers, method] of CASES) answers.push(await get(port, path, headers, method));
      const stream = await streamedGet(port, `?${binary}`);
      const stat = await cli(sock, 'show stat');
      await proxy.stop();
      const lines = stat.split('\n');
      const names = lines[0]!.slice(2).split(',');
      const col = (px: string, sv: string, name: string) =>
        lines.find((l) => l.startsWith(`${px},${sv},`))!.split(',')[names.indexOf(name)]!;
      const wire = answers.filter((a) =>
        a.head.some((h) => h.startsWith('content-encoding: g') || h.startsWith('content-encoding: d')),
      );
      return {
        answers: answers.map(({ wire: _w, ...a }) => a),
        stream,
        seen: [...seen],
        counters: ['fe/FRONTEND', 'web/BACKEND', 'api/BACKEND'].map((k) => {
          const [px, sv] = k.split('/') as [string, string];
          return `${k} in=${col(px, sv, 'comp_in')} rsp=${col(px, sv, 'comp_rsp')} byp=${col(px, sv, 'comp_byp')}`;
        }),
        compOut: Number(col('fe', 'FRONTEND', 'comp_out')),
        compressedWire: wire.reduce((n, a) => n + a.wire, 0),
      };
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    for (let i = 0; i < CASES.length; i++)
      expect({ case: CASES[i], ...got.answers[i] }).toEqual({ case: CASES[i], ...want.answers[i] });
    expect(got.seen).toEqual(want.seen);
    expect(got.counters).toEqual(want.counters);
    // comp_out: the compressed bytes sent (the encoders differ, so against our own output;
    // HAProxy's count is 2 bytes above what its clients received here)
    expect(got.compOut).toBe(got.compressedWire + got.stream.wire);
    // a streamed response: part of the first part decodes before the server sends the rest
    // (HAProxy gives what its encoder let out; haproxyd flushes each part whole)
    for (const r of [want, got]) {
      expect(r.stream.firstPart.length).toBeGreaterThan(0);
      expect(r.stream.firstPart.length).toBeLessThan(BODY.length);
      expect(r.stream.body).toBe(BODY);
    }
    expect(got.stream.firstPart).toBe(BODY.slice(0, 600));
    // what HAProxy does here, so that the comparison is not empty
    expect(want.answers[0]!.head).toContain('content-encoding: gzip');
    // the backend's algorithms (from its defaults section) win over the frontend's deflate
    expect(want.answers[1]!.head).toContain('content-length: 2400');
    expect(want.answers[8]!.head).toContain('content-length: 2400');
    expect(want.seen.at(-1)).toBe('/stream ae=gzip');
    expect(want.seen).toContain('/api/x ae=-');
  });
});
