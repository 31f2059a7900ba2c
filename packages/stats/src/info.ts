// The `show info` fields of HAProxy 2.6, declared once, in their order (the position is
// the number `show info typed` prints). Absent fields (no value) are skipped by every
// renderer, as HAProxy skips the zlib ones when built without zlib.
import type { FieldSpec, FieldType } from './columns.ts';

export interface InfoField {
  readonly index: number;
  readonly name: string;
  readonly desc: string;
  readonly spec: FieldSpec;
  /** `haproxy_process_<name>` in the Prometheus exporter, or null when it does not export it. */
  readonly prometheus: { readonly name: string; readonly type: 'gauge' | 'counter' } | null;
}

type Row = [name: string, spec: string, prom: [string, 'gauge' | 'counter'] | null, desc: string];

// biome-ignore format: one field per line reads as a table
const ROWS: Row[] = [
  ["Name", 'POS:str', null, "Product name"],
  ["Version", 'POS:str', null, "Product version"],
  ["Release_date", 'POS:str', null, "Date of latest source code update"],
  ["Nbthread", 'CGS:u32', ['nbthread', 'gauge'], "Number of started threads (global.nbthread)"],
  ["Nbproc", 'CGS:u32', ['nbproc', 'gauge'], "Number of started worker processes (historical, always 1)"],
  ["Process_num", 'KGP:u32', ['relative_process_id', 'gauge'], "Relative worker process number (1)"],
  ["Pid", 'SGP:u32', null, "This worker process identifier for the system"],
  ["Uptime", 'MDP:str', null, "How long ago this worker process was started (days+hours+minutes+seconds)"],
  ["Uptime_sec", 'MDP:u32', ['uptime_seconds', 'gauge'], "How long ago this worker process was started (seconds)"],
  ["Memmax_MB", 'CLP:u32', null, "Worker process's hard limit on memory usage in MB (-m on command line)"],
  ["PoolAlloc_MB", 'MGP:u32', null, "Amount of memory allocated in pools (in MB)"],
  ["PoolUsed_MB", 'MGP:u32', null, "Amount of pool memory currently used (in MB)"],
  ["PoolFailed", 'MCP:u32', ['pool_failures_total', 'counter'], "Number of failed pool allocations since this worker was started"],
  ["Ulimit-n", 'CLP:u32', ['max_fds', 'gauge'], "Hard limit on the number of per-process file descriptors"],
  ["Maxsock", 'CLP:u32', ['max_sockets', 'gauge'], "Hard limit on the number of per-process sockets"],
  ["Maxconn", 'CLP:u32', ['max_connections', 'gauge'], "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"],
  ["Hard_maxconn", 'CLP:u32', ['hard_max_connections', 'gauge'], "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"],
  ["CurrConns", 'MGP:u32', ['current_connections', 'gauge'], "Current number of connections on this worker process"],
  ["CumConns", 'MCP:u32', ['connections_total', 'counter'], "Total number of connections on this worker process since started"],
  ["CumReq", 'MCP:u32', ['requests_total', 'counter'], "Total number of requests on this worker process since started"],
  ["MaxSslConns", 'MMP:u32', ['max_ssl_connections', 'gauge'], "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"],
  ["CurrSslConns", 'MGP:u32', ['current_ssl_connections', 'gauge'], "Current number of SSL endpoints on this worker process (front+back)"],
  ["CumSslConns", 'MCP:u32', ['ssl_connections_total', 'counter'], "Total number of SSL endpoints on this worker process since started (front+back)"],
  ["Maxpipes", 'CLP:u32', ['max_pipes', 'gauge'], "Hard limit on the number of pipes for splicing, 0=unlimited"],
  ["PipesUsed", 'MGP:u32', ['pipes_used_total', 'counter'], "Current number of pipes in use in this worker process"],
  ["PipesFree", 'MGP:u32', ['pipes_free_total', 'counter'], "Current number of allocated and available pipes in this worker process"],
  ["ConnRate", 'MRP:u32', ['current_connection_rate', 'gauge'], "Number of front connections created on this worker process over the last second"],
  ["ConnRateLimit", 'CLP:u32', ['limit_connection_rate', 'gauge'], "Hard limit for ConnRate (global.maxconnrate)"],
  ["MaxConnRate", 'MMP:u32', ['max_connection_rate', 'gauge'], "Highest ConnRate reached on this worker process since started (in connections per second)"],
  ["SessRate", 'MRP:u32', ['current_session_rate', 'gauge'], "Number of sessions created on this worker process over the last second"],
  ["SessRateLimit", 'CLP:u32', ['limit_session_rate', 'gauge'], "Hard limit for SessRate (global.maxsessrate)"],
  ["MaxSessRate", 'MRP:u32', ['max_session_rate', 'gauge'], "Highest SessRate reached on this worker process since started (in sessions per second)"],
  ["SslRate", 'MRP:u32', ['current_ssl_rate', 'gauge'], "Number of SSL connections created on this worker process over the last second"],
  ["SslRateLimit", 'CLP:u32', ['limit_ssl_rate', 'gauge'], "Hard limit for SslRate (global.maxsslrate)"],
  ["MaxSslRate", 'MMP:u32', ['max_ssl_rate', 'gauge'], "Highest SslRate reached on this worker process since started (in connections per second)"],
  ["SslFrontendKeyRate", 'MGP:u32', ['current_frontend_ssl_key_rate', 'gauge'], "Number of SSL keys created on frontends in this worker process over the last second"],
  ["SslFrontendMaxKeyRate", 'MMP:u32', ['max_frontend_ssl_key_rate', 'gauge'], "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"],
  ["SslFrontendSessionReuse_pct", 'MGP:u32', ['frontend_ssl_reuse', 'gauge'], "Percent of frontend SSL connections which did not require a new key"],
  ["SslBackendKeyRate", 'MRP:u32', ['current_backend_ssl_key_rate', 'gauge'], "Number of SSL keys created on backends in this worker process over the last second"],
  ["SslBackendMaxKeyRate", 'MMP:u32', ['max_backend_ssl_key_rate', 'gauge'], "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"],
  ["SslCacheLookups", 'MCP:u32', ['ssl_cache_lookups_total', 'counter'], "Total number of SSL session ID lookups in the SSL session cache on this worker since started"],
  ["SslCacheMisses", 'MCP:u32', ['ssl_cache_misses_total', 'counter'], "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"],
  ["CompressBpsIn", 'MRP:u32', ['http_comp_bytes_in_total', 'counter'], "Number of bytes submitted to the HTTP compressor in this worker process over the last second"],
  ["CompressBpsOut", 'MRP:u32', ['http_comp_bytes_out_total', 'counter'], "Number of bytes emitted by the HTTP compressor in this worker process over the last second"],
  ["CompressBpsRateLim", 'CLP:u32', ['limit_http_comp', 'gauge'], "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"],
  ["ZlibMemUsage", 'MGP:u32', ['current_zlib_memory', 'gauge'], "Amount of memory currently used by HTTP compression on the current worker process (in bytes)"],
  ["MaxZlibMemUsage", 'CLP:u32', ['max_zlib_memory', 'gauge'], "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)"],
  ["Tasks", 'MGP:u32', ['current_tasks', 'gauge'], "Total number of tasks in the current worker process (active + sleeping)"],
  ["Run_queue", 'MGP:u32', ['current_run_queue', 'gauge'], "Total number of active tasks+tasklets in the current worker process"],
  ["Idle_pct", 'MaP:u32', ['idle_time_percent', 'gauge'], "Percentage of last second spent waiting in the current worker thread"],
  ["node", 'COS:str', null, "Node name (global.node)"],
  ["description", 'COS:str', null, "Node description (global.description)"],
  ["Stopping", 'MGP:u32', ['stopping', 'gauge'], "1 if the worker process is currently stopping, otherwise zero"],
  ["Jobs", 'MGP:u32', ['jobs', 'gauge'], "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"],
  ["Unstoppable Jobs", 'MGP:u32', ['unstoppable_jobs', 'gauge'], "Current number of unstoppable jobs on the current worker process (master connections)"],
  ["Listeners", 'MGP:u32', ['listeners', 'gauge'], "Current number of active listeners on the current worker process"],
  ["ActivePeers", 'MGP:u32', ['active_peers', 'gauge'], "Current number of verified active peers connections on the current worker process"],
  ["ConnectedPeers", 'MGP:u32', ['connected_peers', 'gauge'], "Current number of peers having passed the connection step on the current worker process"],
  ["DroppedLogs", 'MGP:u32', ['dropped_logs_total', 'counter'], "Total number of dropped logs for current worker process since started"],
  ["BusyPolling", 'MGP:u32', ['busy_polling_enabled', 'gauge'], "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"],
  ["FailedResolutions", 'MGP:u32', ['failed_resolutions', 'counter'], "Total number of failed DNS resolutions in current worker process since started"],
  ["TotalBytesOut", 'MGP:u64', ['bytes_out_total', 'counter'], "Total number of bytes emitted by current worker process since started"],
  ["TotalSplicdedBytesOut", 'MGP:u64', ['spliced_bytes_out_total', 'counter'], "Total number of bytes emitted by current worker process through a kernel pipe since started"],
  ["BytesOutRate", 'MRP:u64', ['bytes_out_rate', 'gauge'], "Number of bytes emitted by current worker process over the last second"],
  ["DebugCommandsIssued", 'MGP:u32', null, "Number of debug commands issued on this process (anything > 0 is unsafe)"],
  ["CumRecvLogs", 'MCP:u32', ['recv_logs_total', 'counter'], "Total number of log messages received by log-forwarding listeners on this worker process since started"],
  ["Build info", 'POS:str', ['build_info', 'gauge'], "Build info"],
  ["Memmax_bytes", 'CLP:u32', ['max_memory_bytes', 'gauge'], "Worker process's hard limit on memory usage in byes (-m on command line)"],
  ["PoolAlloc_bytes", 'MGP:u64', ['pool_allocated_bytes', 'gauge'], "Amount of memory allocated in pools (in bytes)"],
  ["PoolUsed_bytes", 'MGP:u64', ['pool_used_bytes', 'gauge'], "Amount of pool memory currently used (in bytes)"],
  ["Start_time_sec", 'MDP:u32', ['start_time_seconds', 'gauge'], "Start time in seconds"],
  ["Tainted", 'SGP:str', null, "Experimental features used"],
];

