// The balancer's contract: arguments and errors, HAProxy's state rules (drain, weight 0,
// backups, allbackups, maxconn, redispatch), each algorithm's own behaviour, slow start,
// and properties that hold for any weights. The exact choice orders are checked against
// the real HAProxy in haproxy-diff.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALGORITHM_INFO,
  BalanceError,
  type BalanceServer,
  createBalancer,
  createServer,
  type ServerInit,
  slowStartFactor,
} from '../src/index.ts';

const farm = (...specs: (number | ServerInit)[]): BalanceServer[] =>
  specs.map((s, i) => createServer(`s${i + 1}`, typeof s === 'number' ? { weight: s } : s));

const names = (b: { pick: () => BalanceServer | undefined }, n: number): string[] =>
  Array.from({ length: n }, () => b.pick()?.name ?? '-');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BalanceError);
    return `${(e as BalanceError).code}: ${(e as BalanceError).message}`;
  }
  throw new Error('expected a BalanceError');
}

describe('arguments and errors', () => {
  const s = farm(1, 1);
  it('an unknown algorithm names itself and the known ones', () => {
    expect(code(() => createBalancer('roundrobbin', [], {}, s))).toBe(
      "HAP_ERR_BALANCE_ALGORITHM: balance: unknown algorithm 'roundrobbin' (expected one of roundrobin, static-rr, leastconn, first, hash, source, uri, url_param, hdr(<name>), random[(<draws>)], rdp-cookie[(<name>)])",
    );
  });
  it.each([
    ['roundrobin', ['x'], "balance roundrobin: unexpected argument 'x' (roundrobin takes no argument)"],
    ['source', ['whole'], "balance source: unexpected argument 'whole' (source takes no argument)"],
    ['uri', ['len'], "balance uri: 'len' expects a positive integer (got '')"],
    ['uri', ['depth', '0'], "balance uri: 'depth' expects a positive integer (got '0')"],
    [
      'uri',
      ['deep'],
      "balance uri: only accepts 'len <n>', 'depth <n>', 'path-only' and 'whole' (got 'deep')",
    ],
    ['url_param', [], 'balance url_param: requires an URL parameter name'],
    [
      'url_param',
      ['id', 'check_get'],
      "balance url_param: only accepts the 'check_post' modifier (got 'check_get')",
    ],
    ['hdr', [], 'balance hdr: requires an http header field name: hdr(<name>)'],
    ['hdr()', [], "balance hdr: expected hdr(<name>) (got 'hdr()')"],
    ['hdr(host', [], "balance hdr: expected hdr(<name>) (got 'hdr(host')"],
    [
      'hdr(host)',
      ['use_domain'],
      "balance hdr: only accepts the 'use_domain_only' modifier (got 'use_domain')",
    ],
    ['random(0)', [], "balance random: number of draws must be an integer, at least 1 (got '0')"],
    ['random(two)', [], "balance random: number of draws must be an integer, at least 1 (got 'two')"],
    ['rdp-cookie()', [], "balance rdp-cookie: expected rdp-cookie(<name>) (got 'rdp-cookie()')"],
    ['hash', [], 'balance hash: requires a sample expression'],
    ['hash', ['src', 'dst'], "balance hash: takes no other argument (got 'dst')"],
  ])('%s %j', (algo, args, message) => {
    expect(code(() => createBalancer(algo, args, {}, s))).toBe(`HAP_ERR_BALANCE_ARGS: ${message}`);
  });
  it('accepted forms', () => {
    for (const [algo, args] of [
      ['uri', ['whole', 'len', '10', 'depth', '3', 'path-only']],
      ['url_param', ['id', 'check_post', '64']],
      ['hdr(Host)', ['use_domain_only']],
      ['random', []],
      ['random(5)', []],
      ['rdp-cookie', []],
      ['rdp-cookie(user)', []],
      ['hash', ['req.cookie(id)']],
      ['leastconn', []],
      ['first', []],
      ['static-rr', []],
    ] as const)
      expect(createBalancer(algo, args, {}, farm(1)).algorithm).toBe(algo.replace(/\(.*/, ''));
  });
  it('options', () => {
    expect(code(() => createBalancer('uri', [], { hashType: 'ring' as never }, s))).toBe(
      "HAP_ERR_BALANCE_OPTION: hash-type: unknown method 'ring' (expected map-based or consistent)",
    );
    expect(code(() => createBalancer('uri', [], { hashFunction: 'md5' as never }, s))).toBe(
      "HAP_ERR_BALANCE_OPTION: hash-type: unknown hash function 'md5' (expected sdbm, djb2, wt6, crc32 or none)",
    );
  });
  it('servers', () => {
    expect(code(() => createBalancer('roundrobin', [], {}, farm(257)))).toBe(
      "HAP_ERR_BALANCE_SERVER: server 's1': weight must be an integer from 0 to 256 (got 257)",
    );
    expect(code(() => createBalancer('roundrobin', [], {}, farm(1.5)))).toMatch(/weight must be an integer/);
    expect(code(() => createBalancer('roundrobin', [], {}, farm({ state: 'ok' as never })))).toBe(
      "HAP_ERR_BALANCE_SERVER: server 's1': state must be one of up, down, drain, maint (got 'ok')",
    );
    expect(code(() => createBalancer('roundrobin', [], {}, farm({ id: 2 }, { id: 2 })))).toBe(
      "HAP_ERR_BALANCE_SERVER: server 's2': id 2 is already used",
    );
    const one = createServer('x');
    expect(code(() => createBalancer('roundrobin', [], {}, [one, one]))).toBe(
      "HAP_ERR_BALANCE_SERVER: server 'x' is given twice",
    );
    const b = createBalancer('roundrobin', [], {}, s);
    expect(code(() => b.taken(createServer('stranger')))).toBe(
      "HAP_ERR_BALANCE_SERVER: server 'stranger' does not belong to this balancer",
    );
    expect(code(() => b.released(s[0]!))).toBe(
      "HAP_ERR_BALANCE_UNDERFLOW: server 's1': released() without a request in progress",
    );
  });
  it('the algorithm table lists what each one reads', () => {
    expect(ALGORITHM_INFO.map((a) => a.name)).toEqual([
      'roundrobin',
      'static-rr',
      'leastconn',
      'first',
      'hash',
      'source',
      'uri',
      'url_param',
      'hdr',
      'random',
      'rdp-cookie',
    ]);
  });
});

describe('state rules', () => {
  for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'random']) {
    it(`${algo}: drain, maint, down and weight 0 take nothing; backups only when no active is usable`, () => {
      const s = farm(2, 1, { weight: 1 }, { weight: 0 }, { backup: true }, { backup: true });
      const b = createBalancer(algo, [], {}, s);
      b.setState(s[1]!, 'drain');
      b.setState(s[2]!, 'maint');
      const key = { clientIp: '10.0.0.1', uri: '/x' };
      for (let i = 0; i < 20; i++) expect(b.pick(key)?.name).toBe('s1');
      expect(b.usable(s[3]!)).toBe(false);
      b.setState(s[0]!, 'down');
      // the first backup takes everything
      for (let i = 0; i < 10; i++) expect(b.pick(key)?.name).toBe('s5');
      b.setState(s[4]!, 'maint');
      for (let i = 0; i < 10; i++) expect(b.pick(key)?.name).toBe('s6');
      b.setState(s[5]!, 'drain');
      expect(b.available()).toBe(false);
      expect(b.pick(key)).toBeUndefined();
      b.setState(s[1]!, 'up');
      expect(b.pick(key)?.name).toBe('s2');
    });
  }

  it('allBackups: every backup by weight', () => {
    const s = farm({ state: 'down' }, { backup: true, weight: 1 }, { backup: true, weight: 3 });
    const b = createBalancer('roundrobin', [], { allBackups: true }, s);
    const seq = names(b, 64);
    expect(seq.filter((n) => n === 's2')).toHaveLength(16);
    expect(seq.filter((n) => n === 's3')).toHaveLength(48);
  });

  it('a server at its maxconn is skipped while others can take the request', () => {
    for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'first']) {
      const s = farm({ maxconn: 1 }, { maxconn: 1 });
      const b = createBalancer(algo, [], {}, s);
      const a = b.pick()!;
      b.taken(a);
      const c = b.pick()!;
      expect(c, algo).not.toBe(a);
      b.taken(c);
      expect(b.pick(), algo).toBeUndefined();
      expect(b.available(), algo).toBe(true);
      b.released(a);
      expect(b.pick(), algo).toBe(a);
    }
  });

  it('avoid (redispatch): another server if there is one', () => {
    for (const algo of ['roundrobin', 'static-rr', 'leastconn', 'first', 'uri', 'source']) {
      const s = farm(1, 1, 1);
      const b = createBalancer(algo, [], { hashType: 'consistent' }, s);
      for (const avoid of s) {
        for (let i = 0; i < 6; i++)
          expect(b.pick({ avoid, uri: `/${i}`, clientIp: `10.0.0.${i}` }), algo).not.toBe(avoid);
      }
      const alone = farm(1);
      const b1 = createBalancer(algo, [], {}, alone);
      expect(b1.pick({ avoid: alone[0]! })).toBe(alone[0]);
    }
  });

  it('static algorithms keep their weights: only 0 or the initial weight', () => {
    const s = farm(2, 1);
    const b = createBalancer('static-rr', [], {}, s);
    expect(code(() => b.setWeight(s[0]!, 3))).toBe(
      "HAP_ERR_BALANCE_STATIC_WEIGHT: server 's1': static-rr is static and only accepts weight 0 or the initial weight 2 (got 3)",
    );
    expect(s[0]!.weight).toBe(2);
    b.setWeight(s[0]!, 0);
    expect(names(b, 3)).toEqual(['s2', 's2', 's2']);
    b.setWeight(s[0]!, 2);
    expect(b.effectiveWeight(s[0]!)).toBe(2);
    // a direct change is refused by update() too
    s[1]!.weight = 5;
    expect(code(() => b.update(s[1]!))).toMatch(/^HAP_ERR_BALANCE_STATIC_WEIGHT/);
  });

  it('update() after the caller changed the view', () => {
    const s = farm(1, 1);
    const b = createBalancer('roundrobin', [], {}, s);
    s[0]!.state = 'maint';
    b.update(s[0]!);
    expect(names(b, 4)).toEqual(['s2', 's2', 's2', 's2']);
    s[0]!.state = 'up';
    s[0]!.weight = 3;
    b.update(s[0]!);
    expect(b.effectiveWeight(s[0]!)).toBe(3);
  });
});

