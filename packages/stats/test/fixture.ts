// A StatsSource that mirrors CONFIG below, the way haproxyd would describe the same
// configuration right after start (no traffic yet), so that its renderings can be compared
// with the real HAProxy's for CONFIG.
import {
  ListenerCounters,
  ProxyCounters,
  type ProxyState,
  processInfo,
  ServerCounters,
  type ServerState,
  SRV_ADMF,
  type StatsSource,
} from '../src/index.ts';

export interface Ports {
  readonly fe: number;
  readonly prom: number;
  readonly tcpx: number;
  /** s1 (its health check target must accept connections), s2…s5, t1. */
  readonly servers: readonly [number, number, number, number, number, number];
}

/** The haproxy.cfg the fixture mirrors; `${SOCK}` is the stats socket directory. */
export function config(p: Ports, sockDir: string): string {
  const [s1, s2, s3, s4, s5, t1] = p.servers;
  return `global
  stats socket ${sockDir}/admin.sock level admin
  stats socket ${sockDir}/user.sock level user
  maxconn 1000

defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend fe
  bind 127.0.0.1:${p.fe} name l1
  maxconn 500
  option socket-stats
  default_backend be

frontend prom
  bind 127.0.0.1:${p.prom}
  http-request use-service prometheus-exporter

backend be
  fullconn 50
  cookie SRV insert
  server s1 127.0.0.1:${s1} check inter 30s cookie c1 maxconn 10 maxqueue 5
  server s2 127.0.0.1:${s2} cookie c2
  server s3 127.0.0.1:${s3} backup
  server s4 127.0.0.1:${s4} track s1
  server s5 127.0.0.1:${s5} disabled

listen tcpx
  mode tcp
  bind 127.0.0.1:${p.tcpx}
  fullconn 40
  server t1 127.0.0.1:${t1}
`;
}

function server(id: number, name: string, port: number, extra: Partial<ServerState> = {}): ServerState {
  return {
    name,
    id,
    counters: new ServerCounters(),
    opState: 'running',
    weight: 1,
    uweight: 1,
    scur: 0,
    qcur: 0,
    lastChange: 0,
    addr: `127.0.0.1:${port}`,
    ...extra,
  };
}

/** The source for config(p), with every state change at `startedAt` (ms). */
export function fixtureSource(p: Ports, startedAt = Date.now()): StatsSource {
  const [s1, s2, s3, s4, s5, t1] = p.servers;
  const since = Math.floor(startedAt / 1000);
  const check = { status: 'L4OK', rise: 2, fall: 3, health: 4, result: 3 } as const;
  const beServers: ServerState[] = [
    server(1, 's1', s1, {
      check,
      cookie: 'c1',
      maxconn: 10,
      maxqueue: 5,
      downtime: 0,
      idle: { cur: 0, unsafe: 0, safe: 0, used: 0, needEst: 1 },
    }),
    server(2, 's2', s2, { cookie: 'c2' }),
    server(3, 's3', s3, { backup: true }),
    server(4, 's4', s4, { tracked: { proxy: 'be', server: 's1', check } }),
    server(5, 's5', s5, { opState: 'stopped', admin: SRV_ADMF.CMAINT | SRV_ADMF.FMAINT }),
  ].map((s) => ({ ...s, lastChange: since }));
  const proxies: ProxyState[] = [
    {
      name: 'fe',
      id: 2,
      mode: 'http',
      frontend: { counters: new ProxyCounters(), scur: 0, maxconn: 500 },
      listeners: [
        {
          name: 'l1',
          id: 1,
          counters: new ListenerCounters(),
          scur: 0,
          maxconn: 0,
          status: 'OPEN',
          addr: `127.0.0.1:${p.fe}`,
        },
      ],
    },
    {
      name: 'prom',
      id: 3,
      mode: 'http',
      frontend: { counters: new ProxyCounters(), scur: 0, maxconn: 1000 },
    },
    {
      name: 'be',
      id: 4,
      mode: 'http',
      backend: {
        counters: new ProxyCounters(),
        scur: 0,
        qcur: 0,
        fullconn: 50,
        algo: 'roundrobin',
        cookie: 'SRV',
        weight: 3,
        act: 3,
        bck: 1,
        lastChange: since,
        downtime: 0,
        chkdown: 0,
      },
      servers: beServers,
    },
    {
      name: 'tcpx',
      id: 5,
      mode: 'tcp',
      frontend: { counters: new ProxyCounters(), scur: 0, maxconn: 1000 },
      backend: {
        counters: new ProxyCounters(),
        scur: 0,
        qcur: 0,
        fullconn: 40,
        algo: 'roundrobin',
        weight: 1,
        act: 1,
        bck: 0,
        lastChange: since,
        downtime: 0,
        chkdown: 0,
      },
      servers: [{ ...server(1, 't1', t1), lastChange: since }],
    },
  ];
  return {
    info: () =>
      processInfo({
        name: 'haproxyd',
        version: '0.1.0',
        releaseDate: '2026/01/01',
        startedAt,
        maxconn: 1000,
      }),
    proxies: () => proxies,
  };
}