/** Every `show info` field, in HAProxy 2.6.12's order. */
export const INFO_FIELDS: readonly InfoField[] = ROWS.map(([name, spec, prom, desc], index) => {
  const [tags, type] = spec.split(':') as [string, FieldType];
  return {
    index,
    name,
    desc,
    spec: { tags, type },
    prometheus: prom ? { name: prom[0], type: prom[1] } : null,
  };
});

/** Values by field name (`Name`, `Uptime_sec`, `Unstoppable Jobs`…); a missing one is not printed. */
export type InfoValues = Readonly<Record<string, number | string | undefined>>;

export interface ProcessInfoOptions {
  /** Product name printed where HAProxy prints "HAProxy". */
  readonly name: string;
  readonly version: string;
  /** YYYY/MM/DD. */
  readonly releaseDate: string;
  /** Process start, in ms since the epoch. */
  readonly startedAt: number;
  /** Now, in ms since the epoch (default Date.now()). */
  readonly now?: number;
  readonly node?: string;
  readonly description?: string;
  readonly maxconn?: number;
  /** Values that override or add to the computed ones (CurrConns, CumConns, CumReq, Jobs…). */
  readonly values?: InfoValues;
}

/** HAProxy's `Uptime` text: `0d 0h00m01s`. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d}d ${h}h${pad(m)}m${pad(s % 60)}s`;
}

/**
 * The process-wide values a Node process can tell by itself; the application adds its
 * counters (CurrConns, CumConns, CumReq, ConnRate…) through `values`.
 */
