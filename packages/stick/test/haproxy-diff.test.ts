// Differential test: the real HAProxy 2.6 and @hap/stick fed with the same events must
// print the same `show table` lines. HAProxy tracks the client address in several tables
// (http-request track-sc0/sc2, tcp-request connection track-sc1) while a raw client sends
// requests from distinct loopback addresses; our tables receive the events HAProxy's code
// says it counts at each step. Then the same runtime API commands (show/set/clear, with
// their errors and quirks) run on both sides. Only the entry address and the expiry
// countdown are masked; rates are over 100 s or more, so they equal exact counts.
import { join } from 'node:path';
import {
  checkConfig,
  cleanupAll,
  freePorts,
  haproxyAvailable,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  incGpc,
  incGpc0,
  parseStickTable,
  type StickEntry,
  StickError,
  type StickSample,
  StickTable,
  setGpt,
  stickConvert,
  stickFetch,
  tableCommand,
  trackHttp,
  updateOnBytes,
  updateOnHttpError,
  updateOnHttpRequest,
  updateOnHttpResponse,
  updateOnSession,
} from '../src/index.ts';
import { cli, type Exchange, normalize, RawClient, sleep } from './harness.ts';

const hap = haproxyAvailable();
const runnable = hap.available && (hap.version ?? '').startsWith('2.6');

/** Tables in declaration order: the frontend's, then one backend each. */
const TABLES: [string, string][] = [
  [
    'fe',
    'type ip size 1k expire 10m store gpc0,gpc0_rate(100s),conn_cnt,conn_cur,conn_rate(100s),sess_cnt,' +
      'sess_rate(100s),http_req_cnt,http_req_rate(100s),http_err_cnt,http_err_rate(100s),http_fail_cnt,' +
      'http_fail_rate(100s)',
  ],
  [
    't_conn',
    'type ip size 1k expire 10m store conn_cnt,conn_cur,conn_rate(100s),sess_cnt,sess_rate(100s),' +
      'http_req_cnt,http_req_rate(100s),http_err_cnt,http_fail_cnt',
  ],
  ['t_arr', 'type ip size 1k expire 10m store gpt(2),gpc(3),gpc_rate(2,100s),http_req_cnt'],
  [
    't_bytes',
    'type ip size 1k expire 1h store bytes_in_cnt,bytes_in_rate(100s),bytes_out_cnt,bytes_out_rate(100s),' +
      'http_req_cnt,http_err_cnt',
  ],
  ['t_str', 'type string size 4 store gpc0,conn_rate(10s)'],
  ['t_len', 'type string len 8 size 16 store gpc0'],
  ['t_int', 'type integer size 10 store gpt0,server_id,conn_cnt,bytes_out_cnt,http_req_rate(1m)'],
  ['t_v6', 'type ipv6 size 8 expire 1h store conn_cnt'],
  ['t_bin', 'type binary len 6 size 8 store gpc0'],
];

const PROBE = [
  'sc0_http_req_cnt',
  'sc_conn_cur(0)',
  'sc0_trackers',
  'src,table_trackers(fe)',
  'sc1_sess_cnt',
  'sc1_http_req_cnt',
  'sc_get_gpc0(0)',
  'sc0_gpc0_rate',
  'src_conn_cnt(t_conn)',
  'src_get_gpc0(t_str)',
  'sc_get_gpc(1,2)',
  'sc_gpc_rate(1,2)',
  'sc_get_gpt(1,2)',
  'sc2_get_gpt0',
  'table_cnt(fe)',
  'table_avl(t_str)',
  'sc2_tracked',
  'sc_tracked(1)',
  'sc0_conn_cnt(t_conn)',
  'sc0_kbytes_in',
  'src_updt_conn_cnt(t_int)',
  'src,table_conn_cnt(t_conn)',
  'src,in_table(t_v6)',
  'src,table_http_req_cnt(t_bytes)',
  'src_inc_gpc0(t_len)',
  'src_clr_gpc0(t_len)',
];

