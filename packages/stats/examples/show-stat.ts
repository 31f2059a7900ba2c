// Run: node packages/stats/examples/show-stat.ts  (Node 24 runs .ts files directly)
// A proxy's view of one frontend and one backend with two servers: it increments the
// counters as traffic goes, and the renderers answer `show stat`, `show info` and a
// Prometheus scrape from the same StatsSource.
import {
  countHttpStatus,
  ProxyCounters,
  type ProxyState,
  processInfo,
  renderPrometheus,
  ServerCounters,
  type StatsSource,
  showInfo,
  showStat,
} from '../src/index.ts';

const startedAt = Date.now() - 42_000;
const fe = new ProxyCounters();
const be = new ProxyCounters();
const web = [new ServerCounters(), new ServerCounters()];

// what the proxy does on its hot path
const now = Date.now();
for (let i = 0; i < 10; i++) {
  fe.conn_tot++; // connection accepted
  fe.stot++; // session created
  fe.sess_per_sec.add(now);
  fe.req_tot++;
  be.stot++; // stream assigned to the backend
  be.lbtot++;
  be.req_tot++;
  be.last_sess = Math.floor(now / 1000);
  const s = web[i % 2]!;
  s.stot++;
  s.lbtot++;
  s.req_tot++;
  s.last_sess = Math.floor(now / 1000);
  const status = i === 9 ? 503 : 200;
  countHttpStatus(s, status);
  countHttpStatus(be, status);
  countHttpStatus(fe, status);
}
web[1]!.econ++; // one connection refused …
web[1]!.wretr++; // … and retried

const servers = web.map((counters, i) => ({
  name: `web${i + 1}`,
  id: i + 1,
  counters,
  opState: 'running' as const,
  weight: 1,
  uweight: 1,
  scur: 0,
  qcur: 0,
  lastChange: Math.floor(startedAt / 1000),
  addr: `127.0.0.1:${8001 + i}`,
  check: { status: 'L7OK' as const, code: 200, duration: 1, rise: 2, fall: 3, health: 4 },
}));
const proxies: ProxyState[] = [
  { name: 'www', id: 1, mode: 'http', frontend: { counters: fe, scur: 0, maxconn: 2000 } },
  {
    name: 'app',
    id: 2,
    mode: 'http',
    backend: {
      counters: be,
      scur: 0,
      qcur: 0,
      fullconn: 200,
      algo: 'roundrobin',
      weight: 2,
      act: 2,
      bck: 0,
      lastChange: Math.floor(startedAt / 1000),
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
      startedAt,
      values: { CumReq: 10 },
    }),
  proxies: () => proxies,
};

console.log(showStat(source, []));
console.log(showStat(source, ['app', '4', '1', 'typed']).split('\n').slice(0, 6).join('\n'));
console.log('\n' + showInfo(source.info(), []).split('\n').slice(0, 9).join('\n'));
const prom = renderPrometheus(source).split('\n');
console.log(
  '\n' +
    prom
      .filter((l) => l.includes('http_responses_total'))
      .slice(0, 8)
      .join('\n'),
);
