import { describe, expect, it } from 'vitest';
import {
  parseStickTable,
  StickError,
  StickTable,
  stickMatch,
  stickStore,
  trackHttp,
  updateOnBytes,
  updateOnConnection,
  updateOnHttpError,
  updateOnHttpFailure,
  updateOnHttpRequest,
  updateOnHttpResponse,
  updateOnSession,
  withStickRules,
} from '../src/index.ts';

/** A table on a manual clock. */
function table(line: string, start = 1_000_000) {
  const clock = { now: start };
  const t = new StickTable('t', parseStickTable(line.split(' ')), () => clock.now);
  return { t, clock };
}

const keys = (t: StickTable) => t.entries().map((e) => e.key);

describe('eviction when full', () => {
  it('evicts the least recently refreshed entry', () => {
    const { t, clock } = table('type string size 4 store gpc0');
    for (const k of ['a', 'b', 'c', 'd']) {
      t.getOrCreate(k);
      clock.now += 5;
    }
    expect(t.used).toBe(4);
    t.getOrCreate('e');
    expect(keys(t)).toEqual(['b', 'c', 'd', 'e']);
    clock.now += 5;
    t.touch(t.lookup('b')!); // b is now the most recent
    clock.now += 5;
    t.getOrCreate('f'); // b's old place is visited first, re-queued, then c goes
    expect(keys(t)).toEqual(['b', 'd', 'e', 'f']);
  });

  it('refuses a new entry when the places it may visit hold refreshed entries (HAProxy 2.6)', () => {
    const { t, clock } = table('type string size 4 store gpc0');
    for (const k of ['a', 'b', 'c', 'd']) {
      t.getOrCreate(k);
      clock.now += 5;
    }
    t.touch(t.lookup('a')!);
    clock.now += 5;
    t.touch(t.lookup('b')!);
    clock.now += 5;
    // one entry to evict, at most two places visited: a and b are re-queued, nothing freed
    expect(t.getOrCreate('e')).toBeUndefined();
    expect(t.used).toBe(4);
    // they are now at their new places: the next attempt evicts c
    expect(t.getOrCreate('f')?.key).toBe('f');
    expect(keys(t)).toEqual(['a', 'b', 'd', 'f']);
  });

  it('evicts (size >> 8) + 1 entries at once', () => {
    const { t, clock } = table('type integer size 512');
    for (let i = 0; i < 512; i++) {
      t.getOrCreate(i);
      clock.now++;
    }
    t.getOrCreate(1000);
    expect(t.used).toBe(510); // 3 evicted, 1 added
    expect(t.lookup(0) ?? t.lookup(1) ?? t.lookup(2)).toBeUndefined();
    expect(t.lookup(3)).toBeDefined();
  });

  it('never evicts a tracked entry', () => {
    const { t, clock } = table('type ip size 4 store conn_cur');
    const a = t.track('10.0.0.1')!;
    for (const k of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) {
      clock.now += 5;
      t.getOrCreate(k);
    }
    clock.now += 5;
    t.getOrCreate('10.0.0.5');
    expect(keys(t)).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
    expect(t.remove('10.0.0.1')).toBe(false);
    t.release(a);
    expect(t.remove('10.0.0.1')).toBe(true);
  });

  it('gives up when every visited entry is tracked, and with nopurge', () => {
    const { t } = table('type ip size 2');
    t.track('10.0.0.1');
    t.track('10.0.0.2');
    expect(t.getOrCreate('10.0.0.3')).toBeUndefined();
    const n = table('type ip size 2 nopurge');
    n.t.getOrCreate('10.0.0.1');
    n.t.getOrCreate('10.0.0.2');
    expect(n.t.getOrCreate('10.0.0.3')).toBeUndefined();
    expect(n.t.getOrCreate('10.0.0.2')?.key).toBe('10.0.0.2'); // existing keys are still found
  });
});

