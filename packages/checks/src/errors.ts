// Errors carry a stable code and say what is wrong in the configuration's own words.

export type CheckErrorCode =
  | 'HAP_ERR_CHECK_SYNTAX'
  | 'HAP_ERR_CHECK_VALUE'
  | 'HAP_ERR_CHECK_ORDER'
  | 'HAP_ERR_CHECK_EXPECT'
  | 'HAP_ERR_CHECK_REGEX'
  | 'HAP_ERR_CHECK_UNSUPPORTED'
  | 'HAP_ERR_CHECK_UNKNOWN_SERVER'
  | 'HAP_ERR_CHECK_NO_PORT';

/** A check directive or server option that cannot be used; `where` names the backend/server. */
export class CheckConfigError extends Error {
  readonly code: CheckErrorCode;
  where: string;

  constructor(code: CheckErrorCode, message: string, where = '') {
    super(where ? `${where}: ${message}` : message);
    this.name = 'CheckConfigError';
    this.code = code;
    this.where = where;
  }

  /** The same error, located (backend, server, line). */
  at(where: string): CheckConfigError {
    const bare = this.where ? this.message.slice(this.where.length + 2) : this.message;
    return new CheckConfigError(this.code, bare, where);
  }
}

/** A runtime request the checker cannot honour (unknown server, bad weight). */
export class CheckerError extends Error {
  readonly code = 'HAP_ERR_CHECKER';

  constructor(message: string) {
    super(message);
    this.name = 'CheckerError';
  }
}
