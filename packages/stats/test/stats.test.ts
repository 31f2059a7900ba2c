// The renderers on a small snapshot (1 frontend, 1 backend, 2 servers), the counters'
// helpers, the status texts, and the Prometheus output read back by a strict parser.
import { describe, expect, it } from 'vitest';
import {
  averageTime,
  COLUMN_INDEX,
  collectStats,
  countHttpStatus,
  csvHeader,
  FreqCounter,
  ProxyCounters,
  type ProxyState,
  processInfo,
  recordTimes,
  renderCsv,
  renderJson,
  renderPrometheus,
  renderTyped,
  ServerCounters,
  type ServerState,
  SRV_ADMF,
  STAT_COLUMNS,
  STATIC_COLUMNS,
  type StatsSource,
  serverStatusText,
  showInfo,
  showServersState,
  showStat,
} from '../src/index.ts';
import { parseExposition } from './exposition.ts';

const NOW = 1_700_000_000_000;

function srv(id: number, name: string, extra: Partial<ServerState> = {}): ServerState {
  return {
    name,
    id,
    counters: new ServerCounters(),
    opState: 'running',
    weight: 1,
    uweight: 1,
    scur: 0,
    qcur: 0,
    lastChange: NOW / 1000 - 30,
    addr: `10.0.0.${id}:80`,
    ...extra,
  };
}

function snapshot() {
  const fe = new ProxyCounters();
  const be = new ProxyCounters();
  const servers = [
    srv(1, 'web1', { check: { status: 'L7OK', code: 200, duration: 3, rise: 2, fall: 3, health: 4 } }),
    srv(2, 'web2'),
  ];
  const proxies: ProxyState[] = [
    { name: 'www', id: 1, mode: 'http', frontend: { counters: fe, scur: 2, maxconn: 100 } },
    {
      name: 'app',
      id: 2,
      mode: 'http',
      backend: {
        counters: be,
        scur: 2,
        qcur: 0,
        fullconn: 10,
        algo: 'roundrobin',
        weight: 2,
        act: 2,
        bck: 0,
        lastChange: NOW / 1000 - 60,
        downtime: 0,
        chkdown: 0,
      },
      servers,
    },
  ];
  const source: StatsSource = {
    info: () =>
      processInfo({
        name: 'haproxyd',
        version: '0.1.0',
        releaseDate: '2026/01/01',
        startedAt: NOW - 90_500,
        now: NOW,
      }),
    proxies: () => proxies,
  };
  return { fe, be, servers, source };
}

const cell = (line: string, name: string) => {
  const i = COLUMN_INDEX.get(name)!;
  return line.split(',')[i >= STATIC_COLUMNS ? i + 1 : i];
};

describe('the column table', () => {
  it('declares every 2.6 column once, in order, with a kind and a type', () => {
    expect(STAT_COLUMNS).toHaveLength(127);
    expect(new Set(STAT_COLUMNS.map((c) => c.name)).size).toBe(127);
    STAT_COLUMNS.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(Object.keys(c.kinds).length).toBeGreaterThan(0);
      for (const k of c.prometheus?.kinds ?? []) expect(c.kinds[k]).toBeDefined();
      expect(c.module === null).toBe(i < STATIC_COLUMNS);
    });
    expect(csvHeader()).toMatch(
      /^# pxname,svname,qcur,.*,agg_check_status,-,ssl_sess,.*,h1_spliced_bytes_out,\n$/,
    );
  });
});

