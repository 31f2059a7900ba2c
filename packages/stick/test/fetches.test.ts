import { describe, expect, it } from 'vitest';
import {
  clrGpc0,
  incGpc,
  incGpc0,
  incGpc1,
  parseStickTable,
  STICK_FETCHES,
  type StickEntry,
  StickTable,
  setGpt,
  setGpt0,
  stickConvert,
  stickFetch,
  stickFetchDef,
} from '../src/index.ts';

function world() {
  const clock = { now: 1_000_000 };
  const mk = (name: string, line: string) =>
    new StickTable(name, parseStickTable(line.split(' ')), () => clock.now);
  const fe = mk(
    'fe',
    'type ip size 10 expire 1m store gpc0,gpc0_rate(10s),conn_cnt,conn_cur,http_req_cnt,bytes_in_cnt',
  );
  const arr = mk('arr', 'type ip size 10 store gpt(2),gpc(3),gpc_rate(2,10s)');
  const plain = mk('plain', 'type ip size 10 store conn_cnt');
  const ints = mk('ints', 'type integer size 10 store conn_cnt');
  const v6 = mk('v6', 'type ipv6 size 10 store gpc0');
  const tables = new Map([fe, arr, plain, ints, v6].map((t) => [t.name, t]));
  const tracked: (StickEntry | undefined)[] = [];
  const ctx = {
    tracked: (n: number) => tracked[n],
    src: '10.0.0.1',
    table: (n: string | undefined) => tables.get(n ?? 'fe'),
  };
  return { clock, fe, arr, plain, ints, v6, tracked, ctx };
}

describe('the catalogue', () => {
  it('lists HAProxy 2.6 keywords once each', () => {
    const names = STICK_FETCHES.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of [
      'sc_http_req_rate',
      'sc0_http_req_rate',
      'sc2_conn_cur',
      'sc_get_gpt',
      'sc1_clr_gpc',
      'src_updt_conn_cnt',
      'src_inc_gpc',
      'table_http_req_rate',
      'table_gpt',
      'table_server_id',
      'in_table',
      'table_cnt',
      'table_avl',
    ])
      expect(names).toContain(n);
    for (const n of ['src_trackers', 'src_tracked', 'sc0_get_gpt', 'sc3_conn_cur', 'table_inc_gpc0'])
      expect(names).not.toContain(n);
    expect(STICK_FETCHES.filter((d) => d.form === 'converter')).toHaveLength(26);
    expect(stickFetchDef('sc_get_gpc')).toMatchObject({ indexed: true, signature: '<idx>,<ctr>[,<table>]' });
    expect(stickFetchDef('sc0_inc_gpc0')).toMatchObject({
      form: 'scN',
      counter: 0,
      mutates: true,
      output: 'sint',
    });
    expect(stickFetchDef('sc2_tracked')?.output).toBe('bool');
  });
});

