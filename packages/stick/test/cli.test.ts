import { describe, expect, it } from 'vitest';
import {
  clearTable,
  entryAddress,
  parseLongLong,
  parseStickTable,
  StickTable,
  setTable,
  showTable,
  showTableList,
  tableCommand,
  withStickRules,
} from '../src/index.ts';

function make(name: string, line: string, clock: { now: number }) {
  return new StickTable(name, parseStickTable(line.split(' ')), () => clock.now);
}

const strip = (s: string) => s.replace(/^0x[0-9a-f]+:/gm, '0x?:');

describe('show table', () => {
  it('prints the header and one line per entry, data in HAProxy order', () => {
    const clock = { now: 5_000_000 };
    const t = make(
      'web',
      'type ip size 200k expire 30s store bytes_out_rate(1m),gpc0,conn_rate(10s),gpt(2),gpc_rate(2,5s),server_key,server_id',
      clock,
    );
    const e = t.track('127.0.0.1')!;
    e.add('gpc0');
    e.add('gpc_rate', 3, 1);
    e.serverKey = 'web1';
    clock.now += 1_234;
    expect(strip(showTable(t))).toBe(
      '# table: web, type: ip, size:204800, used:1\n' +
        '0x?: key=127.0.0.1 use=1 exp=28766 server_id=0 gpc0=1 conn_rate(10000)=1 bytes_out_rate(60000)=0 ' +
        'server_key=web1 gpt0=0 gpt1=0 gpc0_rate(5000)=0 gpc1_rate(5000)=3\n',
    );
    expect(entryAddress(e)).toMatch(/^0x[0-9a-f]{12}$/);
  });

  it('prints each key type', () => {
    const clock = { now: 0 };
    const s = make('s', 'type string len 6 size 9 store gpc0', clock);
    setTable(s, 'a b=c\u00e9\\', []);
    const b = make('b', 'type binary len 3 size 9', clock);
    b.getOrCreate('AB');
    const i = make('i', 'type integer size 9', clock);
    i.getOrCreate(4294967295);
    const v6 = make('v6', 'type ipv6 size 9', clock);
    v6.getOrCreate({ addr: '10.0.0.1' });
    expect(strip(showTable(s))).toContain('key=a\\ b\\=c\\xE9 use=0 exp=0 gpc0=0');
    expect(strip(showTable(b))).toContain('key=414200 use=0 exp=0\n');
    expect(strip(showTable(i))).toContain('key=4294967295 use=0 exp=0\n');
    expect(strip(showTable(v6))).toContain('key=::ffff:10.0.0.1 use=0 exp=0\n');
  });

  it('filters on data, and shows one key', () => {
    const clock = { now: 0 };
    const t = make('t', 'type integer size 10 store gpc0,bytes_in_cnt,server_key', clock);
    for (let k = 1; k <= 4; k++) t.getOrCreate(k)?.set('gpc0', k);
    t.lookup(4)?.set('bytes_in_cnt', 2n ** 63n); // compared as a signed 64-bit: negative
    const keysOf = (out: string) => [...out.matchAll(/key=(\d+)/g)].map((m) => Number(m[1]));
    expect(keysOf(showTable(t, { filters: [{ type: 'gpc0', op: 'ge', value: 2 }] }))).toEqual([2, 3, 4]);
    expect(
      keysOf(
        showTable(t, {
          filters: [
            { type: 'gpc0', op: 'ne', value: 3 },
            { type: 'gpc0', op: 'gt', value: 1 },
          ],
        }),
      ),
    ).toEqual([2, 4]);
    expect(keysOf(showTable(t, { filters: [{ type: 'bytes_in_cnt', op: 'lt', value: 0 }] }))).toEqual([4]);
    expect(keysOf(showTable(t, { filters: [{ type: 'server_key', op: 'eq', value: 0 }] }))).toEqual([
      1, 2, 3, 4,
    ]);
    expect(keysOf(showTable(t, { key: '3' }))).toEqual([3]);
    expect(showTable(t, { key: '9' })).toBe('');
    expect(showTable(t, { key: '' })).toBe('Key value expected\n');
    expect(showTable(t, { filters: [{ type: 'conn_cnt', op: 'eq', value: 0 }] })).toBe(
      'Filter entry #1: Data type not stored in this table\n',
    );
  });

  it('lists tables, last declared first', () => {
    const clock = { now: 0 };
    const a = make('a', 'type ip size 1', clock);
    const b = make('b', 'type string size 2', clock);
    expect(showTableList([a, b])).toBe(
      '# table: b, type: string, size:2, used:0\n# table: a, type: ip, size:1, used:0\n',
    );
  });
});

