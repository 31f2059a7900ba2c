// getOrCreate / lookup / track+release cost with 100k entries, and eviction on a full table.
// Not run by the tests. Run: node packages/stick/bench/table.bench.ts [entries]
import { parseStickTable, StickTable, showTable, trackHttp } from '../src/index.ts';

const N = Number(process.argv[2] ?? 100_000);
let now = 1_700_000_000_000;
const clock = () => now;

const ips = Array.from({ length: N }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const ints = Array.from({ length: N }, (_, i) => i * 7919);
const strs = Array.from({ length: N }, (_, i) => `session-${i.toString(36)}-${(i * 31) % 997}`);

function measure(label: string, ops: number, fn: () => void): void {
  const t0 = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - t0);
  const per = ns / ops;
  console.log(
    `${label.padEnd(52)} ${(ns / 1e6).toFixed(1).padStart(8)} ms  ${per.toFixed(0).padStart(6)} ns/op`,
  );
}

function suite(type: string, keys: readonly (string | number)[]): void {
  const spec = parseStickTable(
    `type ${type} size ${N * 2} expire 10m store conn_cnt,conn_cur,http_req_cnt,http_req_rate(10s)`.split(
      ' ',
    ),
  );
  const t = new StickTable(type, spec, clock);
  measure(`${type}: getOrCreate ${N} new keys`, N, () => {
    for (const k of keys) t.getOrCreate(k);
  });
  const lookups = N * 10;
  measure(`${type}: lookup ${lookups} existing keys`, lookups, () => {
    let found = 0;
    for (let i = 0; i < lookups; i++) if (t.lookup(keys[(i * 7) % N] as string | number)) found++;
    if (found !== lookups) throw new Error('lookup missed');
  });
  measure(`${type}: getOrCreate ${lookups} existing keys`, lookups, () => {
    for (let i = 0; i < lookups; i++) t.getOrCreate(keys[(i * 13) % N] as string | number);
  });
  measure(`${type}: trackHttp + release ${N}`, N, () => {
    for (const k of keys) {
      now++;
      const e = trackHttp(t, k);
      if (e) t.release(e);
    }
  });
}

suite('ip', ips);
suite('integer', ints);
suite('string', strs);

// a full table: every new key evicts ((size >> 8) + 1) old entries in a batch
{
  const spec = parseStickTable(`type ip size ${N} store conn_cnt`.split(' '));
  const t = new StickTable('full', spec, clock);
  for (const k of ips) t.getOrCreate(k);
  const more = Array.from({ length: N }, (_, i) => `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  measure(`ip: getOrCreate ${N} keys on a full table (eviction)`, N, () => {
    for (const k of more) {
      now++;
      t.getOrCreate(k);
    }
  });
  console.log(`  used after: ${t.used} of ${t.size}`);
  measure(`show table with ${t.used} entries`, 1, () => {
    showTable(t);
  });
}
