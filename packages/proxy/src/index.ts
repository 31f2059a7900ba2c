/**
 * @hap/proxy — frontends, backends, servers and streams: `mode tcp` forwarding
 * (TcpFrontend) and `mode http` forwarding (HttpFrontend: HTTP/1.1 sessions with
 * keep-alive on both sides, server connection reuse, HAProxy's timeouts and error
 * responses). It knows nothing of configuration files or listeners: the
 * application wires them.
 */

export {
  type ConnectionAddresses,
  carryAddresses,
  connectionAddresses,
  markListener,
  type ProxyHeaderFailure,
  readProxyHeader,
} from './accept-proxy.ts';
export {
  Backend,
  type BackendBalancer,
  type BackendSpec,
  type BackendTimeouts,
  type HttpReuse,
  type ObservedEvent,
  type RequestKey,
  type StickPersistence,
} from './backend.ts';
export { captureHeaders, type HeaderCapture, type HttpCaptures, httpCaptures } from './capture.ts';
export {
  type CompressionAlgorithm,
  type CompressionSettings,
  compressionAvailable,
} from './compression.ts';
export {
  type CookieCapture,
  CookiePersistence,
  type CookieServers,
  type CookieSpec,
  CookieTxn,
  clearDynamicCookies,
  type DynamicCookieServer,
  dynamicCookie,
  insertCookie,
  PERSIST_FORCE,
  PERSIST_IGNORE,
  PERSIST_NONE,
  requestCookies,
  responseCacheable,
  responseCookies,
  setDynamicCookies,
} from './cookie.ts';
export {
  captureRequestError,
  captureResponseError,
  ErrorEvents,
  type ErrorSlot,
  type ErrorSnapshot,
  type RequestErrorSlot,
} from './error-capture.ts';
export { type Frontend, type FrontendHooks, type FrontendSpec, TcpFrontend } from './frontend.ts';
export { HttpFrontend, type HttpFrontendSpec } from './http-frontend.ts';
export {
  type ForwardFor,
  H2_STREAM,
  type HttpConnectionMode,
  type HttpFrontendTimeouts,
  type HttpProxySettings,
  type HttpSession,
  type InterceptService,
  type LocalReply,
  type MonitorSettings,
  type ProxyHttpRules,
  setBackendHttp,
} from './http-session.ts';
export {
  canonicalIp,
  crc32c,
  encodeProxyV1,
  encodeProxyV2,
  PP2_TYPE_ALPN,
  PP2_TYPE_AUTHORITY,
  PP2_TYPE_CRC32C,
  PP2_TYPE_NETNS,
  PP2_TYPE_NOOP,
  PP2_TYPE_SSL,
  PP2_TYPE_UNIQUE_ID,
  PROXY_ERROR_CONN_CODE,
  PROXY_ERROR_LOG_TEXT,
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_DEFAULT_MAX_LENGTH,
  type ProxyAddresses,
  type ProxyCommand,
  type ProxyDone,
  ProxyEncodeError,
  type ProxyErrorCode,
  type ProxyFailed,
  type ProxyFamily,
  type ProxyHeader,
  ProxyHeaderReader,
  type ProxyNeedMore,
  ProxyProtocolError,
  type ProxyReaderOptions,
  type ProxyReadResult,
  type ProxyTlv,
  type ProxyTransport,
  type ProxyV2Options,
  parseProxyHeader,
} from './proxy-protocol.ts';
export {
  type H2Share,
  Server,
  type ServerH2Connector,
  type ServerTarget,
  type ServerTlsConnector,
} from './server.ts';
export type { FrontendLog, StreamState, StreamTimeouts, TcpStream } from './stream.ts';
export { StreamEnv, useStickTables } from './stream-env.ts';
export type { TcpInspection } from './tcp-inspect.ts';
export { TlsFacts, verifyErrorCode } from './tls-facts.ts';
export { xxh64 } from './xxh64.ts';