describe('sc_* / scN_*', () => {
  it('read the tracked entry; nothing when untracked or not stored', () => {
    const w = world();
    expect(stickFetch('sc0_conn_cnt', [], w.ctx)).toBeUndefined();
    expect(stickFetch('sc0_tracked', [], w.ctx)).toBe(false);
    w.tracked[0] = w.fe.track('10.0.0.1');
    expect(stickFetch('sc0_conn_cnt', [], w.ctx)).toBe(1);
    expect(stickFetch('sc_conn_cur', [0], w.ctx)).toBe(1);
    expect(stickFetch('sc_conn_cur', ['0'], w.ctx)).toBe(1);
    expect(stickFetch('sc_conn_cur', [3], w.ctx)).toBeUndefined();
    expect(stickFetch('sc_tracked', [3], w.ctx)).toBe(false);
    expect(stickFetch('sc0_sess_cnt', [], w.ctx)).toBeUndefined(); // not stored
    expect(stickFetch('sc0_trackers', [], w.ctx)).toBe(1);
    w.tracked[0]?.set('bytes_in_cnt', 5000);
    expect(stickFetch('sc0_kbytes_in', [], w.ctx)).toBe(4);
  });

  it('look the tracked key up in another table without creating it', () => {
    const w = world();
    w.tracked[1] = w.fe.track('10.0.0.1');
    expect(stickFetch('sc1_conn_cnt', ['plain'], w.ctx)).toBe(0);
    expect(w.plain.used).toBe(0);
    expect(stickFetch('sc1_inc_gpc0', ['plain'], w.ctx)).toBe(0);
    expect(w.plain.used).toBe(0);
    w.plain.getOrCreate('10.0.0.1')?.set('conn_cnt', 7);
    expect(stickFetch('sc_conn_cnt', [1, 'plain'], w.ctx)).toBe(7);
    expect(stickFetch('sc1_tracked', ['plain'], w.ctx)).toBe(true);
    w.ints.getOrCreate(0x0a000001)?.set('conn_cnt', 9);
    expect(stickFetch('sc1_conn_cnt', ['ints'], w.ctx)).toBe(9);
  });

  it('increment and clear general purpose counters, with the array fallbacks', () => {
    const w = world();
    const e = w.fe.track('10.0.0.1')!;
    w.tracked[0] = e;
    expect(stickFetch('sc0_inc_gpc0', [], w.ctx)).toBe(1);
    expect(stickFetch('sc_inc_gpc0', [0], w.ctx)).toBe(2);
    expect(stickFetch('sc0_gpc0_rate', [], w.ctx)).toBe(2);
    expect(stickFetch('sc0_inc_gpc1', [], w.ctx)).toBe(0); // neither gpc1 nor gpc1_rate: 0, a sample
    expect(stickFetch('sc0_clr_gpc1', [], w.ctx)).toBeUndefined(); // not stored: no sample
    expect(stickFetch('sc0_clr_gpc0', [], w.ctx)).toBe(2);
    expect(stickFetch('sc0_get_gpc0', [], w.ctx)).toBe(0);
    const a = w.arr.track('10.0.0.1')!;
    w.tracked[2] = a;
    expect(stickFetch('sc2_inc_gpc0', [], w.ctx)).toBe(1); // gpc[0]
    expect(stickFetch('sc2_inc_gpc1', [], w.ctx)).toBe(1); // gpc[1]
    expect(stickFetch('sc_inc_gpc', [2, 2], w.ctx)).toBe(1); // gpc[2], no gpc_rate[2]
    expect(stickFetch('sc_get_gpc', [1, 2], w.ctx)).toBe(1);
    expect(stickFetch('sc_get_gpc', [3, 2], w.ctx)).toBeUndefined();
    expect(stickFetch('sc2_gpc1_rate', [], w.ctx)).toBe(1);
    expect(stickFetch('sc_gpc_rate', [0, 2], w.ctx)).toBe(1);
    expect(stickFetch('sc_clr_gpc', [1, 2], w.ctx)).toBe(1);
    expect(stickFetch('sc1_clr_gpc', [0], { ...w.ctx, tracked: () => a })).toBe(1);
    setGpt(a, 1, 2 ** 32 + 3);
    expect(stickFetch('sc_get_gpt', [1, 2], w.ctx)).toBe(3);
    expect(stickFetch('sc2_get_gpt0', [], w.ctx)).toBe(0);
  });

  it('sc_inc_gpc0 returns the rate count when only the rate is stored', () => {
    const clock = { now: 1_000_000 };
    const t = new StickTable(
      'r',
      parseStickTable('type ip size 1 store gpc0_rate(10s)'.split(' ')),
      () => clock.now,
    );
    const e = t.getOrCreate('10.0.0.1')!;
    expect(incGpc0(e)).toBe(1);
    clock.now += 12_000; // next period: the current-period count restarts
    expect(incGpc0(e)).toBe(1);
    expect(e.get('gpc0_rate')).toBe(1); // 1 × 8000/10000 + 1, rounded down
    expect(incGpc1(e)).toBe(0);
    expect(incGpc(e, 0)).toBe(0);
    expect(clrGpc0(e)).toBeUndefined();
    expect(setGpt0(e, 1)).toBe(false);
  });
});