export function processInfo(opts: ProcessInfoOptions): InfoValues {
  const now = opts.now ?? Date.now();
  const up = Math.max(0, (now - opts.startedAt) / 1000);
  const mem = process.memoryUsage();
  const maxconn = opts.maxconn ?? 0;
  const zero = (names: string[]) => Object.fromEntries(names.map((n) => [n, 0]));
  return {
    Name: opts.name,
    Version: opts.version,
    Release_date: opts.releaseDate,
    Nbthread: 1, // one event loop
    Nbproc: 1,
    Process_num: 1,
    Pid: process.pid,
    Uptime: formatUptime(up),
    Uptime_sec: Math.floor(up),
    Memmax_MB: 0,
    PoolAlloc_MB: Math.floor(mem.heapTotal / 1048576),
    PoolUsed_MB: Math.floor(mem.heapUsed / 1048576),
    PoolFailed: 0,
    'Ulimit-n': 0,
    Maxsock: 0,
    Maxconn: maxconn,
    Hard_maxconn: maxconn,
    ...zero([
      'CurrConns',
      'CumConns',
      'CumReq',
      'MaxSslConns',
      'CurrSslConns',
      'CumSslConns',
      'Maxpipes',
      'PipesUsed',
      'PipesFree',
      'ConnRate',
      'ConnRateLimit',
      'MaxConnRate',
      'SessRate',
      'SessRateLimit',
      'MaxSessRate',
      'SslRate',
      'SslRateLimit',
      'MaxSslRate',
      'SslFrontendKeyRate',
      'SslFrontendMaxKeyRate',
      'SslFrontendSessionReuse_pct',
      'SslBackendKeyRate',
      'SslBackendMaxKeyRate',
      'SslCacheLookups',
      'SslCacheMisses',
      'CompressBpsIn',
      'CompressBpsOut',
      'CompressBpsRateLim',
      'Tasks',
      'Run_queue',
    ]),
    Idle_pct: 100,
    node: opts.node ?? '',
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    ...zero([
      'Stopping',
      'Jobs',
      'Unstoppable Jobs',
      'Listeners',
      'ActivePeers',
      'ConnectedPeers',
      'DroppedLogs',
      'BusyPolling',
      'FailedResolutions',
      'TotalBytesOut',
      'TotalSplicdedBytesOut',
      'BytesOutRate',
      'DebugCommandsIssued',
      'CumRecvLogs',
    ]),
    'Build info': opts.version,
    Memmax_bytes: 0,
    PoolAlloc_bytes: mem.heapTotal,
    PoolUsed_bytes: mem.heapUsed,
    Start_time_sec: Math.floor(opts.startedAt / 1000),
    Tainted: '0',
    ...opts.values,
  };
}
