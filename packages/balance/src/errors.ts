/** Error codes thrown by this package. Stable: callers may switch on them. */
export type BalanceErrorCode =
  /** `createBalancer()`: the algorithm name is not one of `balance`'s. */
  | 'HAP_ERR_BALANCE_ALGORITHM'
  /** `createBalancer()`: an argument of the algorithm is missing, unknown or malformed. */
  | 'HAP_ERR_BALANCE_ARGS'
  /** `createBalancer()`: a `hash-type` option or another option is not valid. */
  | 'HAP_ERR_BALANCE_OPTION'
  /** A server view is malformed (weight out of range, unknown state, duplicate id, unknown server). */
  | 'HAP_ERR_BALANCE_SERVER'
  /** A static algorithm was asked for a weight other than 0 or the initial weight. */
  | 'HAP_ERR_BALANCE_STATIC_WEIGHT'
  /** A slow start must begin but no `now` was given. */
  | 'HAP_ERR_BALANCE_NOW_REQUIRED'
  /** `released()` on a server that serves nothing. */
  | 'HAP_ERR_BALANCE_UNDERFLOW';

export class BalanceError extends Error {
  readonly code: BalanceErrorCode;

  constructor(code: BalanceErrorCode, message: string) {
    super(message);
    this.name = 'BalanceError';
    this.code = code;
  }
}