describe('expiry', () => {
  it('removes an entry `expire` ms after its last refresh', () => {
    const { t, clock } = table('type ip size 10 expire 10s store gpc0');
    const e = t.getOrCreate('10.0.0.1')!;
    expect(e.expire).toBe(1_010_000);
    clock.now = 1_009_999;
    expect(t.lookup('10.0.0.1')).toBe(e);
    clock.now = 1_005_000;
    t.touch(e);
    clock.now = 1_014_999;
    expect(t.lookup('10.0.0.1')).toBe(e);
    expect(t.purge()).toBe(1_015_000);
    clock.now = 1_015_000;
    expect(t.lookup('10.0.0.1')).toBeUndefined();
    expect(e.inTable).toBe(false);
    expect(t.used).toBe(0);
    expect(t.purge()).toBeUndefined();
  });

  it('lookups and session counts do not refresh; counters and tracking do', () => {
    const { t, clock } = table('type ip size 10 expire 10s store sess_cnt,http_req_cnt');
    const e = t.getOrCreate('10.0.0.1')!;
    clock.now += 4_000;
    t.lookup('10.0.0.1');
    updateOnSession(e);
    expect(e.expire).toBe(1_010_000);
    updateOnHttpRequest(e);
    expect(e.expire).toBe(1_014_000);
    clock.now += 1_000;
    t.track('10.0.0.1');
    expect(e.expire).toBe(1_015_000);
  });

  it('keeps a tracked entry past its date, and drops it as soon as it is released', () => {
    const { t, clock } = table('type ip size 10 expire 1s store conn_cur');
    const e = t.track('10.0.0.1')!;
    clock.now += 5_000;
    expect(t.lookup('10.0.0.1')).toBe(e);
    expect(t.entries()).toHaveLength(1);
    t.release(e); // refreshes (conn_cur changed), so it stays for another second
    expect(t.lookup('10.0.0.1')).toBe(e);
    clock.now += 1_000;
    expect(t.lookup('10.0.0.1')).toBeUndefined();
  });

  it('drops an entry expired while tracked when released without a refresh', () => {
    const { t, clock } = table('type ip size 10 expire 1s store gpc0');
    const e = t.track('10.0.0.1')!;
    clock.now += 5_000;
    t.release(e); // no conn_cur stored: no refresh, expired: removed
    expect(e.inTable).toBe(false);
  });

  it('never expires entries of a table without expire', () => {
    const { t, clock } = table('type ip size 10 store gpc0');
    t.getOrCreate('10.0.0.1');
    clock.now += 10 ** 9;
    expect(t.lookup('10.0.0.1')).toBeDefined();
  });
});

describe('stored data', () => {
  const all =
    'type ip size 10 store server_id,gpt0,gpc0,gpc0_rate(10s),conn_cnt,conn_rate(10s),conn_cur,sess_cnt,' +
    'sess_rate(10s),http_req_cnt,http_req_rate(10s),http_err_cnt,http_err_rate(10s),bytes_in_cnt,' +
    'bytes_in_rate(10s),bytes_out_cnt,bytes_out_rate(10s),gpc1,gpc1_rate(10s),server_key,http_fail_cnt,' +
    'http_fail_rate(10s)';

  it('holds every scalar type with its C width', () => {
    const { t } = table(all);
    const e = t.getOrCreate('10.0.0.1')!;
    expect(e.get('gpc0')).toBe(0);
    expect(e.add('gpc0')).toBe(1);
    expect(e.set('gpc0', 2 ** 32 - 1)).toBe(true);
    expect(e.add('gpc0')).toBe(0); // 32-bit wrap
    e.set('gpt0', -1);
    expect(e.get('gpt0')).toBe(4294967295);
    e.set('server_id', 2 ** 31);
    expect(e.get('server_id')).toBe(-(2 ** 31)); // signed 32-bit
    e.set('bytes_in_cnt', 2n ** 63n);
    e.add('bytes_in_cnt', 5);
    expect(e.getBig('bytes_in_cnt')).toBe(2n ** 63n + 5n);
    e.set('bytes_out_cnt', -1);
    expect(e.getBig('bytes_out_cnt')).toBe(2n ** 64n - 1n);
    e.add('bytes_out_cnt', 1);
    expect(e.getBig('bytes_out_cnt')).toBe(0n);
    expect(e.serverKey).toBeUndefined();
    e.serverKey = 'web1';
    expect(e.serverKey).toBe('web1');
    for (const r of ['gpc0_rate', 'conn_rate', 'sess_rate', 'http_req_rate', 'http_err_rate'] as const) {
      expect(e.add(r, 3)).toBe(3);
      expect(e.get(r)).toBe(3);
    }
    for (const r of ['bytes_in_rate', 'bytes_out_rate', 'gpc1_rate', 'http_fail_rate'] as const) {
      e.set(r, 7);
      expect(e.get(r)).toBe(7);
    }
    for (const c of [
      'conn_cnt',
      'conn_cur',
      'sess_cnt',
      'http_req_cnt',
      'http_err_cnt',
      'gpc1',
      'http_fail_cnt',
    ] as const)
      expect(e.add(c, 2)).toBe(2);
  });

  it('holds arrays, and answers undefined for what is not stored', () => {
    const { t } = table('type ip size 10 store gpt(2),gpc(3),gpc_rate(2,1s)');
    const e = t.getOrCreate('10.0.0.1')!;
    expect(e.has('gpc', 2)).toBe(true);
    expect(e.has('gpc', 3)).toBe(false);
    expect(e.add('gpc', 1, 2)).toBe(1);
    expect(e.get('gpc', 2)).toBe(1);
    expect(e.get('gpc', 0)).toBe(0);
    expect(e.get('gpc', 3)).toBeUndefined();
    expect(e.set('gpt', 9, 1)).toBe(true);
    expect(e.get('gpt', 1)).toBe(9);
    expect(e.add('gpc_rate', 4, 1)).toBe(4);
    expect(e.get('gpc_rate', 1)).toBe(4);
    expect(e.get('gpc0')).toBeUndefined();
    expect(e.add('gpc0')).toBeUndefined();
    expect(e.set('conn_cnt', 1)).toBe(false);
  });
});

