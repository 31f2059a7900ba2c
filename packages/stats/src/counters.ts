// The counters the proxy increments. Plain classes with number fields named after the
// `show stat` column they feed (management.txt 9.1), so that the hot path is a field
// increment and the renderers copy them by name. Times are in milliseconds, instants in
// seconds since the epoch (HAProxy's `now.tv_sec`), 0 meaning "never".

/**
 * Events per second over a sliding second, HAProxy's `freq_ctr`: the count of the current
 * second plus the previous second's count weighted by the part of it still in the window.
 */
export class FreqCounter {
  /** Start of the current period, in ms. */
  curr_tick = 0;
  curr_ctr = 0;
  prev_ctr = 0;

  /** Counts `n` events at `now` (ms) and returns the rate it makes. */
  add(now: number, n = 1): number {
    this.rotate(now);
    this.curr_ctr += n;
    return this.read(now);
  }

  /** Counts one event at `now` (ms). */
  hit(now: number): void {
    this.rotate(now);
    this.curr_ctr++;
  }

  /** Events over the last second at `now` (ms), rounded down like HAProxy. */
  read(now: number): number {
    this.rotate(now);
    const elapsed = now - this.curr_tick;
    return this.curr_ctr + Math.floor((this.prev_ctr * (1000 - elapsed)) / 1000);
  }

  private rotate(now: number): void {
    const elapsed = now - this.curr_tick;
    if (elapsed < 1000) return;
    // one period later the current count becomes the previous one; two or more: both are stale
    this.prev_ctr = elapsed < 2000 ? this.curr_ctr : 0;
    this.curr_ctr = 0;
    this.curr_tick = now - (elapsed % 1000);
  }
}

/**
 * Whether the proxies count their per-second rates (`sess_per_sec`, `conn_per_sec`,
 * `req_per_sec`). HAProxy always does; here the application turns it on when something reads
 * them (a rule using `fe_sess_rate`…, the runtime API), so that otherwise a new session or
 * request pays one flag test.
 */
export const rateCounting = { on: false };

/** Counts one event on `f` when rates are counted (see `rateCounting`). */
export function countRate(f: FreqCounter): void {
  if (rateCounting.on) f.hit(Date.now());
}

/** HAProxy averages qtime/ctime/rtime/ttime over the last 1024 requests. */
export const TIME_STATS_SAMPLES = 1024;

/** Adds `v` to a sliding sum over `n` samples (HAProxy's swrate_add; n = 0: a plain sum). */
export function swrateAdd(sum: number, n: number, v: number): number {
  return sum - (n ? Math.floor((sum + n - 1) / n) : 0) + v;
}

/** The average of a sliding sum over `n` samples (HAProxy's swrate_avg). */
export function swrateAvg(sum: number, n: number): number {
  return Math.floor((sum + n - 1) / n);
}

/** Counters of the extra-counter modules (after the '-' column): TLS, HTTP/2 and HTTP/1. */
class SslCounters {
  ssl_sess = 0;
  ssl_reused_sess = 0;
  ssl_failed_handshake = 0;
}

/**
 * A frontend's or a backend's counters (HAProxy keeps `fe_counters` and `be_counters` in
 * each proxy; a `listen` section has both). Only the fields its kind prints are read.
 */
