/**
 * Error codes of the HTTP/1 parser. Stable: callers may switch on them.
 * Each rejection carries the status HAProxy 2.6 answers with (see the README's table).
 */
export type HttpErrorCode =
  | 'HAP_ERR_HTTP_METHOD'
  | 'HAP_ERR_HTTP_TARGET'
  | 'HAP_ERR_HTTP_VERSION'
  | 'HAP_ERR_HTTP_REQUEST_LINE'
  | 'HAP_ERR_HTTP_STATUS_LINE'
  | 'HAP_ERR_HTTP_HEADER_NAME'
  | 'HAP_ERR_HTTP_HEADER_VALUE'
  | 'HAP_ERR_HTTP_BARE_CR'
  | 'HAP_ERR_HTTP_OBS_FOLD'
  | 'HAP_ERR_HTTP_HEAD_TOO_LARGE'
  | 'HAP_ERR_HTTP_TOO_MANY_HEADERS'
  | 'HAP_ERR_HTTP_CONTENT_LENGTH'
  | 'HAP_ERR_HTTP_TRANSFER_ENCODING'
  | 'HAP_ERR_HTTP_TE_UNSUPPORTED'
  | 'HAP_ERR_HTTP_HOST'
  | 'HAP_ERR_HTTP_AUTHORITY_MISMATCH'
  | 'HAP_ERR_HTTP_WEBSOCKET_KEY'
  | 'HAP_ERR_HTTP_CHUNK_SIZE'
  | 'HAP_ERR_HTTP_CHUNK_CRLF'
  | 'HAP_ERR_HTTP_TRUNCATED';

/** A message the parser rejects. `offset` counts bytes from the first byte this parser was given. */
export class HttpParseError extends Error {
  readonly code: HttpErrorCode;
  /** Stream offset of the byte that made the message invalid (or where the limit was crossed). */
  readonly offset: number;
  /** The status HAProxy 2.6 answers with: to the client for a request, 502 for a server's response. */
  readonly status: number;

  constructor(code: HttpErrorCode, message: string, offset: number, status: number) {
    super(message);
    this.name = 'HttpParseError';
    this.code = code;
    this.offset = offset;
    this.status = status;
  }
}