describe('set table / clear table', () => {
  it('sets counters, rates (held for one period) and arrays', () => {
    const clock = { now: 1_000_001 };
    const t = make('t', 'type ip size 10 store gpc(2),conn_rate(10s),server_id,bytes_in_cnt', clock);
    expect(
      setTable(t, '10.0.0.1', [
        'data.gpc',
        '5',
        'data.conn_rate',
        '40',
        'data.server_id',
        '-3',
        'data.bytes_in_cnt',
        '-1',
      ]),
    ).toBe('');
    const e = t.lookup('10.0.0.1')!;
    expect([e.get('gpc', 0), e.get('gpc', 1), e.get('server_id'), e.getBig('bytes_in_cnt')]).toEqual([
      5,
      0,
      -3,
      2n ** 64n - 1n,
    ]);
    clock.now = 1_009_999;
    expect(e.get('conn_rate')).toBe(40);
    clock.now = 1_015_000;
    expect(e.get('conn_rate')).toBe(20);
  });

  it('stops at the first bad pair, keeping the pairs before it', () => {
    const clock = { now: 0 };
    const t = make('t', 'type ip size 10 store gpc0,gpt0', clock);
    expect(setTable(t, '10.0.0.1', ['data.gpc0', '1', 'data.gpt0'])).toBe(
      'Require a valid integer value to store\n',
    );
    expect(setTable(t, '10.0.0.1', ['data.gpt0', '2', 'data.conn_cnt', '1'])).toBe(
      'Data type not stored in this table\n',
    );
    expect(setTable(t, '10.0.0.1', ['data.foo', '1'])).toBe('Unknown data type\n');
    expect(setTable(t, '10.0.0.1', ['gpc0', '1'])).toBe('"data.<type>" followed by a value expected\n');
    expect(t.lookup('10.0.0.1')?.get('gpc0')).toBe(1);
    expect(t.lookup('10.0.0.1')?.get('gpt0')).toBe(2);
  });

  it('reads values as a long long', () => {
    expect(parseLongLong('-')).toBe(0n);
    expect(parseLongLong('9223372036854775807')).toBe(2n ** 63n - 1n);
    expect(parseLongLong('9223372036854775808')).toBeUndefined();
    expect(parseLongLong('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(parseLongLong('+1')).toBeUndefined();
    expect(parseLongLong('1 ')).toBeUndefined();
    expect(parseLongLong('')).toBeUndefined();
  });

  it('refuses to remove a tracked entry, and spares the entry before one (HAProxy 2.6)', () => {
    const clock = { now: 0 };
    const t = make('t', 'type integer size 10 store conn_cur', clock);
    for (const k of [1, 2, 3, 4]) t.getOrCreate(k);
    t.track(3);
    expect(clearTable(t, { key: '3' })).toBe('Entry currently in use, cannot remove\n');
    expect(clearTable(t, { key: '9' })).toBe('');
    expect(clearTable(t)).toBe('');
    // 1 is removed; 2 is kept because 3, walked next, is tracked; 4 is removed
    expect(t.entries().map((e) => e.key)).toEqual([2, 3]);
    expect(clearTable(t, { key: '2' })).toBe('');
    expect(t.entries().map((e) => e.key)).toEqual([3]);
  });
});

describe('tableCommand', () => {
  const clock = { now: 0 };
  const a = make('a', 'type ip size 4 store gpc0', clock);
  const b = make('b', 'type binary size 4', clock);
  const run = (line: string) => tableCommand(line.split(' ').filter(Boolean), [a, b]);

  it('answers like HAProxy', () => {
    expect(run('show table')).toBe(
      '# table: b, type: binary, size:4, used:0\n# table: a, type: ip, size:4, used:0\n',
    );
    expect(run('set table a key 10.0.0.1 data.gpc0 3')).toBe('');
    expect(run('show table a data.gpc0 gt 2')).toMatch(/key=10\.0\.0\.1 use=0 exp=0 gpc0=3\n$/);
    expect(run('show table nope')).toBe('No such table\n');
    expect(run('show table a junk')).toBe(
      'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>\n',
    );
    expect(run('show table a data.gpc0 gt')).toBe(
      'Filter entry #1: Require a valid integer value to compare against\n',
    );
    expect(run('show table a data.gpc0 about 1')).toBe(
      'Filter entry #1: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n',
    );
    expect(run('show table a data.gpc0 eq 1 data.nope eq 1')).toBe('Filter entry #2: Unknown data type\n');
    expect(run(`show table a ${'data.gpc0 ge 0 '.repeat(5)}`)).toBe(
      "Detected extra data in filter, 16th word of input, after '0'\n",
    );
    expect(run('set table a data.gpc0 1')).toBe(
      'content-based lookup is only supported with the "show" and "clear" actions\n',
    );
    expect(run('set table')).toBe(
      'Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n',
    );
    expect(run('clear table')).toBe(
      'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n',
    );
    expect(run('set table b key 00')).toBe(
      'Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n',
    );
    expect(run('show table b key 00')).toBe(
      'Showing keys from tables of type other than ip, ipv6, string and integer is not supported\n',
    );
    expect(run('clear table b key 00')).toBe(
      'Removing keys from tables of type other than ip, ipv6, string and integer is not supported\n',
    );
    expect(run('show table a key')).toBe('Key value expected\n');
    expect(run('show info')).toBeUndefined();
    // set table without a key clears the table in 2.6
    expect(run('set table a')).toBe('');
    expect(a.used).toBe(0);
  });

  it('fills a full table through set, refusing when nothing can go', () => {
    const clock2 = { now: 0 };
    const t = new StickTable(
      't',
      withStickRules(parseStickTable('type ip size 1 nopurge'.split(' '))),
      () => clock2.now,
    );
    expect(tableCommand(['set', 'table', 't', 'key', '1.1.1.1'], [t])).toBe('');
    expect(tableCommand(['set', 'table', 't', 'key', '2.2.2.2'], [t])).toBe(
      'Unable to allocate a new entry\n',
    );
    expect(strip(tableCommand(['show', 'table', 't'], [t]) ?? '')).toContain('server_id=0 server_key=-');
  });
});
