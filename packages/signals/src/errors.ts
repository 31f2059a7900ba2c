/** Error codes thrown by this package. Stable: callers may switch on them. */
export type SignalsErrorCode =
  | 'HAP_ERR_SIGNALS_CLOSED'
  | 'HAP_ERR_SIGNAL_UNKNOWN'
  | 'HAP_ERR_SIGNAL_UNCATCHABLE';

export class SignalsError extends Error {
  readonly code: SignalsErrorCode;

  constructor(code: SignalsErrorCode, message: string) {
    super(message);
    this.name = 'SignalsError';
    this.code = code;
  }
}
