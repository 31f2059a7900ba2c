// The statistics columns of HAProxy 2.6, declared once. Every renderer (CSV, typed, JSON,
// Prometheus) reads this table; the order is the `show stat` column order of 2.6.12.

/** The four kinds of rows `show stat` prints. */
export type ObjectKind = 'frontend' | 'listener' | 'backend' | 'server';

/** Value types of `show stat typed` (flt only appears with `show info float`). */
export type FieldType = 's32' | 'u32' | 's64' | 'u64' | 'flt' | 'str';

/** How a column is typed for one kind of row: the 3 tag letters (origin, nature, scope) and the value type. */
export interface FieldSpec {
  /** e.g. 'MCP': Metric, Counter, Process. See TAG_ORIGIN, TAG_NATURE, TAG_SCOPE. */
  readonly tags: string;
  readonly type: FieldType;
}

export interface PrometheusSpec {
  /** The metric name after `haproxy_<kind>_`, e.g. 'current_sessions'. */
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  /** The kinds for which the exporter emits it. */
  readonly kinds: readonly ObjectKind[];
  /** The # HELP text (the column description unless the exporter has its own). */
  readonly help: string;
}

export interface StatColumn {
  /** Position in `show stat typed`/`json`; the CSV adds a '-' column after the static ones. */
  readonly index: number;
  readonly name: string;
  readonly desc: string;
  /** Static column (null), or the extra-counter module that adds it after the '-' separator. */
  readonly module: 'ssl' | 'h2' | 'h1' | null;
  /** Which kinds of rows may fill it, and how it is typed there. */
  readonly kinds: Readonly<Partial<Record<ObjectKind, FieldSpec>>>;
  readonly prometheus: PrometheusSpec | null;
}

type Letter = 'F' | 'L' | 'B' | 'S';
type Row = [
  name: string,
  kinds: Partial<Record<Letter, string>>,
  prom: [name: string, type: 'gauge' | 'counter', kinds: string, help?: string] | null,
  desc: string,
  module?: 'ssl' | 'h2' | 'h1',
];

const KIND_OF: Record<Letter, ObjectKind> = { F: 'frontend', L: 'listener', B: 'backend', S: 'server' };