export class ProxyCounters extends SslCounters {
  /** Frontend: sessions accepted (on session creation). Backend: streams assigned to it. */
  stot = 0;
  /** Frontend: connections accepted (before tcp-request session rules). */
  conn_tot = 0;
  smax = 0;
  /** Backend: highest queue length. */
  qmax = 0;
  bin = 0;
  bout = 0;
  /** Requests denied by http-request/tcp-request content rules. */
  dreq = 0;
  /** Responses denied by http-response rules. */
  dresp = 0;
  /** Frontend: invalid requests (parse errors, timeouts before a full request). */
  ereq = 0;
  /** Backend: failed connection attempts to a server (each attempt, retries included). */
  econ = 0;
  /** Backend: invalid or aborted responses. */
  eresp = 0;
  /** Backend: connection retries. */
  wretr = 0;
  /** Backend: redispatches to another server after a failure. */
  wredis = 0;
  /** Backend: requests given a server by the load balancer (not by stickiness or queue). */
  lbtot = 0;
  /** Connections refused by tcp-request connection rules. */
  dcon = 0;
  /** Sessions refused by tcp-request session rules. */
  dses = 0;
  /** Failed header rewrites. */
  wrew = 0;
  /** Internal errors. */
  eint = 0;
  /** Backend: connection attempts (new connections, not reuses). */
  connect = 0;
  /** Backend: idle connections reused. */
  reuse = 0;
  /** Frontend: requests answered by the proxy itself (redirect, return, stats, service). */
  intercepted = 0;
  /** HTTP requests. */
  req_tot = 0;
  hrsp_1xx = 0;
  hrsp_2xx = 0;
  hrsp_3xx = 0;
  hrsp_4xx = 0;
  hrsp_5xx = 0;
  /** Statuses below 100 or above 599, and responses that never came (HAProxy's -1). */
  hrsp_other = 0;
  /** Backend: requests aborted by the client / by the server. */
  cli_abrt = 0;
  srv_abrt = 0;
  comp_in = 0;
  comp_out = 0;
  comp_byp = 0;
  comp_rsp = 0;
  cache_lookups = 0;
  cache_hits = 0;
  /** Highest `rate` (sessions per second) seen. */
  rate_max = 0;
  /** Frontend: highest `conn_rate` seen. */
  conn_rate_max = 0;
  /** Frontend: highest `req_rate` seen. */
  req_rate_max = 0;
  /** Backend: sliding sums of queue/connect/response/total times (ms), see recordTimes(). */
  q_time = 0;
  c_time = 0;
  d_time = 0;
  t_time = 0;
  qtime_max = 0;
  ctime_max = 0;
  rtime_max = 0;
  ttime_max = 0;
  /** Backend: last stream assigned, in seconds since the epoch (0: never). */
  last_sess = 0;
  /** Frontend: sessions; backend: streams assigned. */
  readonly sess_per_sec = new FreqCounter();
  /** Frontend: connections accepted. */
  readonly conn_per_sec = new FreqCounter();
  /** Frontend: HTTP requests. */
  readonly req_per_sec = new FreqCounter();
  // extra-counter modules
  h2_headers_rcvd = 0;
  h2_data_rcvd = 0;
  h2_settings_rcvd = 0;
  h2_rst_stream_rcvd = 0;
  h2_goaway_rcvd = 0;
  h2_detected_conn_protocol_errors = 0;
  h2_detected_strm_protocol_errors = 0;
  h2_rst_stream_resp = 0;
  h2_goaway_resp = 0;
  h2_open_connections = 0;
  h2_backend_open_streams = 0;
  h2_total_connections = 0;
  h2_backend_total_streams = 0;
  h1_open_connections = 0;
  h1_open_streams = 0;
  h1_total_connections = 0;
  h1_total_streams = 0;
  h1_bytes_in = 0;
  h1_bytes_out = 0;
  h1_spliced_bytes_in = 0;
  h1_spliced_bytes_out = 0;
}

