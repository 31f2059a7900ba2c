import { describe, expect, it } from 'vitest';
import { parseSize, parseStickTable, parseTime, StickError, withStickRules } from '../src/index.ts';

const p = (line: string) => parseStickTable(line.split(' '));
const err = (line: string, keyword?: string) => {
  try {
    parseStickTable(line.split(' '), keyword);
  } catch (e) {
    expect(e).toBeInstanceOf(StickError);
    expect((e as StickError).code).toBe('HAP_ERR_STICK_PARSE');
    return (e as Error).message;
  }
  throw new Error(`accepted: ${line}`);
};

describe('parseStickTable', () => {
  it('fills HAProxy defaults', () => {
    expect(p('type ip size 1k')).toEqual({
      type: 'ip',
      keyLength: 4,
      size: 1024,
      expire: 0,
      nopurge: false,
      srvkey: 'name',
      store: [],
      warnings: [],
    });
    expect(p('type ipv6 size 1').keyLength).toBe(16);
    expect(p('type integer size 1').keyLength).toBe(4);
    // 32 bytes by default, one of which holds the string's terminating NUL
    expect(p('type string size 1').keyLength).toBe(31);
    expect(p('type string len 10 size 1').keyLength).toBe(10);
    expect(p('type binary size 1').keyLength).toBe(32);
    expect(p('type binary len 6 size 1').keyLength).toBe(6);
  });

  it('reads every argument, in any order', () => {
    const s = p('store gpc0 size 2m expire 30s nopurge peers mypeers srvkey addr type string len 8');
    expect(s).toMatchObject({
      type: 'string',
      keyLength: 8,
      size: 2 * 1024 * 1024,
      expire: 30_000,
      nopurge: true,
    });
    expect(s.peers).toBe('mypeers');
    expect(s.srvkey).toBe('addr');
  });

  it('stores data types in HAProxy order, with arrays and periods', () => {
    const s = p(
      'type ip size 1 store http_fail_rate(1m),gpc(3) store conn_rate(10s),gpc_rate(2,1500ms),gpt(2)',
    );
    expect(s.store).toEqual([
      { type: 'conn_rate', elements: 1, period: 10_000 },
      { type: 'http_fail_rate', elements: 1, period: 60_000 },
      { type: 'gpt', elements: 2, period: 0 },
      { type: 'gpc', elements: 3, period: 0 },
      { type: 'gpc_rate', elements: 2, period: 1500 },
    ]);
    expect(p('type ip size 1 store server_name').store).toEqual([
      { type: 'server_key', elements: 1, period: 0 },
    ]);
    // a second argument to a non-array type is ignored, an empty store word accepted
    expect(p('type ip size 1 store conn_rate(10s,5)').store).toEqual([
      { type: 'conn_rate', elements: 1, period: 10_000 },
    ]);
    expect(p('type ip size 1 store').store).toEqual([]);
  });

  it('warns like HAProxy', () => {
    expect(p('type ip size 1 store gpc0,gpc0').warnings).toEqual([
      "stick-table: store option 'gpc0' already enabled, ignored.",
    ]);
    expect(p('type ip size 1 expire 10sx').warnings[0]).toMatch(
      /^unexpected character 'x' after the timer value '10sx', only \(us=/,
    );
  });

  it('refuses what HAProxy refuses, with its messages', () => {
    expect(err('type ip')).toBe('stick-table: missing size.');
    expect(err('size 10')).toBe('stick-table: missing type.');
    expect(err('type ip size 0')).toBe('stick-table: missing size.');
    expect(err('type foo size 1')).toBe("stick-table: unknown type 'foo'.");
    expect(err('type string len 0 size 1')).toBe("stick-table: unknown type '0'.");
    expect(err('type string len size 1')).toBe("stick-table: unknown type 'size'.");
    expect(err('type ip len 4 size 1')).toBe("stick-table: unknown argument 'len'.");
    expect(err('type ip size')).toBe("stick-table: missing argument after 'size'.");
    expect(err('type ip size 10x')).toBe("stick-table: unexpected character 'x' in argument of 'size'.");
    expect(err('type ip size 10kb')).toBe("stick-table: unexpected character 'b' in argument of 'size'.");
    expect(err('type ip size 4294967296')).toBe(
      "stick-table: unexpected character '6' in argument of 'size'.",
    );
    expect(err('type ip size 4g')).toBe("stick-table: unexpected character 'g' in argument of 'size'.");
    expect(err('type ip size 1 expire')).toBe("stick-table: missing argument after 'expire'.");
    expect(err('type ip size 1 expire 25d')).toBe(
      'stick-table: timer overflow in argument <25d> to <expire>, maximum value is 2147483647 ms (~24.8 days).',
    );
    expect(err('type ip size 1 expire 10x')).toBe(
      "stick-table: unexpected character 'x' in argument of 'expire'.",
    );
    expect(err('type ip size 1 peers')).toBe("stick-table: missing argument after 'peers'.");
    expect(err('type ip size 1 srvkey foo')).toBe("stick-table : unknown server key type 'foo'.");
    expect(err('type ip size 1 store foo')).toBe("stick-table: unknown store option 'foo'.");
    expect(err('type ip size 1 store conn_rate')).toBe(
      "stick-table: missing argument to store option 'conn_rate'.",
    );
    expect(err('type ip size 1 store gpc0(1)')).toBe(
      "stick-table: unexpected argument to store option 'gpc0'.",
    );
    expect(err('type ip size 1 store gpc(0)')).toBe(
      "stick-table: array size is out of allowed range (1-100) for store option 'gpc'.",
    );
    expect(err('type ip size 1 store gpc(101)')).toMatch(/out of allowed range/);
    expect(err('type ip size 1 store gpc(3,4)')).toBe(
      "stick-table: unexpected argument to store option 'gpc'.",
    );
    expect(err('type ip size 1 store gpc')).toBe("stick-table: missing argument to store option 'gpc'.");
    expect(err('type ip size 1 store conn_rate(10s')).toBe(
      "stick-table: missing closing parenthesis after store option 'conn_rate'.",
    );
    expect(err('type ip size 1 store conn_rate(10x)')).toBe(
      "stick-table: error when processing store option 'conn_rate'.",
    );
    expect(err('type ip size 1 store gpc(2),gpc0')).toMatch(/simultaneous usage of 'gpc' and 'gpc\[0\/1\]'/);
    expect(err('type ip size 1 store gpt(1),gpt0')).toMatch(/simultaneous usage of 'gpt' and 'gpt0'/);
    expect(err('type ip size 1 store gpc_rate(1,1s),gpc1_rate(1s)')).toMatch(/'gpc_rate' overrides/);
    expect(err('type ip size 1 bogus')).toBe("stick-table: unknown argument 'bogus'.");
    // in a peers section the directive is `table` and `peers` is not an argument
    expect(err('type ip size 1 peers p', 'table')).toBe("table: unknown argument 'peers'.");
  });

  it('withStickRules adds server_id and server_key', () => {
    const s = withStickRules(p('type ip size 1 store gpc0'));
    expect(s.store.map((x) => x.type)).toEqual(['server_id', 'gpc0', 'server_key']);
  });
});

describe('parseTime / parseSize', () => {
  it('converts time units to ms, rounding up', () => {
    const ms = (t: string) => {
      const r = parseTime(t);
      return r.ok ? r.value : r;
    };
    expect(ms('0')).toBe(0);
    expect(ms('1500')).toBe(1500);
    expect(ms('100us')).toBe(1);
    expect(ms('1001us')).toBe(2);
    expect(ms('250ms')).toBe(250);
    expect(ms('10s')).toBe(10_000);
    expect(ms('5m')).toBe(300_000);
    expect(ms('2h')).toBe(7_200_000);
    expect(ms('24d')).toBe(2_073_600_000);
    expect(ms('25d')).toEqual({ ok: false, error: 'overflow' });
    expect(ms('2147483648')).toEqual({ ok: false, error: 'overflow' });
    expect(ms('2147483647')).toBe(2147483647);
    expect(ms('1u')).toEqual({ ok: false, error: 'char', char: 'u' });
    expect(ms('s')).toEqual({ ok: false, error: 'char', char: 's' });
  });

  it('converts sizes with k/m/g suffixes', () => {
    expect(parseSize('200k')).toEqual({ ok: true, value: 204_800 });
    expect(parseSize('1M')).toEqual({ ok: true, value: 1_048_576 });
    expect(parseSize('3g')).toEqual({ ok: true, value: 3 * 2 ** 30 });
    expect(parseSize('4294967295')).toEqual({ ok: true, value: 4294967295 });
    expect(parseSize('-1')).toEqual({ ok: false, error: 'char', char: '-' });
  });
});
