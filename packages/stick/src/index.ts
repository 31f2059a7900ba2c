// @hap/stick: HAProxy 2.6's stick tables, pure (no sockets, no timers): keys of every
// table type, size with eviction, expiry, the stored counters and rates with HAProxy's
// frequency counters, the sc_/src_/table_ fetches, and the runtime API dumps.

export type { StickDataFilter, StickOperator, StickSelection, StickTables } from './cli.ts';
export {
  clearTable,
  entryAddress,
  entryLine,
  MAX_FILTERS,
  parseLongLong,
  setTable,
  showTable,
  showTableList,
  tableCommand,
  tableHeader,
} from './cli.ts';
export type { StickDataType, StickDataTypeInfo, StickKeyType, StickStorage } from './datatypes.ts';
export { dataTypeInfo, MAX_DATA_ARRAY, STICK_DATA_TYPES, STICK_KEY_TYPES } from './datatypes.ts';
export type { StickErrorCode } from './errors.ts';
export { StickError } from './errors.ts';
export {
  stickMatch,
  stickStore,
  trackHttp,
  updateOnBytes,
  updateOnConnection,
  updateOnHttpError,
  updateOnHttpFailure,
  updateOnHttpRequest,
  updateOnHttpResponse,
  updateOnSession,
} from './events.ts';
export type {
  StickFetchContext,
  StickFetchDef,
  StickFetchForm,
  StickMetric,
  StickSample,
} from './fetches.ts';
export {
  clrGpc,
  clrGpc0,
  clrGpc1,
  incGpc,
  incGpc0,
  incGpc1,
  STICK_COUNTERS,
  STICK_FETCHES,
  setGpt,
  setGpt0,
  stickConvert,
  stickFetch,
  stickFetchDef,
} from './fetches.ts';
export { FreqCounter } from './freq.ts';
export type { NormalizedKey, StickKeyInput } from './keys.ts';
export { formatIPv6, parseIPv6 } from './keys.ts';
export type { NumberParse, StickStoreSpec, StickTableSpec } from './parse.ts';
export { parseSize, parseStickTable, parseTime, withStickRules } from './parse.ts';
export { StickEntry, StickTable } from './table.ts';
