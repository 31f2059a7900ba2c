/** Error codes thrown by this package. Stable: callers may switch on them. */
export type PollerErrorCode = 'HAP_ERR_LOOP_STOPPED' | 'HAP_ERR_JOB_UNDERFLOW' | 'HAP_ERR_INVALID_ARG';

export class PollerError extends Error {
  readonly code: PollerErrorCode;

  constructor(code: PollerErrorCode, message: string) {
    super(message);
    this.name = 'PollerError';
    this.code = code;
  }
}