// One row per column: name, 'tags:type' per kind (F frontend, L listener, B backend,
// S server), the Prometheus exporter's [name, type, kinds, help override], description.
// Tags and types are those the real 2.6.12 prints in `show stat typed`.
// biome-ignore format: one column per line reads as a table
const ROWS: Row[] = [
  ['pxname', { F: 'KNS:str', L: 'KNS:str', B: 'KNS:str', S: 'KNS:str' }, null, "Proxy name"],
  ['svname', { F: 'KNS:str', L: 'KNS:str', B: 'KNS:str', S: 'KNS:str' }, null, "Server name"],
  ['qcur', { B: 'MGP:u32', S: 'MGP:u32' }, ['current_queue', 'gauge', 'BS'], "Number of current queued connections"],
  ['qmax', { B: 'MMP:u32', S: 'MMP:u32' }, ['max_queue', 'gauge', 'BS'], "Highest value of queued connections encountered since process started"],
  ['scur', { F: 'MGP:u32', L: 'MGP:u32', B: 'MGP:u32', S: 'MGP:u32' }, ['current_sessions', 'gauge', 'FLBS'], "Number of current sessions on the frontend, backend or server"],
  ['smax', { F: 'MMP:u32', L: 'MMP:u32', B: 'MMP:u32', S: 'MMP:u32' }, ['max_sessions', 'gauge', 'FLBS'], "Highest value of current sessions encountered since process started"],
  ['slim', { F: 'CLP:u32', L: 'CLP:u32', B: 'CLP:u32', S: 'CLP:u32' }, ['limit_sessions', 'gauge', 'FLBS'], "Frontend/listener/server's maxconn, backend's fullconn"],
  ['stot', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['sessions_total', 'counter', 'FLBS'], "Total number of sessions since process started"],
  ['bin', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['bytes_in_total', 'counter', 'FLBS'], "Total number of request bytes since process started"],
  ['bout', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['bytes_out_total', 'counter', 'FLBS'], "Total number of response bytes since process started"],
  ['dreq', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64' }, ['requests_denied_total', 'counter', 'FLB'], "Total number of denied requests since process started"],
  ['dresp', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['responses_denied_total', 'counter', 'FLBS'], "Total number of denied responses since process started"],
  ['ereq', { F: 'MCP:u64', L: 'MCP:u64' }, ['request_errors_total', 'counter', 'FL'], "Total number of invalid requests since process started"],
  ['econ', { B: 'MCP:u64', S: 'MCP:u64' }, ['connection_errors_total', 'counter', 'BS'], "Total number of failed connections to server since the worker process started"],
  ['eresp', { B: 'MCP:u64', S: 'MCP:u64' }, ['response_errors_total', 'counter', 'BS'], "Total number of invalid responses since the worker process started"],
  ['wretr', { B: 'MCP:u64', S: 'MCP:u64' }, ['retry_warnings_total', 'counter', 'BS'], "Total number of server connection retries since the worker process started"],
  ['wredis', { B: 'MCP:u64', S: 'MCP:u64' }, ['redispatch_warnings_total', 'counter', 'BS'], "Total number of server redispatches due to connection failures since the worker process started"],
  ['status', { F: 'SGP:str', L: 'SGP:str', B: 'SGP:str', S: 'SGP:str' }, ['status', 'gauge', 'FLBS', 'Current status of the service, per state label value.'], "Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status"],
  ['weight', { B: 'MaP:u32', S: 'MaP:u32' }, ['weight', 'gauge', 'BS'], "Server's effective weight, or sum of active servers' effective weights for a backend"],
  ['act', { B: 'MGP:u32', S: 'SGP:u32' }, ['active_servers', 'gauge', 'B'], "Total number of active UP servers with a non-zero weight"],
  ['bck', { B: 'MGP:u32', S: 'SGP:u32' }, ['backup_servers', 'gauge', 'B'], "Total number of backup UP servers with a non-zero weight"],
  ['chkfail', { S: 'MCP:u64' }, ['check_failures_total', 'counter', 'S'], "Total number of failed individual health checks per server/backend, since the worker process started"],
  ['chkdown', { B: 'MCP:u64', S: 'MCP:u64' }, ['check_up_down_total', 'counter', 'BS'], "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"],
  ['lastchg', { B: 'MAP:u32', S: 'MAP:u32' }, ['check_last_change_seconds', 'gauge', 'BS'], "How long ago the last server state changed, in seconds"],
  ['downtime', { B: 'MCP:u32', S: 'MCP:u32' }, ['downtime_seconds_total', 'counter', 'BS'], "Total time spent in DOWN state, for server or backend"],
  ['qlimit', { S: 'CGS:u32' }, ['queue_limit', 'gauge', 'S'], "Limit on the number of connections in queue, for servers only (maxqueue argument)"],
  ['pid', { F: 'KGP:u32', L: 'KGP:u32', B: 'KGP:u32', S: 'KGP:u32' }, null, "Relative worker process number (1)"],
  ['iid', { F: 'KGS:u32', L: 'KGS:u32', B: 'KGS:u32', S: 'KGS:u32' }, null, "Frontend or Backend numeric identifier ('id' setting)"],
  ['sid', { F: 'KGS:u32', L: 'KGS:u32', B: 'KGS:u32', S: 'KGS:u32' }, null, "Server numeric identifier ('id' setting)"],
  ['throttle', { S: 'MaP:u32' }, ['current_throttle', 'gauge', 'S'], "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"],
  ['lbtot', { B: 'MCP:u64', S: 'MCP:u64' }, ['loadbalanced_total', 'counter', 'BS'], "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"],
  ['tracked', { S: 'CNS:str' }, null, "Name of the other server this server tracks for its state"],
  ['type', { F: 'CGS:u32', L: 'CGS:u32', B: 'CGS:u32', S: 'CGS:u32' }, null, "Type of the object (Listener, Frontend, Backend, Server)"],
  ['rate', { F: 'MRP:u32', B: 'MGP:u32', S: 'MRP:u32' }, null, "Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)"],
  ['rate_lim', { F: 'CLP:u32' }, ['limit_session_rate', 'gauge', 'F'], "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"],
  ['rate_max', { F: 'MMP:u32', B: 'MGP:u32', S: 'MMP:u32' }, ['max_session_rate', 'gauge', 'FBS'], "Highest value of sessions per second observed since the worker process started"],
  ['check_status', { S: 'MOP:str' }, ['check_status', 'gauge', 'S', 'Status of last health check, per state label value.'], "Status report of the server's latest health check, prefixed with '*' if a check is currently in progress"],
  ['check_code', { S: 'MOP:u32' }, ['check_code', 'gauge', 'S', 'layer5-7 code, if available of the last health check.'], "HTTP/SMTP/LDAP status code reported by the latest server health check"],
  ['check_duration', { S: 'MDP:u64' }, ['check_duration_seconds', 'gauge', 'S', 'Total duration of the latest server health check, in seconds.'], "Total duration of the latest server health check, in milliseconds"],
  ['hrsp_1xx', { F: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['http_responses_total', 'counter', 'FBS'], "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"],
  ['hrsp_2xx', { F: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['http_responses_total', 'counter', 'FBS'], "Total number of HTTP responses with status 200-299 returned by this object since the worker process started"],
  ['hrsp_3xx', { F: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['http_responses_total', 'counter', 'FBS'], "Total number of HTTP responses with status 300-399 returned by this object since the worker process started"],
  ['hrsp_4xx', { F: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['http_responses_total', 'counter', 'FBS'], "Total number of HTTP responses with status 400-499 returned by this object since the worker process started"],
  ['hrsp_5xx', { F: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['http_responses_total', 'counter', 'FBS'], "Total number of HTTP responses with status 500-599 returned by this object since the worker process started"],
  ['hrsp_other', { F: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['http_responses_total', 'counter', 'FBS'], "Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)"],
  ['hanafail', { S: 'MCP:u64' }, null, "Total number of failed checks caused by an 'on-error' directive after an 'observe' condition matched"],
  ['req_rate', { F: 'MRP:u32' }, null, "Number of HTTP requests processed over the last second on this object"],
  ['req_rate_max', { F: 'MMP:u32' }, ['http_requests_rate_max', 'gauge', 'F'], "Highest value of http requests observed since the worker process started"],
  ['req_tot', { F: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['http_requests_total', 'counter', 'FB'], "Total number of HTTP requests processed by this object since the worker process started"],
  ['cli_abrt', { B: 'MCP:u64', S: 'MCP:u64' }, ['client_aborts_total', 'counter', 'BS'], "Total number of requests or connections aborted by the client since the worker process started"],
  ['srv_abrt', { B: 'MCP:u64', S: 'MCP:u64' }, ['server_aborts_total', 'counter', 'BS'], "Total number of requests or connections aborted by the server since the worker process started"],
  ['comp_in', { F: 'MCP:u64', B: 'MCP:u64' }, ['http_comp_bytes_in_total', 'counter', 'FB'], "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"],
  ['comp_out', { F: 'MCP:u64', B: 'MCP:u64' }, ['http_comp_bytes_out_total', 'counter', 'FB'], "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"],
  ['comp_byp', { F: 'MCP:u64', B: 'MCP:u64' }, ['http_comp_bytes_bypassed_total', 'counter', 'FB'], "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"],
  ['comp_rsp', { F: 'MCP:u64', B: 'MCP:u64' }, ['http_comp_responses_total', 'counter', 'FB'], "Total number of HTTP responses that were compressed for this object since the worker process started"],
  ['lastsess', { B: 'MAP:s32', S: 'MAP:s32' }, ['last_session_seconds', 'gauge', 'BS'], "How long ago some traffic was seen on this object on this worker process, in seconds"],
  ['last_chk', { S: 'MOP:str' }, null, "Short description of the latest health check report for this server (see also check_desc)"],
  ['last_agt', { S: 'MOP:str' }, null, "Short description of the latest agent check report for this server (see also agent_desc)"],
  ['qtime', { B: 'MaP:u32', S: 'MaP:u32' }, ['queue_time_average_seconds', 'gauge', 'BS', 'Avg. queue time for last 1024 successful connections.'], "Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)"],
  ['ctime', { B: 'MaP:u32', S: 'MaP:u32' }, ['connect_time_average_seconds', 'gauge', 'BS', 'Avg. connect time for last 1024 successful connections.'], "Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)"],
  ['rtime', { B: 'MaP:u32', S: 'MaP:u32' }, ['response_time_average_seconds', 'gauge', 'BS', 'Avg. response time for last 1024 successful connections.'], "Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)"],
  ['ttime', { B: 'MaP:u32', S: 'MaP:u32' }, ['total_time_average_seconds', 'gauge', 'BS', 'Avg. total time for last 1024 successful connections.'], "Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)"],
  ['agent_status', { S: 'MOP:str' }, null, "Status report of the server's latest agent check, prefixed with '*' if a check is currently in progress"],
  ['agent_code', { S: 'MOP:u32' }, null, "Status code reported by the latest server agent check"],
  ['agent_duration', { S: 'MDP:u64' }, null, "Total duration of the latest server agent check, in milliseconds"],
  ['check_desc', { S: 'MOP:str' }, null, "Textual description of the latest health check report for this server"],
  ['agent_desc', { S: 'MOP:str' }, null, "Textual description of the latest agent check report for this server"],
  ['check_rise', { S: 'CGS:u32' }, null, "Number of successful health checks before declaring a server UP (server 'rise' setting)"],
  ['check_fall', { S: 'CGS:u32' }, null, "Number of failed health checks before declaring a server DOWN (server 'fall' setting)"],
  ['check_health', { S: 'CGS:u32' }, null, "Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)"],
  ['agent_rise', { S: 'CGS:u32' }, null, "Number of successful agent checks before declaring a server UP (server 'rise' setting)"],
  ['agent_fall', { S: 'CGS:u32' }, null, "Number of failed agent checks before declaring a server DOWN (server 'fall' setting)"],
  ['agent_health', { S: 'CGS:u32' }, null, "Current server agent check level (0..fall-1=DOWN, fall..rise-1=UP)"],
  ['addr', { L: 'CGS:str', S: 'CGS:str' }, null, "Server's address:port, shown only if show-legends is set, or at levels oper/admin for the CLI"],
  ['cookie', { B: 'CNS:str', S: 'CNS:str' }, null, "Backend's cookie name or Server's cookie value, shown only if show-legends is set, or at levels oper/admin for the CLI"],
  ['mode', { F: 'CGS:str', L: 'CGS:str', B: 'CGS:str', S: 'CGS:str' }, null, "'mode' setting (tcp/http/health/cli)"],
  ['algo', { B: 'CGS:str' }, null, "Backend's load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI"],
  ['conn_rate', { F: 'MRP:u32' }, null, "Number of new connections accepted over the last second on the frontend for this worker process"],
  ['conn_rate_max', { F: 'MMP:u32' }, ['connections_rate_max', 'gauge', 'F'], "Highest value of connections per second observed since the worker process started"],
  ['conn_tot', { F: 'MCP:u64' }, ['connections_total', 'counter', 'F'], "Total number of new connections accepted on this frontend since the worker process started"],
  ['intercepted', { F: 'MCP:u64' }, ['intercepted_requests_total', 'counter', 'F'], "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"],
  ['dcon', { F: 'MCP:u64', L: 'MCP:u64' }, ['denied_connections_total', 'counter', 'FL'], "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"],
  ['dses', { F: 'MCP:u64', L: 'MCP:u64' }, ['denied_sessions_total', 'counter', 'FL'], "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started"],
  ['wrew', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['failed_header_rewriting_total', 'counter', 'FLBS'], "Total number of failed HTTP header rewrites since the worker process started"],
  ['connect', { B: 'MCP:u64', S: 'MCP:u64' }, ['connection_attempts_total', 'counter', 'BS'], "Total number of outgoing connection attempts on this backend/server since the worker process started"],
  ['reuse', { B: 'MCP:u64', S: 'MCP:u64' }, ['connection_reuses_total', 'counter', 'BS'], "Total number of reused connection on this backend/server since the worker process started"],
  ['cache_lookups', { F: 'MCP:u64', B: 'MCP:u64' }, ['http_cache_lookups_total', 'counter', 'FB'], "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"],
  ['cache_hits', { F: 'MCP:u64', B: 'MCP:u64' }, ['http_cache_hits_total', 'counter', 'FB'], "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"],
  ['srv_icur', { S: 'MGP:u32' }, ['idle_connections_current', 'gauge', 'S'], "Current number of idle connections available for reuse on this server"],
  ['src_ilim', { S: 'CLP:u32' }, ['idle_connections_limit', 'gauge', 'S'], "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)"],
  ['qtime_max', { B: 'MMP:u32', S: 'MMP:u32' }, ['max_queue_time_seconds', 'gauge', 'BS', 'Maximum observed time spent in the queue'], "Maximum observed time spent in the queue, in milliseconds (backend/server)"],
  ['ctime_max', { B: 'MMP:u32', S: 'MMP:u32' }, ['max_connect_time_seconds', 'gauge', 'BS', 'Maximum observed time spent waiting for a connection to complete'], "Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)"],
  ['rtime_max', { B: 'MMP:u32', S: 'MMP:u32' }, ['max_response_time_seconds', 'gauge', 'BS', 'Maximum observed time spent waiting for a server response'], "Maximum observed time spent waiting for a server response, in milliseconds (backend/server)"],
  ['ttime_max', { B: 'MMP:u32', S: 'MMP:u32' }, ['max_total_time_seconds', 'gauge', 'BS', 'Maximum observed total request+response time (request+queue+connect+response+processing)'], "Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)"],
  ['eint', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, ['internal_errors_total', 'counter', 'FLBS'], "Total number of internal errors since process started"],
  ['idle_conn_cur', { S: 'MGP:u32' }, ['unsafe_idle_connections_current', 'gauge', 'S'], "Current number of unsafe idle connections"],
  ['safe_conn_cur', { S: 'MGP:u32' }, ['safe_idle_connections_current', 'gauge', 'S'], "Current number of safe idle connections"],
  ['used_conn_cur', { S: 'MGP:u32' }, ['used_connections_current', 'gauge', 'S'], "Current number of connections in use"],
  ['need_conn_est', { S: 'MGP:u32' }, ['need_connections_current', 'gauge', 'S'], "Estimated needed number of connections"],
  ['uweight', { B: 'MaP:u32', S: 'MaP:u32' }, ['uweight', 'gauge', 'BS'], "Server's user weight, or sum of active servers' user weights for a backend"],
  ['agg_server_status', { B: 'MGP:u32' }, ['agg_server_status', 'gauge', 'B'], "Backend's aggregated gauge of servers' status"],
  ['agg_server_check_status', { B: 'MGP:u32' }, ['agg_server_check_status', 'gauge', 'B'], "Backend's aggregated gauge of servers' state check status"],
  ['agg_check_status', { B: 'MGP:u32' }, ['agg_check_status', 'gauge', 'B'], "Backend's aggregated gauge of servers' state check status"],
  ['ssl_sess', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, null, "Total number of ssl sessions established", 'ssl'],
  ['ssl_reused_sess', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, null, "Total number of ssl sessions reused", 'ssl'],
  ['ssl_failed_handshake', { F: 'MCP:u64', L: 'MCP:u64', B: 'MCP:u64', S: 'MCP:u64' }, null, "Total number of failed handshake", 'ssl'],
  ['h2_headers_rcvd', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of received HEADERS frames", 'h2'],
  ['h2_data_rcvd', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of received DATA frames", 'h2'],
  ['h2_settings_rcvd', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of received SETTINGS frames", 'h2'],
  ['h2_rst_stream_rcvd', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of received RST_STREAM frames", 'h2'],
  ['h2_goaway_rcvd', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of received GOAWAY frames", 'h2'],
  ['h2_detected_conn_protocol_errors', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of connection protocol errors", 'h2'],
  ['h2_detected_strm_protocol_errors', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of stream protocol errors", 'h2'],
  ['h2_rst_stream_resp', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of RST_STREAM sent on detected error", 'h2'],
  ['h2_goaway_resp', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of GOAWAY sent on detected error", 'h2'],
  ['h2_open_connections', { F: 'MGP:u64', B: 'MGP:u64' }, null, "Count of currently open connections", 'h2'],
  ['h2_backend_open_streams', { F: 'MGP:u64', B: 'MGP:u64' }, null, "Count of currently open streams", 'h2'],
  ['h2_total_connections', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of connections", 'h2'],
  ['h2_backend_total_streams', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of streams", 'h2'],
  ['h1_open_connections', { F: 'MGP:u64', B: 'MGP:u64' }, null, "Count of currently open connections", 'h1'],
  ['h1_open_streams', { F: 'MGP:u64', B: 'MGP:u64' }, null, "Count of currently open streams", 'h1'],
  ['h1_total_connections', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of connections", 'h1'],
  ['h1_total_streams', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of streams", 'h1'],
  ['h1_bytes_in', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of bytes received", 'h1'],
  ['h1_bytes_out', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of bytes send", 'h1'],
  ['h1_spliced_bytes_in', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of bytes received using kernel splicing", 'h1'],
  ['h1_spliced_bytes_out', { F: 'MCP:u64', B: 'MCP:u64' }, null, "Total number of bytes sendusing kernel splicing", 'h1'],
];

function build(): StatColumn[] {
  return ROWS.map(([name, kinds, prom, desc, module], index) => {
    const specs: Partial<Record<ObjectKind, FieldSpec>> = {};
    for (const [letter, spec] of Object.entries(kinds) as [Letter, string][]) {
      const [tags, type] = spec.split(':') as [string, FieldType];
      specs[KIND_OF[letter]] = { tags, type };
    }
    const prometheus: PrometheusSpec | null = prom
      ? {
          name: prom[0],
          type: prom[1],
          kinds: [...prom[2]].map((l) => KIND_OF[l as Letter]),
          help: prom[3] ?? desc,
        }
      : null;
    return { index, name, desc, module: module ?? null, kinds: specs, prometheus };
  });
}

/** Every column, in HAProxy 2.6.12's order. */
export const STAT_COLUMNS: readonly StatColumn[] = build();

/** The number of static columns; the CSV prints a '-' column after them, then the module columns. */
export const STATIC_COLUMNS = 103;

/** Column index by name. */
export const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(STAT_COLUMNS.map((c) => [c.name, c.index]));

/** The index of a column, throwing on a name that is not one (a typo in the caller). */
export function columnIndex(name: string): number {
  const i = COLUMN_INDEX.get(name);
  if (i === undefined) throw new Error(`stats: unknown column '${name}'`);
  return i;
}

/** The first line of `show stat` (and of the stats page's `;csv`), with its trailing newline. */
export function csvHeader(): string {
  let out = '# ';
  for (const c of STAT_COLUMNS) {
    out += `${c.name},`;
    if (c.index + 1 === STATIC_COLUMNS) out += '-,';
  }
  return `${out}\n`;
}

/** Tag letters of `show stat typed` and their words in `show stat json`. */
export const TAG_ORIGIN: Readonly<Record<string, string>> = {
  M: 'Metric',
  S: 'Status',
  K: 'Key',
  C: 'Config',
  P: 'Product',
};
export const TAG_NATURE: Readonly<Record<string, string>> = {
  G: 'Gauge',
  L: 'Limit',
  m: 'Min',
  M: 'Max',
  R: 'Rate',
  C: 'Counter',
  D: 'Duration',
  A: 'Age',
  T: 'Time',
  N: 'Name',
  O: 'Output',
  a: 'Avg',
};
export const TAG_SCOPE: Readonly<Record<string, string>> = {
  P: 'Process',
  S: 'Service',
  s: 'System',
  C: 'Cluster',
};
