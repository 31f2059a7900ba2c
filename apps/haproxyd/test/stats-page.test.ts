// The stats page (`stats enable|uri|auth|admin|scope|hide-version`) and the Prometheus
// exporter (`http-request use-service prometheus-exporter`) served by haproxyd's own HTTP
// engine: over real sockets, compared with HAProxy 2.6 where its answer is the reference,
// and the exporter's text read by a Prometheus text-format parser.
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
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, start, statusOf } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

describe('stats page over HTTP', () => {
  it('serves the HTML page with the servers in their states, the csv equals show stat', async () => {
    const s = await start('haproxyd', ['stats enable', 'stats uri /stats', 'stats refresh 5s']);
    try {
      const page = await request(`http://127.0.0.1:${s.port}/stats`);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html');
      expect(page.headers['refresh']).toBe('5');
      expect(page.body).toContain('<title>Statistics Report for HAProxy on');
      // one table per proxy, with HAProxy's column groups
      for (const g of [
        'Queue',
        'Session rate',
        'Sessions',
        'Bytes',
        'Denied',
        'Errors',
        'Warnings',
        'Server',
      ])
        expect(page.body).toContain(`>${g}</th>`);
      expect(page.body).toMatch(
        /<tr class="active_up">.*<a class=lfsb href="#app\/web1">web1<\/a>.*UP<\/td>/,
      );
      expect(page.body).toMatch(
        /<tr class="active_down">.*<a class=lfsb href="#gone\/dead1">dead1<\/a>.*DOWN<\/td>/,
      );
      // not an admin page: no action form
      expect(page.body).not.toContain('<select name=action>');
      // the version is shown by default
      expect(page.body).toMatch(/<h1><a [^>]*>HAProxy version /);

      const csv = await request(`http://127.0.0.1:${s.port}/stats;csv;norefresh`);
      expect(csv.status).toBe(200);
      expect(csv.headers['refresh']).toBeUndefined();
      const shown = await cli(s.sock, 'show stat');
      expect(csv.body.split('\n')[0]).toBe(shown.split('\n')[0]);
      expect(statusOf(csv.body, 'app', 'web1')).toBe('UP');
      expect(statusOf(csv.body, 'gone', 'dead1')).toBe('DOWN');

      const json = await request(`http://127.0.0.1:${s.port}/stats;json`);
      expect(json.headers['content-type']).toBe('application/json');
      expect(Array.isArray(JSON.parse(json.body))).toBe(true);

      // `;up` hides the server that is DOWN
      const up = await request(`http://127.0.0.1:${s.port}/stats;up`);
      expect(up.body).toContain('href="#app/web1"');
      expect(up.body).not.toContain('href="#gone/dead1"');

      // a request outside the uri goes to the listen's (empty) backend: 503
      expect((await request(`http://127.0.0.1:${s.port}/other`)).status).toBe(503);
      // the frontend counts the intercepted requests
      const fe = (await cli(s.sock, 'show stat')).split('\n');
      const cols = fe[0]!.slice(2).split(',');
      const row = fe.find((l) => l.startsWith('stats,FRONTEND,'))!.split(',');
      expect(Number(row[cols.indexOf('intercepted')])).toBe(4);
    } finally {
      await s.stop();
    }
  });

  it('asks for credentials as HAProxy does (401 and its realm), and lets the right account in', async () => {
    const lines = ['stats uri /admin?stats', 'stats realm Private\\ Stats', 'stats auth ops:s3cret'];
    const answers = async (binary: Binary) => {
      const s = await start(binary, lines);
      try {
        const none = await request(`http://127.0.0.1:${s.port}/admin?stats`);
        const bad = await request(`http://127.0.0.1:${s.port}/admin?stats`, {
          headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` },
        });
        const good = await request(`http://127.0.0.1:${s.port}/admin?stats`, {
          headers: { authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` },
        });
        return {
          none: [none.status, none.headers['www-authenticate'], none.body],
          bad: bad.status,
          good: good.status,
          page: good.body.includes('Statistics Report'),
        };
      } finally {
        await s.stop();
      }
    };
    const want = await answers('haproxy');
    const got = await answers('haproxyd');
    expect(want.none[0]).toBe(401);
    expect(want.none[1]).toBe('Basic realm="Private Stats"');
    expect(got).toEqual(want);
  });

  it('stats scope limits the proxies shown; hide-version hides the version', async () => {
    const s = await start('haproxyd', [
      'stats uri /s',
      'stats scope app',
      'stats scope .',
      'stats hide-version',
    ]);
    try {
      const page = await request(`http://127.0.0.1:${s.port}/s`);
      expect(page.body).toContain('<a name="app"></a>');
      expect(page.body).toContain('<a name="stats"></a>');
      expect(page.body).not.toContain('<a name="gone"></a>');
      expect(page.body).not.toMatch(/HAProxy version/);
      // the Scope field narrows further
      const scoped = await request(`http://127.0.0.1:${s.port}/s;scope=ap`);
      expect(scoped.body).toContain('<a name="app"></a>');
      expect(scoped.body).not.toContain('<a name="stats"></a>');
    } finally {
      await s.stop();
    }
  });

  it('a POST without admin rights is denied; with them it changes the server and redirects as HAProxy', async () => {
    const post = async (binary: Binary, admin: boolean) => {
      const s = await start(binary, ['stats uri /st', ...(admin ? ['stats admin if TRUE'] : [])]);
      try {
        const r = await request(`http://127.0.0.1:${s.port}/st`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 's=web1&action=drain&b=app',
        });
        const after = statusOf(await cli(s.sock, 'show stat'), 'app', 'web1');
        const banner = await request(`http://127.0.0.1:${s.port}${r.headers['location']}`);
        const shown = /<p><div class=([a-z_]+)><a [^>]*>\[X\]<\/a> ([^<]*)/.exec(banner.body);
        // the other results: unknown server, some unknown, no server, unknown action, a form
        // longer than a buffer
        const others: (string | string[] | undefined)[] = [];
        for (const form of [
          's=nope&action=maint&b=app',
          's=web1&s=nope&action=ready&b=app',
          'action=maint&b=app',
          's=web1&action=bogus&b=app',
          `s=web1&action=maint&b=app&pad=${'x'.repeat(17000)}`,
        ]) {
          const o = await request(`http://127.0.0.1:${s.port}/st`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form,
          });
          others.push(o.headers['location']);
        }
        return { status: r.status, location: r.headers['location'], after, banner: shown?.slice(1), others };
      } finally {
        await s.stop();
      }
    };
    for (const admin of [false, true]) {
      const want = await post('haproxy', admin);
      const got = await post('haproxyd', admin);
      expect(want.status).toBe(303);
      expect(want.after).toBe(admin ? 'DRAIN' : 'UP');
      if (admin)
        expect(want.others).toEqual([
          '/st;st=ERRP',
          '/st;st=PART',
          '/st;st=NONE',
          '/st;st=ERRP',
          '/st;st=EXCD',
        ]);
      expect(got).toEqual(want);
    }
  });
});

describe('where the stats page is served', () => {
  it('in the frontend or the backend pass, after http-request rules and before redirects, as HAProxy', async () => {
    const app = await startHttpBackend((_req, res) => {
      res.writeHead(200, { 'content-length': 3 });
      res.end('app');
    });
    const run = async (binary: Binary) => {
      const [port] = (await freePorts(1)) as [number];
      const cfg = writeConfig(
        [
          'defaults',
          '  mode http',
          '  timeout connect 500ms',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend fe',
          `  bind 127.0.0.1:${port}`,
          '  http-request deny if { req.hdr(x-block) -m found }',
          '  http-request return status 204 if { path /fe-st/ret }',
          '  stats enable',
          '  stats uri /fe-st',
          '  use_backend be_stats if { path_beg /be-st }',
          '  default_backend app',
          'backend be_stats',
          '  http-request return status 202 if { path /be-st/ret }',
          '  stats enable',
          '  stats uri /be-st',
          '  redirect location /elsewhere if { path /be-st-redir }',
          'backend app',
          `  server a1 127.0.0.1:${app.port}`,
          '',
        ].join('\n'),
        `${binary}-stats-order.cfg`,
      );
      const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
      const out: Record<string, string> = {};
      try {
        const ask = async (name: string, path: string, o: Parameters<typeof request>[1] = {}) => {
          const r = await request(`http://127.0.0.1:${port}${path}`, o);
          out[name] = `${r.status} ${r.body.includes('Statistics Report') ? 'page' : r.body.slice(0, 3)}`;
        };
        await ask('frontend page', '/fe-st');
        await ask('frontend rule first', '/fe-st/ret');
        await ask('denied before the page', '/fe-st', { headers: { 'x-block': '1' } });
        await ask('other method to the backend', '/fe-st', { method: 'PUT' });
        await ask('backend page', '/be-st');
        await ask('backend rule first', '/be-st/ret');
        await ask('page before redirect', '/be-st-redir');
        await ask('app', '/x');
      } finally {
        await proxy.stop();
      }
      return out;
    };
    const want = await run('haproxy');
    const got = await run('haproxyd');
    expect(want['frontend page']).toBe('200 page');
    expect(want['backend page']).toBe('200 page');
    expect(got).toEqual(want);
  });
});

describe('prometheus exporter', () => {
  it('HAProxy metric families in the text format, the same names as HAProxy 2.6', async () => {
    const scrape = async (binary: Binary) => {
      const s = await start(
        binary,
        [],
        ['http-request use-service prometheus-exporter if { path /metrics }'],
      );
      try {
        const r = await request(`http://127.0.0.1:${s.port}/metrics`);
        return { status: r.status, type: r.headers['content-type'], text: r.body };
      } finally {
        await s.stop();
      }
    };
    const want = await scrape('haproxy');
    const got = await scrape('haproxyd');
    expect(got.status).toBe(200);
    expect(got.type).toBe(want.type);
    // a Prometheus text-format parser reads every family
    const families = parsePrometheusTextFormat(got.text) as {
      name: string;
      type: string;
      metrics: { labels?: Record<string, string> }[];
    }[];
    const wanted = parsePrometheusTextFormat(want.text) as typeof families;
    const names = new Set(families.map((f) => f.name));
    for (const prefix of ['haproxy_process_', 'haproxy_frontend_', 'haproxy_backend_', 'haproxy_server_'])
      expect([...names].some((n) => n.startsWith(prefix))).toBe(true);
    // every line has a HELP and a TYPE
    for (const f of families) {
      expect(got.text).toContain(`# HELP ${f.name} `);
      expect(got.text).toContain(`# TYPE ${f.name} ${f.type.toLowerCase()}`);
    }
    // the same metric names as HAProxy 2.6.12's exporter for this configuration
    expect([...names].sort()).toEqual(wanted.map((f) => f.name).sort());
    // the same label names per family, and the same proxies and servers
    const labelsOf = (fs: typeof families) =>
      Object.fromEntries(
        fs.map((f) => [
          f.name,
          [
            ...new Set(
              f.metrics.flatMap((m) =>
                Object.entries(m.labels ?? {})
                  .filter(([k]) => k !== 'version')
                  .map(([k, v]) => `${k}=${k === 'state' || k === 'code' ? '' : v}`),
              ),
            ),
          ].sort(),
        ]),
      );
    expect(labelsOf(families)).toEqual(labelsOf(wanted));
    const state = families.find((f) => f.name === 'haproxy_server_status')!;
    const up = state.metrics.find((m) => m.labels?.['server'] === 'web1' && m.labels?.['state'] === 'UP') as
      | { value: string }
      | undefined;
    expect(up?.value).toBe('1');
  });
});
