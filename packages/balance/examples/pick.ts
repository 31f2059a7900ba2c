// Run: node packages/balance/examples/pick.ts  (Node 24 runs .ts files directly)
// Three balancers over small farms: weighted round robin with a server going away and
// coming back with a slow start, consistent hashing on the URI, and least connections.
import { createBalancer, createServer } from '../src/index.ts';

// --- roundrobin, weights 3/2/1, a backup ---
const web = [
  createServer('web1', { weight: 3 }),
  createServer('web2', { weight: 2, slowstart: 10_000 }),
  createServer('web3', { weight: 1 }),
  createServer('spare', { backup: true }),
];
const rr = createBalancer('roundrobin', [], {}, web);
const turns = (n: number) => Array.from({ length: n }, () => rr.pick()?.name).join(' ');
console.log('roundrobin 3/2/1:      ', turns(12));

let now = 0; // ms, on whatever monotonic clock the caller uses
rr.setState(web[1]!, 'down', now);
console.log('web2 down:             ', turns(8));
now += 1_000;
rr.setState(web[1]!, 'up', now); // slow start: weight 2 × 1/16 at first
console.log(`web2 back (weight ${rr.effectiveWeight(web[1]!)}):`, turns(12));
now += 6_000;
const nextStep = rr.refresh(now); // the caller moves slow starts forward
console.log(`6 s later: weight ${rr.effectiveWeight(web[1]!)} of 2, next step at ${nextStep} ms:`, turns(12));
for (const s of web.slice(0, 3)) rr.setState(s, 'maint', now);
console.log('all actives in maint:  ', turns(4));

// --- uri with consistent hashing: a server leaving moves only its own keys ---
const caches = ['c1', 'c2', 'c3', 'c4'].map((name) => createServer(name));
const byUri = createBalancer('uri', ['whole'], { hashType: 'consistent' }, caches);
const uris = Array.from({ length: 12 }, (_, i) => `/assets/${i}.png`);
const before = uris.map((uri) => byUri.pick({ uri })?.name);
console.log('\nuri consistent:        ', uris.map((u, i) => `${u.slice(8)}→${before[i]}`).join(' '));
byUri.setState(caches[2]!, 'drain');
const moved = uris.filter((uri, i) => byUri.pick({ uri })?.name !== before[i]);
console.log(
  `c3 drained: ${moved.length} moved, all of them from c3:`,
  moved.every((u) => before[uris.indexOf(u)] === 'c3'),
);

// --- leastconn: the caller reports requests starting and ending ---
const db = ['db1', 'db2', 'db3'].map((name) => createServer(name));
const lc = createBalancer('leastconn', [], {}, db);
const started = Array.from({ length: 5 }, () => {
  const s = lc.pick()!;
  lc.taken(s);
  return s;
});
console.log('\nleastconn, 5 started:  ', started.map((s) => s.name).join(' '));
lc.released(db[2]!);
console.log('db3 finished one, next:', lc.pick()?.name);