/** A server's counters. */
export class ServerCounters extends SslCounters {
  /** Streams sent to this server (connections in TCP mode, requests in HTTP). */
  stot = 0;
  smax = 0;
  qmax = 0;
  bin = 0;
  bout = 0;
  dresp = 0;
  /** Failed connection attempts (each attempt). */
  econ = 0;
  eresp = 0;
  /** Retries on this server. */
  wretr = 0;
  /** Redispatches away from this server. */
  wredis = 0;
  wrew = 0;
  eint = 0;
  connect = 0;
  reuse = 0;
  /** Failed health checks (each one). */
  chkfail = 0;
  /** UP to DOWN transitions. */
  chkdown = 0;
  /** Times the load balancer picked this server. */
  lbtot = 0;
  req_tot = 0;
  hrsp_1xx = 0;
  hrsp_2xx = 0;
  hrsp_3xx = 0;
  hrsp_4xx = 0;
  hrsp_5xx = 0;
  hrsp_other = 0;
  /** Failed checks caused by `observe` + `on-error`. */
  hanafail = 0;
  cli_abrt = 0;
  srv_abrt = 0;
  rate_max = 0;
  q_time = 0;
  c_time = 0;
  d_time = 0;
  t_time = 0;
  qtime_max = 0;
  ctime_max = 0;
  rtime_max = 0;
  ttime_max = 0;
  /** Last stream sent here, in seconds since the epoch (0: never). */
  last_sess = 0;
  readonly sess_per_sec = new FreqCounter();
}

/** A listener's counters (printed when the frontend has `option socket-stats`). */
export class ListenerCounters extends SslCounters {
  /** Connections accepted on this listener. */
  stot = 0;
  smax = 0;
  bin = 0;
  bout = 0;
  dreq = 0;
  dresp = 0;
  ereq = 0;
  dcon = 0;
  dses = 0;
  wrew = 0;
  eint = 0;
}

type HttpCounted = Pick<
  ProxyCounters,
  'hrsp_1xx' | 'hrsp_2xx' | 'hrsp_3xx' | 'hrsp_4xx' | 'hrsp_5xx' | 'hrsp_other'
>;

/** Counts one response in its hrsp_* class (HAProxy counts -1, no response, as "other"). */
export function countHttpStatus(c: HttpCounted, status: number): void {
  if (status >= 100 && status < 200) c.hrsp_1xx++;
  else if (status >= 200 && status < 300) c.hrsp_2xx++;
  else if (status >= 300 && status < 400) c.hrsp_3xx++;
  else if (status >= 400 && status < 500) c.hrsp_4xx++;
  else if (status >= 500 && status < 600) c.hrsp_5xx++;
  else c.hrsp_other++;
}

type Timed = Pick<
  ServerCounters,
  'q_time' | 'c_time' | 'd_time' | 't_time' | 'qtime_max' | 'ctime_max' | 'rtime_max' | 'ttime_max'
>;

/**
 * Records a finished stream's phase times in ms on a backend or a server: `queue` (waiting
 * for a server), `connect`, `response` (until the server's response headers) and `total`.
 * `samples` is the count the window follows: req_tot in HTTP mode, lbtot otherwise. Like
 * HAProxy, a stream that never connected or never got a response (-1) is not recorded,
 * and the averages are plain sums until 1024 samples, sliding averages after.
 */
export function recordTimes(
  c: Timed,
  samples: number,
  queue: number,
  connect: number,
  response: number,
  total: number,
): void {
  if (connect < 0 || response < 0) return;
  const n = samples > TIME_STATS_SAMPLES ? TIME_STATS_SAMPLES : 0;
  c.q_time = swrateAdd(c.q_time, n, queue);
  c.c_time = swrateAdd(c.c_time, n, connect);
  c.d_time = swrateAdd(c.d_time, n, response);
  c.t_time = swrateAdd(c.t_time, n, total);
  if (queue > c.qtime_max) c.qtime_max = queue;
  if (connect > c.ctime_max) c.ctime_max = connect;
  if (response > c.rtime_max) c.rtime_max = response;
  if (total > c.ttime_max) c.ttime_max = total;
}

/** The average `show stat` prints for a sliding sum, given the same `samples` count. */
export function averageTime(sum: number, samples: number): number {
  const window = samples < TIME_STATS_SAMPLES && samples > 0 ? samples : TIME_STATS_SAMPLES;
  return swrateAvg(sum, window);
}