function config(port: number, backend: string, sock: string): string {
  const t = new Map(TABLES);
  return `global
  stats socket ${sock} level admin
  nbthread 1

defaults
  mode http
  timeout client 10s
  timeout server 10s
  timeout connect 5s

frontend fe
  bind 127.0.0.1:${port}
  tcp-request connection track-sc1 src table t_conn
  http-request track-sc0 src
  http-request track-sc2 src table t_bytes if { path_beg /b/ }
  http-request track-sc2 src table t_arr unless { path_beg /b/ }
  http-request sc-inc-gpc0(0)
  http-request sc-inc-gpc(1,2)
  http-request sc-set-gpt(1,2) 7
  http-request deny if { path /deny }
  http-request return status 404 if { path /nf }
  http-request return status 200 content-type text/plain lf-string "${PROBE.map((p) => `%[${p}]`).join(' ')}" if { path /probe }
  default_backend be
  stick-table ${t.get('fe')}

backend be
  server s1 ${backend}

${TABLES.slice(1)
  .map(([name, line]) => `backend ${name}\n  stick-table ${line}\n`)
  .join('\n')}`;
}

/** Our side: the same tables, and the events HAProxy counts for each exchange. */
class Model {
  readonly tables = new Map<string, StickTable>();

  constructor() {
    for (const [name, line] of TABLES)
      this.tables.set(name, new StickTable(name, parseStickTable(line.split(' '))));
  }

  t(name: string): StickTable {
    return this.tables.get(name) as StickTable;
  }

  command(words: string[]): string {
    return `${tableCommand(words, this.tables.values()) ?? ''}\n`;
  }

  /** One client connection: tcp-request connection track-sc1, then each request. */
  async connection(port: number, from: string, paths: string[], keepOpen = false) {
    const client = await RawClient.open(port, from);
    // tcp-request connection track-sc1, then the session is counted
    const sess = this.t('t_conn').track(from) as StickEntry;
    updateOnSession(sess);
    const exchanges: Exchange[] = [];
    const probes: string[] = [];
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] as string;
      const last = i === paths.length - 1 && !keepOpen;
      // the request is counted on what the session tracks before the http-request rules run
      updateOnHttpRequest(sess);
      const sc0 = trackHttp(this.t('fe'), from) as StickEntry;
      const bytes = path.startsWith('/b/');
      const sc2 = trackHttp(this.t(bytes ? 't_bytes' : 't_arr'), from) as StickEntry;
      incGpc0(sc0);
      incGpc(sc2, 1);
      setGpt(sc2, 1, 7);
      const tracked = [sc0, sess, sc2];
      let probe: string | undefined;
      if (path === '/probe') probe = this.probe(from, tracked);
      const ex = await client.send(path, last || path === '/deny');
      exchanges.push(ex);
      if (path === '/deny') for (const e of tracked) updateOnHttpError(e);
      else if (path !== '/nf' && path !== '/probe')
        for (const e of tracked) updateOnHttpResponse(e, ex.status);
      if (bytes) {
        // HAProxy 2.6 counts a message's internal size: the wire bytes less 4 per header line
        updateOnBytes(sc2, ex.reqBytes - 4 * ex.reqHeaders, ex.resBytes - 4 * ex.resHeaders);
      }
      if (probe !== undefined) probes.push(`${probe}|${ex.body}`);
      this.t('fe').release(sc0);
      sc2.table.release(sc2);
      if (path === '/deny') break;
    }
    if (!keepOpen) {
      await client.close();
      this.t('t_conn').release(sess);
    }
    return { client, sess, exchanges, probes };
  }

  /** The probe's fetches, evaluated on our tables at the same point of the request. */
  probe(from: string, tracked: StickEntry[]): string {
    const ctx = {
      tracked: (n: number) => tracked[n],
      src: from,
      table: (name: string | undefined) => this.tables.get(name ?? 'fe'),
    };
    const fmt = (v: StickSample) =>
      v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    return PROBE.map((p) => {
      const m = /^(?:(src),)?([a-z0-9_]+)(?:\((.*)\))?$/.exec(p) as RegExpExecArray;
      const args = m[3] ? m[3].split(',') : [];
      return fmt(
        m[1]
          ? stickConvert(m[2] as string, { addr: from }, args, ctx)
          : stickFetch(m[2] as string, args, ctx),
      );
    }).join(' ');
  }
}