describe('show stat on 1 frontend, 1 backend, 2 servers', () => {
  it('renders a header and one line per object, each with every field', () => {
    const { source } = snapshot();
    const lines = showStat(source, [], { now: NOW }).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      '# pxname,svname',
      'www,FRONTEND',
      'app,web1',
      'app,web2',
      'app,BACKEND',
    ]);
    // 127 columns, the '-' separator and the empty cell after the trailing comma
    for (const l of lines) expect(l.split(',')).toHaveLength(STAT_COLUMNS.length + 2);
    for (const l of lines.slice(1)) expect(cell(l, 'pid')).toBe('1');
  });

  it('prints the counters where the proxy increments them', () => {
    const { fe, be, servers, source } = snapshot();
    const web1 = servers[0]!.counters;
    fe.conn_tot++; // accept
    fe.stot++; // session
    fe.sess_per_sec.add(NOW);
    fe.req_tot++;
    countHttpStatus(fe, 200);
    countHttpStatus(fe, 503);
    countHttpStatus(fe, -1);
    be.stot++;
    be.lbtot++;
    web1.stot++;
    web1.lbtot++;
    web1.econ++; // connect failed
    web1.wretr++; // retried
    be.econ++;
    be.wretr++;
    countHttpStatus(web1, 200);
    countHttpStatus(be, 200);
    web1.req_tot++;
    recordTimes(web1, web1.req_tot, 0, 2, 40, 45);
    web1.last_sess = NOW / 1000 - 5;
    const [, www, w1, , app] = showStat(source, [], { now: NOW }).split('\n') as [
      string,
      string,
      string,
      string,
      string,
    ];
    expect([cell(www, 'stot'), cell(www, 'conn_tot'), cell(www, 'rate'), cell(www, 'req_tot')]).toEqual([
      '1',
      '1',
      '1',
      '1',
    ]);
    expect([cell(www, 'hrsp_2xx'), cell(www, 'hrsp_5xx'), cell(www, 'hrsp_other')]).toEqual(['1', '1', '1']);
    expect([cell(w1, 'econ'), cell(w1, 'wretr'), cell(w1, 'lbtot'), cell(w1, 'hrsp_2xx')]).toEqual([
      '1',
      '1',
      '1',
      '1',
    ]);
    expect([cell(w1, 'ctime'), cell(w1, 'rtime'), cell(w1, 'ttime'), cell(w1, 'rtime_max')]).toEqual([
      '2',
      '40',
      '45',
      '40',
    ]);
    expect([cell(w1, 'lastsess'), cell(w1, 'lastchg'), cell(w1, 'status'), cell(w1, 'check_code')]).toEqual([
      '5',
      '30',
      'UP',
      '200',
    ]);
    expect([cell(app, 'econ'), cell(app, 'wretr'), cell(app, 'status'), cell(app, 'lastsess')]).toEqual([
      '1',
      '1',
      'UP',
      '-1',
    ]);
  });

  it('typed: one line per present field, with HAProxy tags', () => {
    const { source } = snapshot();
    const typed = renderTyped(collectStats(source, { now: NOW }));
    expect(typed).toContain('F.1.0.0.pxname.1:KNS:str:www\n');
    expect(typed).toContain('S.2.1.37.check_code.1:MOP:u32:200\n');
    expect(typed).toContain('B.2.0.17.status.1:SGP:str:UP\n');
    for (const l of typed.trimEnd().split('\n'))
      expect(l).toMatch(/^[FBLS]\.\d+\.\d+\.\d+\.[a-z0-9_]+\.1:[A-Za-z]{3}:(u32|u64|s32|str):/);
  });

  it('json: an array of objects, each an array of typed fields', () => {
    const { source } = snapshot();
    const doc = JSON.parse(renderJson(collectStats(source, { now: NOW }))) as {
      objType: string;
      field: { name: string };
    }[][];
    expect(doc.map((o) => o[0]!.objType)).toEqual(['Frontend', 'Server', 'Server', 'Backend']);
    expect(doc[0]![0]).toEqual({
      objType: 'Frontend',
      proxyId: 1,
      id: 0,
      field: { pos: 0, name: 'pxname' },
      processNum: 1,
      tags: { origin: 'Key', nature: 'Name', scope: 'Service' },
      value: { type: 'str', value: 'www' },
    });
  });

  it('quotes a CSV string only when it must', () => {
    const { servers, source } = snapshot();
    (servers as ServerState[])[1] = srv(2, 'web2', { status: 'odd, "quoted"' });
    const line = renderCsv(collectStats(source, { now: NOW })).split('\n')[3]!;
    expect(line).toContain(',"odd, ""quoted""",');
  });
});

describe('server status texts', () => {
  const check = { status: 'L4OK', rise: 2, fall: 3, health: 4 } as const;
  it.each([
    [{}, 'no check'],
    [{ check }, 'UP'],
    [{ check: { ...check, health: 3 } }, 'UP 2/3'],
    [{ check: { ...check, health: 1 }, opState: 'stopped' }, 'DOWN 1/2'],
    [{ check: { ...check, health: 0 }, opState: 'stopped' }, 'DOWN'],
    [{ opState: 'stopped' }, 'DOWN'],
    [{ admin: SRV_ADMF.FMAINT, opState: 'stopped' }, 'MAINT'],
    [{ admin: SRV_ADMF.IMAINT, tracked: { proxy: 'be', server: 's1' } }, 'MAINT (via be/s1)'],
    [{ admin: SRV_ADMF.RMAINT }, 'MAINT (resolution)'],
    [{ admin: SRV_ADMF.FDRAIN, check }, 'DRAIN'],
    [{ admin: SRV_ADMF.FDRAIN, check: { ...check, health: 3 } }, 'DRAIN 2/3'],
    [{ admin: SRV_ADMF.FDRAIN, agent: check }, 'DRAIN (agent)'],
    [{ opState: 'stopping' }, 'NOLB'],
    [{ opState: 'stopping', check: { ...check, health: 3 } }, 'NOLB 2/3'],
    [{ opState: 'stopped', agent: { ...check, health: 0 }, check }, 'DOWN (agent)'],
  ] as [Partial<ServerState>, string][])('%j → %s', (extra, text) => {
    expect(serverStatusText(srv(1, 's', extra))).toBe(text);
  });
});

