// pick() cost per algorithm, with 10 and 1000 servers of mixed weights.
// Not run by the tests. Run: node packages/balance/bench/pick.bench.ts [picks]
// "minor GCs" counts the young-generation collections during the measured loop: 0 means
// the loop allocated (next to) nothing.
import { PerformanceObserver } from 'node:perf_hooks';
import {
  type Balancer,
  type BalanceServer,
  createBalancer,
  createServer,
  type PickKey,
} from '../src/index.ts';

const PICKS = Number(process.argv[2] ?? 2_000_000);

let gcs = 0;
const observer = new PerformanceObserver((list) => {
  // detail.kind 1: a minor (young-generation) collection
  for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === 1) gcs++;
});
observer.observe({ entryTypes: ['gc'] });

function servers(n: number): BalanceServer[] {
  return Array.from({ length: n }, (_, i) => createServer(`s${i}`, { weight: 1 + ((i * 7) % 13) }));
}

interface Case {
  label: string;
  algorithm: string;
  args?: string[];
  options?: Parameters<typeof createBalancer>[2];
  /** Keys cycled through (prepared before measuring). */
  keys?: PickKey[];
  /** pick + taken + released, as a proxy would. */
  roundTrip?: boolean;
}

const uriKeys: PickKey[] = Array.from({ length: 1024 }, (_, i) => ({
  uri: `/static/img/${i * 31}/file-${i}.png?v=${i}`,
}));
const ipKeys: PickKey[] = Array.from({ length: 1024 }, (_, i) => ({
  clientIp: `10.${i & 255}.${(i >> 3) & 255}.${i % 251}`,
}));
const hostKeys: PickKey[] = Array.from({ length: 1024 }, (_, i) => {
  const host = `tenant-${i}.example.com`;
  return { header: (name: string) => (name === 'host' ? host : undefined) };
});

let seed = 1;
const lcg = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed;
};

const CASES: Case[] = [
  { label: 'roundrobin', algorithm: 'roundrobin' },
  { label: 'static-rr', algorithm: 'static-rr' },
  { label: 'leastconn (pick+taken+released)', algorithm: 'leastconn', roundTrip: true },
  { label: 'first (pick+taken+released)', algorithm: 'first', roundTrip: true },
  { label: 'source, map-based', algorithm: 'source', keys: ipKeys },
  { label: 'uri, map-based', algorithm: 'uri', keys: uriKeys },
  { label: 'uri, consistent', algorithm: 'uri', options: { hashType: 'consistent' }, keys: uriKeys },
  {
    label: 'hdr(host), consistent',
    algorithm: 'hdr(host)',
    options: { hashType: 'consistent' },
    keys: hostKeys,
  },
  { label: 'random(2)', algorithm: 'random(2)', options: { random: lcg } },
];

function run(b: Balancer, c: Case, count: number): void {
  const keys = c.keys;
  const mask = keys ? keys.length - 1 : 0;
  if (c.roundTrip) {
    for (let i = 0; i < count; i++) {
      const s = b.pick()!;
      b.taken(s);
      b.released(s);
    }
  } else if (keys) {
    for (let i = 0; i < count; i++) b.pick(keys[i & mask]);
  } else {
    for (let i = 0; i < count; i++) b.pick();
  }
}

console.log(`${PICKS} picks per line, Node ${process.version}`);
console.log(
  `${'algorithm'.padEnd(34)} ${'servers'.padStart(7)} ${'ns/pick'.padStart(9)} ${'minor GCs'.padStart(10)}`,
);
for (const n of [10, 1000]) {
  for (const c of CASES) {
    const b = createBalancer(c.algorithm, c.args ?? [], c.options ?? {}, servers(n));
    run(b, c, Math.min(PICKS, 200_000)); // warm-up
    await new Promise((r) => setTimeout(r, 20)); // let pending GC entries arrive
    gcs = 0;
    const start = process.hrtime.bigint();
    run(b, c, PICKS);
    const ns = Number(process.hrtime.bigint() - start) / PICKS;
    await new Promise((r) => setTimeout(r, 20));
    console.log(
      `${c.label.padEnd(34)} ${String(n).padStart(7)} ${ns.toFixed(1).padStart(9)} ${String(gcs).padStart(10)}`,
    );
  }
}
observer.disconnect();