describe('roundrobin', () => {
  it('weights 3,2,1: the smooth order HAProxy uses', () => {
    const b = createBalancer('roundrobin', [], {}, farm(3, 2, 1));
    expect(names(b, 12).join(' ')).toBe('s1 s2 s1 s3 s1 s2 s1 s2 s1 s3 s1 s2');
  });

  it('any weights: each server gets its share, within one turn per server', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 10 }), (weights) => {
        const total = weights.reduce((a, w) => a + w, 0);
        fc.pre(total > 0);
        const s = farm(...weights);
        const b = createBalancer('roundrobin', [], {}, s);
        const picks = 16 * total * 2;
        const counts = new Map<BalanceServer, number>();
        for (let i = 0; i < picks; i++) {
          const p = b.pick()!;
          counts.set(p, (counts.get(p) ?? 0) + 1);
        }
        s.forEach((srv, i) => {
          const expected = (picks * weights[i]!) / total;
          expect(Math.abs((counts.get(srv) ?? 0) - expected)).toBeLessThanOrEqual(weights.length);
        });
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('weight changes on the fly', () => {
    const s = farm(1, 1);
    const b = createBalancer('roundrobin', [], {}, s);
    names(b, 10);
    b.setWeight(s[0]!, 3);
    const seq = names(b, 16 * 4 * 3);
    expect(seq.filter((n) => n === 's1').length / seq.length).toBeCloseTo(0.75, 1);
  });
});