describe.skipIf(!runnable)('differential: show table against HAProxy 2.6', () => {
  let sock = '';
  let port = 0;
  const model = new Model();

  beforeAll(async () => {
    const backend = await startHttpBackend((req, res) => {
      const status = Number(/^\/(?:b\/)?e(\d{3})$/.exec(req.url ?? '')?.[1] ?? 200);
      res.sendDate = false;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': 5 });
      res.end('hello');
    });
    [port] = (await freePorts(1)) as [number];
    sock = join(tempDir(), 'stats.sock');
    const cfg = writeConfig(config(port, backend.addr, sock));
    await startProxy('haproxy', cfg, { readyPorts: [port] });
  });

  afterAll(cleanupAll);

  const both = async (words: string[]) => {
    const theirs = await cli(sock, words);
    const ours = model.command(words);
    await sleep(3); // distinct milliseconds for every command, on both sides
    return { theirs: normalize(theirs), ours: normalize(ours) };
  };

  it('counts requests, sessions, errors, failures, gpc and bytes like HAProxy', async () => {
    const probes: string[] = [];
    const run = async (from: string, paths: string[]) =>
      probes.push(...(await model.connection(port, from, paths)).probes);
    await run('127.0.0.2', ['/']);
    await run('127.0.0.3', ['/', '/deny']);
    await run('127.0.0.4', ['/e404', '/e500', '/nf', '/e501', '/e503', '/']);
    await run('127.0.0.4', ['/']);
    await run('127.0.0.5', ['/b/x']);
    await run('127.0.0.5', ['/b/e404']);
    await run('127.0.0.5', ['/b/e502']);
    await run('127.0.0.6', ['/', '/probe']);
    await run('127.0.0.7', ['/probe']);
    for (const p of probes) {
      const [ours, theirs] = p.split('|');
      expect(theirs).toBe(ours);
    }
    for (const name of ['fe', 't_conn', 't_arr', 't_bytes', 't_int', 't_len']) {
      const { theirs, ours } = await both(['show', 'table', name]);
      expect(ours).toBe(theirs);
    }
    const { theirs } = await both(['show', 'table', 't_bytes']);
    // sanity: traffic really went through HAProxy
    expect(theirs).toMatch(/key=127\.0\.0\.5 use=0 exp=\? http_req_cnt=3 http_err_cnt=1 bytes_in_cnt=\d+/);
  });

  it('answers show/set/clear commands and their errors like HAProxy', async () => {
    const cmds: string[][] = [
      ['show', 'table'],
      ['show', 'table', 'fe', 'data.http_req_cnt', 'gt', '1'],
      ['show', 'table', 'fe', 'data.gpc0', 'ge', '1', 'data.http_err_cnt', 'eq', '0'],
      ['show', 'table', 'fe', 'data.conn_rate', 'lt', '2'],
      ['show', 'table', 'fe', 'key', '127.0.0.4'],
      ['show', 'table', 'fe', 'key', '10.9.9.9'],
      ['show', 'table', 'fe', 'key'],
      ['show', 'table', 'fe', 'data.nosuch', 'eq', '1'],
      ['show', 'table', 'fe', 'data.server_id', 'eq', '1'],
      ['show', 'table', 'fe', 'data.gpc0', 'xx', '1'],
      ['show', 'table', 'fe', 'data.gpc0', 'eq', 'abc'],
      ['show', 'table', 'fe', 'data.gpc0', 'eq', '1', 'data.gpc0', 'eq', '1', 'data.gpc0', 'eq', '1'],
      [
        'show',
        'table',
        'fe',
        'data.gpc0',
        'ge',
        '0',
        'data.gpc0',
        'ge',
        '0',
        'data.gpc0',
        'ge',
        '0',
        'data.gpc0',
        'ge',
        '0',
        'data.gpc0',
        'ge',
        '0',
      ],
      ['show', 'table', 'fe', 'bogus'],
      ['show', 'table', 'nosuch'],
      // string keys: default length 31, escapes, bytes over 0x7f
      ['set', 'table', 't_len', 'key', 'abcdefghijkl', 'data.gpc0', '3'],
      ['set', 'table', 't_len', 'key', 'a b=c\\d'],
      ['set', 'table', 't_len', 'key', 'caf\u00e9\t'],
      ['show', 'table', 't_len'],
      ['show', 'table', 't_len', 'key', 'abcdefgh'],
      // integer keys: little-endian order, limits
      ['set', 'table', 't_int', 'key', '1', 'data.gpt0', '4294967297'],
      ['set', 'table', 't_int', 'key', '256', 'data.server_id', '-5'],
      ['set', 'table', 't_int', 'key', '65536', 'data.http_req_rate', '25'],
      ['set', 'table', 't_int', 'key', '12abc', 'data.bytes_out_cnt', '-1'],
      ['set', 'table', 't_int', 'key', '4294967296'],
      ['set', 'table', 't_int', 'key', '-1'],
      ['show', 'table', 't_int'],
      ['show', 'table', 't_int', 'data.http_req_rate', 'ge', '25'],
      // ipv6 keys: inet_ntop text, byte order
      ['set', 'table', 't_v6', 'key', '::ffff:1.2.3.4'],
      ['set', 'table', 't_v6', 'key', '2001:db8::1', 'data.conn_cnt', '9'],
      ['set', 'table', 't_v6', 'key', '1:0:0:1:0:0:0:1'],
      ['set', 'table', 't_v6', 'key', '::1'],
      ['set', 'table', 't_v6', 'key', '1.2.3.4'],
      ['show', 'table', 't_v6'],
      ['show', 'table', 't_v6', 'key', '2001:0db8:0::1'],
      // ip keys read leniently
      ['set', 'table', 't_conn', 'key', '1.2.3'],
      ['set', 'table', 't_conn', 'key', '300.1.1.1', 'data.conn_cnt', '2'],
      ['set', 'table', 't_conn', 'key', 'abc'],
      ['show', 'table', 't_conn', 'key', '44.1.1.1'],
      // binary tables cannot be addressed by key
      ['set', 'table', 't_bin', 'key', '00'],
      ['show', 'table', 't_bin', 'key', '00'],
      ['clear', 'table', 't_bin', 'key', '00'],
      // set errors, in HAProxy's order
      ['set', 'table', 't_str', 'key'],
      ['set', 'table', 't_str', 'key', 'x', 'data.gpc0'],
      ['set', 'table', 't_str', 'key', 'x', 'data.nosuch', '1'],
      ['set', 'table', 't_str', 'key', 'x', 'data.conn_cnt', '1'],
      ['set', 'table', 't_str', 'key', 'x', 'gpc0', '1'],
      ['set', 'table', 't_str', 'key', 'x', 'data.gpc0', '+1'],
      ['set', 'table', 't_str', 'data.gpc0', '1'],
      ['set', 'table', 't_str', 'foo'],
      ['set', 'table'],
      ['clear', 'table'],
      ['clear', 'table', 't_str', 'foo'],
      ['show', 'table', 't_str'],
      ['clear', 'table', 't_str'],
      // eviction: a full table refuses an entry while its oldest places hold refreshed entries
      ['set', 'table', 't_str', 'key', 'a'],
      ['set', 'table', 't_str', 'key', 'b'],
      ['set', 'table', 't_str', 'key', 'c'],
      ['set', 'table', 't_str', 'key', 'd', 'data.conn_rate', '9'],
      ['set', 'table', 't_str', 'key', 'a', 'data.gpc0', '1'],
      ['set', 'table', 't_str', 'key', 'b', 'data.gpc0', '-1'],
      ['set', 'table', 't_str', 'key', 'e'],
      ['show', 'table', 't_str'],
      ['set', 'table', 't_str', 'key', 'f'],
      ['show', 'table', 't_str'],
      ['set', 'table', 't_str', 'key', 'g'],
      ['show', 'table', 't_str'],
      // set table without a key clears the table in 2.6
      ['set', 'table', 't_str'],
      ['show', 'table', 't_str'],
      ['clear', 'table', 'fe', 'data.http_err_cnt', 'eq', '0'],
      ['show', 'table', 'fe'],
      ['clear', 'table', 'fe', 'key', '127.0.0.4'],
      ['clear', 'table', 'fe', 'key', '127.0.0.99'],
      ['show', 'table', 'fe'],
      ['show', 'table'],
    ];
    const answers: string[] = [];
    for (const words of cmds) {
      const { theirs, ours } = await both(words);
      expect(`${words.join(' ')}\n${ours}`).toBe(`${words.join(' ')}\n${theirs}`);
      answers.push(theirs);
    }
    // the comparison covered real answers, not only errors
    const all = answers.join('');
    expect(all).toContain('Unable to allocate a new entry');
    expect(all).toContain('key=abcdefgh use=0 exp=? gpc0=3');
    expect(all).toContain('key=a\\ b\\=c\\\\d');
    expect(all).toContain('key=caf\\xE9\\t');
    expect(all).toContain('key=1:0:0:1::1');
    expect(all).toContain('bytes_out_cnt=18446744073709551615');
    expect(all).toContain('Invalid key');
  });

  it('keeps tracked entries: use=, conn_cur, and the clear walk that spares the entry before one', async () => {
    // an idle keep-alive connection keeps its t_conn entry referenced
    const open = await model.connection(port, '127.0.0.9', ['/'], true);
    const cmds: string[][] = [
      ['show', 'table', 't_conn'],
      ['clear', 'table', 't_conn', 'key', '127.0.0.9'],
      ['clear', 'table', 't_conn', 'data.conn_cnt', 'ge', '0'],
      ['show', 'table', 't_conn'],
    ];
    for (const words of cmds) {
      const { theirs, ours } = await both(words);
      expect(`${words.join(' ')}\n${ours}`).toBe(`${words.join(' ')}\n${theirs}`);
    }
    await open.client.close();
    model.t('t_conn').release(open.sess);
    // HAProxy drops the reference once it sees the close
    let theirs = '';
    for (let i = 0; i < 200; i++) {
      theirs = normalize(await cli(sock, ['show', 'table', 't_conn']));
      if (!theirs.includes('use=1')) break;
      await sleep(5);
    }
    expect(normalize(model.command(['show', 'table', 't_conn']))).toBe(theirs);
  });
});