describe('counters', () => {
  it('FreqCounter gives events over the sliding last second', () => {
    const f = new FreqCounter();
    expect(f.add(10_000)).toBe(1);
    f.add(10_100, 9);
    expect(f.read(10_999)).toBe(10);
    // half-way into the next second, half of the previous one still counts
    expect(f.read(11_500)).toBe(5);
    expect(f.read(13_000)).toBe(0);
  });

  it('averages times over the requests seen, then over the last 1024', () => {
    const c = new ServerCounters();
    recordTimes(c, 1, 0, 10, 100, 120);
    recordTimes(c, 2, 0, 30, 300, 340);
    expect(averageTime(c.c_time, 2)).toBe(20);
    expect(averageTime(c.d_time, 2)).toBe(200);
    expect(c.ttime_max).toBe(340);
    recordTimes(c, 3, 0, -1, 0, 0); // never connected: not recorded
    expect(averageTime(c.c_time, 2)).toBe(20);
  });
});

describe('show info', () => {
  it('prints Name: value lines, typed and float variants', () => {
    const { source } = snapshot();
    const info = source.info();
    expect(showInfo(info, [])).toMatch(
      /^Name: haproxyd\nVersion: 0\.1\.0\nRelease_date: 2026\/01\/01\nNbthread: 1\n/,
    );
    expect(showInfo(info, [])).toContain('\nUptime: 0d 0h01m30s\nUptime_sec: 90\n');
    expect(showInfo({ ...info, Uptime_sec: 90.5 }, ['typed', 'float'])).toContain(
      '\n8.Uptime_sec.1:MDP:flt:90.5\n',
    );
    expect(showInfo(info, ['typed'])).toMatch(/^0\.Name\.1:POS:str:haproxyd\n/);
  });
});

describe('show servers state', () => {
  it('prints version 1, the column names and one line per server', () => {
    const { source } = snapshot();
    const lines = showServersState(source, { now: NOW }).split('\n');
    expect(lines[0]).toBe('1');
    expect(lines[1]!.split(' ')).toHaveLength(26);
    expect(lines[2]).toBe('2 app 1 web1 10.0.0.1 2 0 1 1 30 15 3 4 6 0 0 0 - 80 - 0 0 - - 0');
    expect(lines[3]).toBe('2 app 2 web2 10.0.0.2 2 0 1 1 30 1 0 2 0 0 0 0 - 80 - 0 0 - - 0');
  });
});

describe('Prometheus exposition', () => {
  it('is valid text format: every line parses, every metric has HELP and TYPE', () => {
    const { fe, source } = snapshot();
    countHttpStatus(fe, 404);
    const text = renderPrometheus(source, { now: NOW });
    const families = parseExposition(text);
    expect(families.length).toBeGreaterThan(100);
    for (const f of families) {
      expect(f.help).not.toBeNull();
      expect(['counter', 'gauge']).toContain(f.type);
      expect(f.name).toMatch(/^haproxy_(process|frontend|backend|server)_[a-z0-9_]+$/);
    }
    const byName = new Map(families.map((f) => [f.name, f]));
    const rsp = byName.get('haproxy_frontend_http_responses_total')!;
    expect(rsp.samples.map((s) => `${s.labels['code']}=${s.raw}`)).toEqual([
      '1xx=0',
      '2xx=0',
      '3xx=0',
      '4xx=1',
      '5xx=0',
      'other=0',
    ]);
    const status = byName.get('haproxy_server_status')!;
    expect(
      status.samples.filter((s) => s.value === 1).map((s) => `${s.labels['server']}:${s.labels['state']}`),
    ).toEqual(['web1:UP', 'web2:UP']);
    expect(byName.get('haproxy_process_build_info')!.samples[0]!.labels).toEqual({ version: '0.1.0' });
    expect(byName.get('haproxy_server_check_duration_seconds')!.samples.map((s) => s.raw)).toEqual([
      '0.003000',
    ]);
  });

  it('the parser rejects what a scraper would', () => {
    expect(() => parseExposition('x 1\n')).toThrow(/without HELP\/TYPE/);
    expect(() => parseExposition('# HELP x h\n# TYPE x gauge\nx{a="1} 1\n')).toThrow(/unterminated/);
    expect(() =>
      parseExposition('# HELP x h\n# TYPE x gauge\nx 1\n# HELP y h\n# TYPE y gauge\ny 1\nx 2\n'),
    ).toThrow(/not grouped/);
    expect(() => parseExposition('# HELP x h\n# TYPE x gauge\nx one\n')).toThrow(/bad value/);
  });
});