describe('tracking and events', () => {
  it('counts connections while tracked, conn_cur never below 0', () => {
    const { t } = table('type ip size 10 store conn_cnt,conn_cur,conn_rate(10s)');
    const a = t.track('10.0.0.1')!;
    const b = t.track('10.0.0.1')!;
    expect(a).toBe(b);
    expect([a.get('conn_cnt'), a.get('conn_cur'), a.get('conn_rate'), a.refCount]).toEqual([2, 2, 2, 2]);
    a.set('conn_cur', 0);
    t.release(a);
    t.release(a);
    expect([a.get('conn_cur'), a.refCount]).toEqual([0, 0]);
    expect(() => t.release(a)).toThrow(StickError);
    updateOnConnection(a);
    expect(a.get('conn_cnt')).toBe(3);
  });

  it('counts http requests, errors and failures', () => {
    const { t } = table(
      'type ip size 10 store http_req_cnt,http_req_rate(1m),http_err_cnt,http_err_rate(1m),http_fail_cnt,http_fail_rate(1m),conn_cnt',
    );
    const e = trackHttp(t, '10.0.0.1')!;
    expect([e.get('http_req_cnt'), e.get('http_req_rate'), e.get('conn_cnt')]).toEqual([1, 1, 1]);
    updateOnHttpRequest(e);
    updateOnHttpError(e);
    updateOnHttpFailure(e);
    for (const s of [200, 302, 404, 429, 500, 501, 502, 505, 503]) updateOnHttpResponse(e, s);
    expect([e.get('http_req_cnt'), e.get('http_err_cnt'), e.get('http_fail_cnt')]).toEqual([2, 3, 4]);
    expect([e.get('http_err_rate'), e.get('http_fail_rate')]).toEqual([3, 4]);
    // http-response track-sc: the response status is counted at tracking time
    const r = trackHttp(t, '10.0.0.2', 404)!;
    const f = trackHttp(t, '10.0.0.3', 503)!;
    const ok = trackHttp(t, '10.0.0.4', 505)!;
    expect([r.get('http_err_cnt'), f.get('http_fail_cnt'), ok.get('http_fail_cnt')]).toEqual([1, 1, 0]);
  });

  it('counts sessions and bytes', () => {
    const { t } = table(
      'type ip size 10 store sess_cnt,sess_rate(1m),bytes_in_cnt,bytes_in_rate(1m),bytes_out_cnt',
    );
    const e = t.track('10.0.0.1')!;
    updateOnSession(e);
    updateOnBytes(e, 100, 2_000);
    updateOnBytes(e, 50, 0);
    expect([e.get('sess_cnt'), e.get('sess_rate')]).toEqual([1, 1]);
    expect([e.get('bytes_in_cnt'), e.get('bytes_in_rate'), e.get('bytes_out_cnt')]).toEqual([
      150, 150, 2_000,
    ]);
  });

  it('stick store / match', () => {
    const { t, clock } = table('type ip size 10 expire 1m');
    const spec = withStickRules(t.spec);
    const s = new StickTable('s', spec, () => clock.now);
    expect(stickMatch(s, '10.0.0.1')).toBeUndefined();
    stickStore(s, '10.0.0.1', 3, 'web3');
    clock.now += 30_000;
    expect(stickMatch(s, '10.0.0.1')).toEqual({ serverId: 3, serverKey: 'web3' });
    expect(s.lookup('10.0.0.1')?.expire).toBe(clock.now + 60_000);
  });

  it('refuses keys that do not convert', () => {
    const { t } = table('type ip size 10');
    expect(t.getOrCreate('::1')).toBeUndefined();
    expect(t.track('not an address')).toBeUndefined();
    expect(t.lookup({ addr: '::ffff:10.0.0.1' })).toBeUndefined();
    expect(t.getOrCreate({ addr: '::ffff:10.0.0.1' })?.key).toBe('10.0.0.1');
  });

  it('clear() spares tracked entries', () => {
    const { t } = table('type integer size 10 store gpc0');
    t.track(1);
    t.getOrCreate(2)?.set('gpc0', 5);
    t.getOrCreate(3);
    expect(t.clear((e) => e.get('gpc0') === 0)).toBe(1);
    expect(keys(t)).toEqual([1, 2]);
    expect(t.clear()).toBe(1);
    expect(keys(t)).toEqual([1]);
  });
});
