// Fetches of the proxies' live state and identity (HAProxy manual 7.3.2 and 7.3.3): queues,
// free slots, per-second rates, ids, weights and configured timeouts of backends, frontends
// and servers. They read `env.world` (the application's view of its proxies); a world that
// lacks a figure makes them find nothing.
import { type ArgVal, argSpec, NO_ARGS } from '../args.ts';
import type { FetchDef } from '../defs.ts';
import type { BackendFigure, FrontendFigure, SampleEnv, ServerFigure } from '../env.ts';
import { backendName } from './l4.ts';

function backendFetch(name: string, figure: BackendFigure): FetchDef {
  return {
    name,
    args: argSpec(0, 'be'),
    out: 'sint',
    fn: (env, a) => env.world.backendFigure?.((a[0] as string | undefined) ?? backendName(env), figure),
  };
}

function frontendFetch(name: string, figure: FrontendFigure): FetchDef {
  return {
    name,
    args: argSpec(0, 'fe'),
    out: 'sint',
    fn: (env, a) => env.world.frontendFigure?.((a[0] as string | undefined) ?? env.frontend, figure),
  };
}

/** A `[<backend>/]<server>` argument (resolved to `backend/server` when the proxy was known). */
function serverFigure(env: SampleEnv, spec: string, figure: ServerFigure): number | undefined {
  const slash = spec.indexOf('/');
  const be = slash < 0 ? backendName(env) : spec.slice(0, slash);
  return env.world.serverFigure?.(be, slash < 0 ? spec : spec.slice(slash + 1), figure);
}

function serverFetch(name: string, figure: ServerFigure): FetchDef {
  return {
    name,
    args: argSpec(1, 'srv'),
    out: 'sint',
    fn: (env, a: readonly ArgVal[]) => serverFigure(env, a[0] as string, figure),
  };
}

/** The stream's own server (`srv_id`): none before one is chosen. */
function streamServerId(env: SampleEnv): number | undefined {
  const srv = env.server;
  return srv === undefined ? undefined : env.world.serverFigure?.(backendName(env), srv, 'id');
}

export const STATE_FETCHES: readonly FetchDef[] = [
  backendFetch('avg_queue', 'avg_queue'),
  backendFetch('connslots', 'connslots'),
  backendFetch('be_conn_free', 'conn_free'),
  backendFetch('be_sess_rate', 'sess_rate'),
  frontendFetch('fe_sess_rate', 'sess_rate'),
  frontendFetch('fe_req_rate', 'req_rate'),
  serverFetch('srv_conn', 'conn'),
  serverFetch('srv_conn_free', 'conn_free'),
  serverFetch('srv_sess_rate', 'sess_rate'),
  serverFetch('srv_weight', 'weight'),
  serverFetch('srv_iweight', 'iweight'),
  serverFetch('srv_uweight', 'uweight'),
  {
    name: 'be_id',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) => env.world.backendFigure?.(backendName(env), 'id'),
  },
  {
    name: 'fe_id',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) => env.world.frontendFigure?.(env.frontend, 'id'),
  },
  { name: 'srv_id', args: NO_ARGS, out: 'sint', fn: streamServerId },
  {
    name: 'fe_defbe',
    args: NO_ARGS,
    out: 'str',
    fn: (env) => env.world.defaultBackend?.(env.frontend),
  },
  {
    name: 'be_server_timeout',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) => env.world.backendFigure?.(backendName(env), 'server_timeout'),
  },
  {
    name: 'be_tunnel_timeout',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) => env.world.backendFigure?.(backendName(env), 'tunnel_timeout'),
  },
  // the stream's timeouts are the backend's once it has a server connection, 0 before
  {
    name: 'cur_server_timeout',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) =>
      env.server === undefined ? 0 : env.world.backendFigure?.(backendName(env), 'server_timeout'),
  },
  {
    name: 'cur_tunnel_timeout',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) =>
      env.server === undefined ? 0 : env.world.backendFigure?.(backendName(env), 'tunnel_timeout'),
  },
  {
    name: 'fe_client_timeout',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) => env.world.frontendFigure?.(env.frontend, 'client_timeout'),
  },
];

/** The fetches that read per-second rates: the proxies count their rates when one is used. */
export const RATE_FETCHES: ReadonlySet<string> = new Set([
  'be_sess_rate',
  'fe_sess_rate',
  'fe_req_rate',
  'srv_sess_rate',
]);