/** stick-table lines: HAProxy's verdict and messages against parseStickTable's. */
const PARSE_LINES = [
  'type ip size 1k',
  'type string len 10 size 100 expire 30s nopurge store gpc0,gpc0_rate(10s) store conn_cnt',
  'type binary size 10 store gpc(3),gpc_rate(2,1m),gpt(2)',
  'type ipv6 size 1m expire 1h srvkey addr store server_id',
  'type integer size 10 store gpc0,gpc0',
  'type ip size 10 expire 10sx',
  'type ip size 10 store conn_rate(10s,5)',
  'type ip size 10 store',
  'type ip size 10 store server_name',
  'type ip size 1 expire 100us',
  'type ip',
  'size 10',
  'type foo size 1',
  'type string len 0 size 1',
  'type string len size 1',
  'type ip len 4 size 1',
  'type ip size',
  'type ip size 10x',
  'type ip size 10kb',
  'type ip size 4294967296',
  'type ip size 4g',
  'type ip size 1 expire',
  'type ip size 1 expire 25d',
  'type ip size 1 expire 10x',
  'type ip size 1 expire x',
  'type ip size 1 peers',
  'type ip size 1 srvkey foo',
  'type ip size 1 store foo',
  'type ip size 1 store conn_rate',
  'type ip size 1 store gpc0(1)',
  'type ip size 1 store gpc(0)',
  'type ip size 1 store gpc(101)',
  'type ip size 1 store gpc',
  'type ip size 1 store conn_rate(10s',
  'type ip size 1 store conn_rate(10x)',
  'type ip size 1 store gpc(2),gpc0',
  'type ip size 1 store gpt(1),gpt0',
  'type ip size 1 store gpc_rate(1,1s),gpc1_rate(1s)',
  'type ip size 1 bogus',
];

