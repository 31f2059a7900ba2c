// The data types a stick table can store, in HAProxy 2.6's internal order: `show table`
// prints them in this order whatever the order of the `store` list.

/** Key types of `stick-table type …`. */
export type StickKeyType = 'ip' | 'ipv6' | 'integer' | 'string' | 'binary';

export const STICK_KEY_TYPES: readonly StickKeyType[] = ['integer', 'ip', 'ipv6', 'string', 'binary'];

/** Names accepted after `store` (and after `data.` on the runtime API). */
export type StickDataType =
  | 'server_id'
  | 'gpt0'
  | 'gpc0'
  | 'gpc0_rate'
  | 'conn_cnt'
  | 'conn_rate'
  | 'conn_cur'
  | 'sess_cnt'
  | 'sess_rate'
  | 'http_req_cnt'
  | 'http_req_rate'
  | 'http_err_cnt'
  | 'http_err_rate'
  | 'bytes_in_cnt'
  | 'bytes_in_rate'
  | 'bytes_out_cnt'
  | 'bytes_out_rate'
  | 'gpc1'
  | 'gpc1_rate'
  | 'server_key'
  | 'http_fail_cnt'
  | 'http_fail_rate'
  | 'gpt'
  | 'gpc'
  | 'gpc_rate';

/**
 * How a value is held: `sint` (signed 32-bit: server_id), `uint` (unsigned 32-bit,
 * wraps), `ull` (unsigned 64-bit byte counts), `rate` (a frequency counter over a
 * period), `dict` (a shared string: server_key).
 */
export type StickStorage = 'sint' | 'uint' | 'ull' | 'rate' | 'dict';

export interface StickDataTypeInfo {
  readonly name: StickDataType;
  /** Position in HAProxy's table of data types (the `show table` order). */
  readonly index: number;
  readonly storage: StickStorage;
  /** Rates take a period: `conn_rate(10s)`. */
  readonly takesPeriod: boolean;
  /** gpt(n), gpc(n), gpc_rate(n,period): an array of n elements (1 to 100). */
  readonly array: boolean;
}

const T = (
  name: StickDataType,
  storage: StickStorage,
  opts: { period?: boolean; array?: boolean } = {},
): Omit<StickDataTypeInfo, 'index'> => ({
  name,
  storage,
  takesPeriod: opts.period ?? storage === 'rate',
  array: opts.array ?? false,
});

export const STICK_DATA_TYPES: readonly StickDataTypeInfo[] = [
  T('server_id', 'sint'),
  T('gpt0', 'uint'),
  T('gpc0', 'uint'),
  T('gpc0_rate', 'rate'),
  T('conn_cnt', 'uint'),
  T('conn_rate', 'rate'),
  T('conn_cur', 'uint'),
  T('sess_cnt', 'uint'),
  T('sess_rate', 'rate'),
  T('http_req_cnt', 'uint'),
  T('http_req_rate', 'rate'),
  T('http_err_cnt', 'uint'),
  T('http_err_rate', 'rate'),
  T('bytes_in_cnt', 'ull'),
  T('bytes_in_rate', 'rate'),
  T('bytes_out_cnt', 'ull'),
  T('bytes_out_rate', 'rate'),
  T('gpc1', 'uint'),
  T('gpc1_rate', 'rate'),
  T('server_key', 'dict'),
  T('http_fail_cnt', 'uint'),
  T('http_fail_rate', 'rate'),
  T('gpt', 'uint', { array: true }),
  T('gpc', 'uint', { array: true }),
  T('gpc_rate', 'rate', { array: true }),
].map((t, index) => ({ ...t, index }));

const BY_NAME = new Map<string, StickDataTypeInfo>(STICK_DATA_TYPES.map((t) => [t.name, t]));

/** Largest gpt/gpc/gpc_rate array (HAProxy's STKTABLE_MAX_DT_ARRAY_SIZE). */
export const MAX_DATA_ARRAY = 100;

/** Looks a data type up by name; `server_name` is HAProxy's old spelling of server_key. */
export function dataTypeInfo(name: string): StickDataTypeInfo | undefined {
  if (name === 'server_name') return BY_NAME.get('server_key');
  return BY_NAME.get(name);
}