describe('static-rr', () => {
  it('walks the map in order', () => {
    const b = createBalancer('static-rr', [], {}, farm(3, 2, 1));
    expect(names(b, 12).join(' ')).toBe('s1 s1 s2 s1 s2 s3 s1 s1 s2 s1 s2 s3');
  });
});

describe('leastconn', () => {
  it('idle servers take turns whatever their weight', () => {
    const s = farm(10, 1, 1);
    const b = createBalancer('leastconn', [], {}, s);
    const seq: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = b.pick()!;
      b.taken(p);
      b.released(p);
      seq.push(p.name);
    }
    expect(seq.join(' ')).toBe('s1 s2 s3 s1 s2 s3');
  });

  it('the least loaded per unit of weight; equals take turns', () => {
    const s = farm(2, 1, 1);
    const b = createBalancer('leastconn', [], {}, s);
    const seq: string[] = [];
    for (let i = 0; i < 8; i++) {
      const p = b.pick()!;
      b.taken(p);
      seq.push(`${p.name}`);
    }
    // keys (served + 1) × 4096 / (16 × weight): s1 carries two for each one of the others
    expect(seq.join(' ')).toBe('s1 s2 s3 s1 s1 s2 s3 s1');
    expect(s.map((x) => x.served)).toEqual([4, 2, 2]);
    b.released(s[1]!);
    expect(b.pick()?.name).toBe('s2');
  });
});