describe.skipIf(!runnable)('differential: stick-table parsing against HAProxy 2.6', () => {
  afterAll(cleanupAll);

  it('accepts, warns and refuses the same lines with the same words', async () => {
    const cfg = writeConfig(PARSE_LINES.map((l, i) => `backend b${i}\n  stick-table ${l}\n`).join(''));
    const res = await checkConfig('haproxy', [cfg]);
    for (let i = 0; i < PARSE_LINES.length; i++) {
      const line = PARSE_LINES[i] as string;
      const at = (d: { line: number | null }) => d.line === 2 * i + 2;
      let ours: { error?: string; warnings: readonly string[] };
      try {
        ours = { warnings: parseStickTable(line.split(' ').filter(Boolean)).warnings };
      } catch (e) {
        if (!(e instanceof StickError)) throw e;
        ours = { error: e.message, warnings: [] };
      }
      const alerts = res.alerts.filter(at).map((d) => d.message);
      const warnings = res.warnings.filter(at).map((d) => d.message);
      // HAProxy prints the time parser's warning without a location
      const unlocated = ours.warnings.filter((w) => w.includes('after the timer value'));
      expect({ line, alerts, warnings }).toEqual({
        line,
        alerts: ours.error === undefined ? [] : [ours.error],
        warnings: ours.warnings.filter((w) => !unlocated.includes(w)),
      });
      for (const w of unlocated)
        expect(res.warnings.filter((d) => d.line === null).map((d) => d.message)).toContain(w);
    }
  });
});
