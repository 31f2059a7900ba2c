/** Error codes thrown by this package. Stable: callers may switch on them. */
export type StickErrorCode =
  /** `parseStickTable()`: the `stick-table` line is not valid (HAProxy refuses to start). */
  | 'HAP_ERR_STICK_PARSE'
  /** A key that cannot be converted to the table's type (an IPv6 address for `type ip`, …). */
  | 'HAP_ERR_STICK_KEY'
  /** A data type that the table does not store, or an array index out of range. */
  | 'HAP_ERR_STICK_DATA'
  /** An entry used after it left its table, or released more often than tracked. */
  | 'HAP_ERR_STICK_STATE';

export class StickError extends Error {
  readonly code: StickErrorCode;

  constructor(code: StickErrorCode, message: string) {
    super(message);
    this.name = 'StickError';
    this.code = code;
  }
}