describe('first', () => {
  it('the lowest id below its maxconn', () => {
    const s = farm({ id: 3, maxconn: 2 }, { id: 1, maxconn: 2 }, { maxconn: 2 });
    const b = createBalancer('first', [], {}, s);
    const seq: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = b.pick()!;
      b.taken(p);
      seq.push(p.name);
    }
    // s3 takes id 2, the lowest id left free
    expect(seq.join(' ')).toBe('s2 s2 s3 s3 s1 s1');
    expect(b.pick()).toBeUndefined();
  });
});

describe('hashing algorithms', () => {
  const keys = Array.from({ length: 300 }, (_, i) => `/obj/${i * 7919}`);

  it('the same key, the same server; no key: servers take turns', () => {
    for (const hashType of ['map-based', 'consistent'] as const) {
      const b = createBalancer('uri', [], { hashType }, farm(1, 2, 1));
      const first = keys.map((uri) => b.pick({ uri })?.name);
      expect(keys.map((uri) => b.pick({ uri })?.name)).toEqual(first);
      expect(new Set(names(b, 12)).size).toBe(3);
    }
  });

  it('map-based: the map entry hash % total weight (sdbm, no avalanche by default)', () => {
    const b = createBalancer('hash', ['x'], {}, farm(1, 1, 1));
    // sdbm('a') = 97, 97 % 3 = 1 → the second entry of the map s1 s2 s3
    expect(b.pick({ hashKey: 'a' })?.name).toBe('s2');
    expect(b.pick({ hashKey: Buffer.from('a') })?.name).toBe('s2');
  });

  it('consistent: a server leaving moves only its own keys, and they come back', () => {
    const s = farm(1, 2, 1, 3, 1);
    const b = createBalancer('uri', [], { hashType: 'consistent' }, s);
    const before = keys.map((uri) => b.pick({ uri })!);
    b.setState(s[3]!, 'maint');
    const during = keys.map((uri) => b.pick({ uri })!);
    keys.forEach((_, i) => {
      if (before[i] !== s[3]) expect(during[i]).toBe(before[i]);
      else expect(during[i]).not.toBe(s[3]);
    });
    b.setState(s[3]!, 'up');
    expect(keys.map((uri) => b.pick({ uri })!)).toEqual(before);
    // a lower weight only moves keys away from that server
    b.setWeight(s[1]!, 1);
    keys.forEach((uri, i) => {
      const now = b.pick({ uri })!;
      if (before[i] !== s[1]) expect(now).toBe(before[i]);
    });
  });

  it('source reads the client address; hdr the header; url_param the parameter', () => {
    const s = farm(1, 1, 1, 1);
    const src = createBalancer('source', [], {}, s);
    // map-based without avalanche: the IPv4 address modulo the total weight (4)
    expect(src.pick({ clientIp: '10.0.0.6' })?.name).toBe('s3');
    expect(src.pick({ clientIp: '10.0.0.7' })?.name).toBe('s4');
    const h = createBalancer('hdr(x-user)', [], {}, s);
    const hdr = (v: string | undefined) => ({ header: (n: string) => (n === 'x-user' ? v : undefined) });
    expect(h.pick(hdr('a'))?.name).toBe('s2'); // sdbm('a') = 97 → 97 % 4 = 1
    expect(h.pick(hdr(' a , b'))?.name).toBe('s2');
    const u = createBalancer('url_param', ['id'], {}, s);
    expect(u.pick({ uri: '/p?x=1&id=a' })?.name).toBe('s2');
    expect(u.pick({ uri: '/p', method: 'POST', body: 'id=a&z' })?.name).toBe('s2');
  });

  it('one server left: the key is not even read', () => {
    const s = farm(1, 1);
    const b = createBalancer('hdr(host)', [], {}, s);
    b.setState(s[0]!, 'maint');
    let read = 0;
    const key = {
      header: () => {
        read++;
        return 'x';
      },
    };
    expect(b.pick(key)?.name).toBe('s2');
    expect(read).toBe(0);
  });
});

