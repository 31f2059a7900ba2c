// @hap/stats: HAProxy 2.6's statistics without sockets. The column table, the counters
// the proxy increments, the StatsSource it implements, and the renderers of `show stat`
// (CSV, typed, JSON), `show info`, `show servers state` and the Prometheus exporter.

export type { StatRow, StatsQuery, StatValue } from './collect.ts';
export { collectStats, STATS_TYPE, serverUsable } from './collect.ts';
export type { FieldSpec, FieldType, ObjectKind, PrometheusSpec, StatColumn } from './columns.ts';
export {
  COLUMN_INDEX,
  columnIndex,
  csvHeader,
  STAT_COLUMNS,
  STATIC_COLUMNS,
  TAG_NATURE,
  TAG_ORIGIN,
  TAG_SCOPE,
} from './columns.ts';
export {
  averageTime,
  countHttpStatus,
  countRate,
  FreqCounter,
  ListenerCounters,
  ProxyCounters,
  rateCounting,
  recordTimes,
  ServerCounters,
  swrateAdd,
  swrateAvg,
  TIME_STATS_SAMPLES,
} from './counters.ts';
export type { StatsPageOptions, StatsPageStatus } from './html.ts';
export { htmlEscape, humanTime, renderStatsPage, STATS_ADMIN_ACTIONS, serverRowClass } from './html.ts';
export type { InfoField, InfoValues, ProcessInfoOptions } from './info.ts';
export { formatUptime, INFO_FIELDS, processInfo } from './info.ts';
export type { PrometheusOptions } from './prometheus.ts';
export { renderPrometheus } from './prometheus.ts';
export type { CliLevel, InfoFormat, ShowStatOptions } from './render.ts';
export {
  csvEscape,
  formatFloat,
  renderCsv,
  renderCsvRow,
  renderInfo,
  renderJson,
  renderTyped,
  showInfo,
  showStat,
} from './render.ts';
export type { ServersStateOptions } from './servers-state.ts';
export { SERVERS_STATE_FIELDS, SERVERS_STATE_VERSION, showServersState, splitAddr } from './servers-state.ts';
export type {
  BackendState,
  CheckState,
  CheckStatusName,
  FrontendState,
  ListenerState,
  ListenerStatus,
  ProxyMode,
  ProxyState,
  ServerOpState,
  ServerState,
  StatsSource,
} from './source.ts';
export { CHECK_STATUSES, checkStatusCode, SRV_ADMF, serverStatusText } from './source.ts';