describe('src_*', () => {
  it('looks the client address up; 0 when absent; inc/clr create the entry', () => {
    const w = world();
    expect(stickFetch('src_conn_cnt', [], w.ctx)).toBe(0);
    expect(w.fe.used).toBe(0);
    expect(stickFetch('src_get_gpc0', ['plain'], w.ctx)).toBe(0);
    expect(stickFetch('src_inc_gpc0', [], w.ctx)).toBe(1);
    expect(w.fe.used).toBe(1);
    expect(stickFetch('src_get_gpc0', [], w.ctx)).toBe(1);
    expect(stickFetch('src_clr_gpc0', ['plain'], w.ctx)).toBeUndefined(); // created, but gpc0 not stored
    expect(w.plain.used).toBe(1);
    expect(stickFetch('src_updt_conn_cnt', ['plain'], w.ctx)).toBe(1);
    expect(stickFetch('src_updt_conn_cnt', ['plain'], w.ctx)).toBe(2);
    expect(stickFetch('src_updt_conn_cnt', ['arr'], w.ctx)).toBeUndefined();
    expect(stickFetch('src_updt_conn_cnt', ['ints'], w.ctx)).toBe(1); // the address as an integer
    expect(w.ints.lookup(0x0a000001)).toBeDefined();
    expect(stickFetch('src_get_gpc0', ['v6'], w.ctx)).toBe(0);
    expect(stickFetch('src_inc_gpc0', ['v6'], w.ctx)).toBe(1);
    expect(w.v6.lookup('::ffff:10.0.0.1')?.get('gpc0')).toBe(1);
    expect(stickFetch('src_conn_cnt', [], { ...w.ctx, src: undefined })).toBeUndefined();
    expect(stickFetch('src_conn_cnt', ['nope'], w.ctx)).toBeUndefined();
    expect(stickFetch('src_get_gpc', [1, 'arr'], w.ctx)).toBe(0);
  });

  it('table_cnt / table_avl', () => {
    const w = world();
    w.fe.getOrCreate('10.0.0.9');
    expect(stickFetch('table_cnt', [], w.ctx)).toBe(1);
    expect(stickFetch('table_avl', ['fe'], w.ctx)).toBe(9);
  });
});

describe('table_* converters', () => {
  it('look the input up without refreshing it', () => {
    const w = world();
    const e = w.fe.getOrCreate('10.0.0.2')!;
    e.add('http_req_cnt', 4);
    const exp = e.expire;
    w.clock.now += 10_000;
    expect(stickConvert('table_http_req_cnt', '10.0.0.2', ['fe'], w.ctx)).toBe(4);
    expect(e.expire).toBe(exp);
    expect(stickConvert('table_http_req_cnt', '10.0.0.3', ['fe'], w.ctx)).toBe(0);
    expect(stickConvert('table_sess_cnt', '10.0.0.2', ['fe'], w.ctx)).toBeUndefined();
    expect(stickConvert('table_sess_cnt', '10.0.0.3', ['fe'], w.ctx)).toBe(0); // absent beats not stored
    expect(stickConvert('table_http_req_cnt', 'garbage', ['fe'], w.ctx)).toBeUndefined();
    expect(stickConvert('table_http_req_cnt', '10.0.0.2', [], w.ctx)).toBeUndefined();
    expect(stickConvert('in_table', '10.0.0.2', ['fe'], w.ctx)).toBe(true);
    expect(stickConvert('in_table', '10.0.0.4', ['fe'], w.ctx)).toBe(false);
    expect(stickConvert('table_gpc', '10.0.0.1', [1, 'arr'], w.ctx)).toBe(0);
    w.arr.getOrCreate('10.0.0.1')?.set('gpc', 6, 1);
    expect(stickConvert('table_gpc', '10.0.0.1', [1, 'arr'], w.ctx)).toBe(6);
    expect(stickConvert('table_gpc1', '10.0.0.1', ['arr'], w.ctx)).toBe(6);
    expect(stickConvert('in_table', { addr: '10.0.0.1' }, ['v6'], w.ctx)).toBe(false);
  });

  it('table_trackers counts its own lookup, as HAProxy 2.6 does', () => {
    const w = world();
    w.tracked[0] = w.fe.track('10.0.0.1');
    expect(stickFetch('sc0_trackers', [], w.ctx)).toBe(1);
    expect(stickConvert('table_trackers', '10.0.0.1', ['fe'], w.ctx)).toBe(2);
    expect(stickConvert('table_trackers', '10.0.0.7', ['fe'], w.ctx)).toBe(0);
  });
});