describe('random', () => {
  it('draws from the ring with the injected source; the least loaded of the draws wins', () => {
    const s = farm(1, 1, 1);
    let next = 0;
    const values: number[] = [];
    const b = createBalancer('random(2)', [], { random: () => values[next++ % values.length]! }, s);
    const one = createBalancer('random(1)', [], { random: () => values[next++ % values.length]! }, s);
    // find two values landing on different servers
    const probe = (v: number) => {
      values.length = 0;
      values.push(v);
      next = 0;
      return one.pick()!;
    };
    const a = 0;
    let c = 1;
    while (probe(c * 0x01000193) === probe(a)) c++;
    const sa = probe(a);
    const sc = probe(c * 0x01000193);
    values.length = 0;
    values.push(a, c * 0x01000193);
    next = 0;
    // equal load: the later draw wins
    expect(b.pick()).toBe(sc);
    b.taken(sc);
    next = 0;
    expect(b.pick()).toBe(sa);
    b.taken(sa);
    next = 0;
    expect(b.pick()).toBe(sc);
    b.taken(sc);
    next = 0;
    expect(b.pick()).toBe(sa);
  });

  it('a full winner means no server (the request would wait)', () => {
    const s = farm({ maxconn: 1 });
    const b = createBalancer('random', [], { random: () => 12345 }, s);
    b.taken(s[0]!);
    expect(b.pick()).toBeUndefined();
  });

  it('follows the weights over many draws', () => {
    let x = 1;
    const rand = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    const s = farm(1, 3);
    const b = createBalancer('random(1)', [], { random: rand }, s);
    const seq = names(b, 4000);
    expect(seq.filter((n) => n === 's2').length / 4000).toBeGreaterThan(0.65);
  });
});

describe('slow start', () => {
  it('the factor: 1/16 at once, linear, full at the end', () => {
    expect(slowStartFactor(0, 10_000)).toBe(1);
    expect(slowStartFactor(625, 10_000)).toBe(2);
    expect(slowStartFactor(5_000, 10_000)).toBe(9);
    expect(slowStartFactor(9_999, 10_000)).toBe(16);
    expect(slowStartFactor(10_000, 10_000)).toBe(16);
    expect(slowStartFactor(-1, 10_000)).toBe(16);
    expect(slowStartFactor(5, 0)).toBe(16);
  });

  it('a server coming up ramps its weight from the time given', () => {
    const s = farm({ weight: 16, slowstart: 10_000 }, 16);
    const b = createBalancer('roundrobin', [], {}, s);
    expect(b.effectiveWeight(s[0]!)).toBe(16); // up from the start: no ramp
    b.setState(s[0]!, 'down', 1_000);
    expect(b.effectiveWeight(s[0]!)).toBe(0);
    b.setState(s[0]!, 'up', 2_000);
    expect(b.effectiveWeight(s[0]!)).toBe(1);
    expect(b.refresh(2_000)).toBe(2_625);
    expect(b.refresh(7_000)).toBe(7_625);
    expect(b.effectiveWeight(s[0]!)).toBe(9);
    expect(b.refresh(7_100)).toBe(7_625);
    const seq = names(b, 16 * 25);
    expect(seq.filter((n) => n === 's1').length).toBeGreaterThan(120);
    expect(seq.filter((n) => n === 's1').length).toBeLessThan(180);
    expect(b.refresh(12_000)).toBe(Number.POSITIVE_INFINITY);
    expect(b.effectiveWeight(s[0]!)).toBe(16);
  });

  it('drain keeps the ramp going; static algorithms do not ramp', () => {
    const s = farm({ weight: 4, slowstart: 1_000, state: 'maint' }, 4);
    const b = createBalancer('leastconn', [], {}, s);
    b.setState(s[0]!, 'drain', 0);
    expect(b.effectiveWeight(s[0]!)).toBe(0);
    b.setState(s[0]!, 'up', 500);
    expect(b.effectiveWeight(s[0]!)).toBe(2.25); // 4 × 9/16
    const st = farm({ weight: 4, slowstart: 1_000, state: 'maint' }, 4);
    const sb = createBalancer('static-rr', [], {}, st);
    sb.setState(st[0]!, 'up');
    expect(sb.effectiveWeight(st[0]!)).toBe(4);
  });

  it('a ramp needs a time', () => {
    const s = farm({ slowstart: 1_000, state: 'down' });
    const b = createBalancer('roundrobin', [], {}, s);
    expect(code(() => b.setState(s[0]!, 'up'))).toBe(
      "HAP_ERR_BALANCE_NOW_REQUIRED: server 's1' starts a slow start: pass the current time (ms) as 'now'",
    );
  });
});
