import type { StickFetchContext } from '@hap/stick';
import type { Userlist } from './auth/userlist.ts';

/**
 * What sample fetches read: one `SampleEnv` per stream (HAProxy: the stream and its
 * session), filled by the proxy as the stream goes on. Fetches that need something the
 * stream does not have yet (a response status while the request is processed) find
 * nothing, as in HAProxy.
 */

/** An HTTP message as the rules see it. The proxy owns it; actions change it in place. */
export interface HttpMessageView {
  /** Request method ('' for a response). */
  method: string;
  /** Request target as received (origin form `/p?q`, absolute form, `*`, authority). '' for a response. */
  target: string;
  /** 'HTTP/1.1', 'HTTP/1.0', … */
  version: string;
  /** Response status (0 for a request). */
  status: number;
  /** Flat `[name0, value0, name1, value1, …]`, names in the case received, in order. */
  headers: string[];
  /** The body received so far when it was buffered (`option http-buffer-request`), else undefined. */
  body: Buffer | undefined;
}

/** Live figures of the proxies (for nbsrv, be_conn, fe_conn, srv_is_up, …). */
export interface ProxyWorld {
  /** Usable servers of backend `name`; undefined when there is no such backend. */
  nbsrv(backend: string): number | undefined;
  /** Current connections of backend `name`. */
  beConn(backend: string): number | undefined;
  /** Requests waiting in backend `name`'s queue. */
  queue(backend: string): number | undefined;
  /** Current connections of frontend `name`. */
  feConn(frontend: string): number | undefined;
  /** Whether `backend/server` is up; undefined when there is no such server. */
  serverUp(backend: string, server: string): boolean | undefined;
  /**
   * The userlist `name` (made with `createUserlist`), for `http_auth(name)` and
   * `http_auth_group(name)`; absent or undefined: those fetches find nothing.
   */
  userlist?(name: string): Userlist | undefined;
  /**
   * Requests waiting in the queue of `backend/server` (`srv_queue`); undefined when there
   * is no such server. Absent: `srv_queue` finds nothing.
   */
  serverQueue?(backend: string, server: string): number | undefined;
  /**
   * A figure of backend `name` (HAProxy 7.3.2): `avg_queue`, `connslots`, `conn_free`
   * (`be_conn_free`), `sess_rate` (sessions over the last second), `id`, `server_timeout`,
   * `tunnel_timeout` (ms). Undefined when there is no such backend; absent: those fetches find
   * nothing.
   */
  backendFigure?(name: string, figure: BackendFigure): number | undefined;
  /** A figure of frontend `name`: `sess_rate`, `req_rate` (per second), `id`, `client_timeout` (ms). */
  frontendFigure?(name: string, figure: FrontendFigure): number | undefined;
  /**
   * A figure of server `backend/server`: `conn` (streams it serves now), `conn_free`, `sess_rate`,
   * `id`, `weight` (current), `iweight` (initial), `uweight` (as the user set it).
   */
  serverFigure?(backend: string, server: string, figure: ServerFigure): number | undefined;
  /** The default backend of frontend `name` (`fe_defbe`); undefined: none. */
  defaultBackend?(frontend: string): string | undefined;
}

export type BackendFigure =
  | 'avg_queue'
  | 'connslots'
  | 'conn_free'
  | 'sess_rate'
  | 'id'
  | 'server_timeout'
  | 'tunnel_timeout';
export type FrontendFigure = 'sess_rate' | 'req_rate' | 'id' | 'client_timeout';
export type ServerFigure = 'conn' | 'conn_free' | 'sess_rate' | 'id' | 'weight' | 'iweight' | 'uweight';

/** What the `ssl_fc*` / `ssl_c_*` fetches read of a TLS client connection. */
/** A certificate as the `ssl_c_*` / `ssl_f_*` fetches read it. */
export interface CertificateView {
  /** Distinguished names as Node prints them: `C=FR\nO=Example\nCN=name`. */
  readonly subject: string;
  readonly issuer: string;
  readonly der: Buffer;
  /** The serial number's bytes (big-endian, no sign byte). */
  readonly serial: Buffer;
  readonly sha1: Buffer;
  /** ASN.1 time text, `YYMMDDhhmmssZ` (or `YYYYMMDDhhmmssZ` from 2050). */
  readonly notBefore: string | undefined;
  readonly notAfter: string | undefined;
  /** 1 to 3. */
  readonly version: number;
  /** OpenSSL's short names: `RSA-SHA256`, `rsaEncryption`, `id-ecPublicKey`, … */
  readonly signatureAlgorithm: string | undefined;
  readonly keyAlgorithm: string | undefined;
}

export interface ConnectionTlsView {
  /** The server name the client sent (SNI), lower case as received; undefined: none. */
  readonly sni: string | undefined;
  /** 'TLSv1.2', 'TLSv1.3', … (`ssl_fc_protocol`). */
  readonly protocol?: string | undefined;
  /** The cipher's OpenSSL name (`ssl_fc_cipher`). */
  readonly cipher?: string | undefined;
  /** The protocol ALPN selected (`ssl_fc_alpn`); undefined: none. */
  readonly alpn?: string | undefined;
  /** The session was resumed (a ticket or a cached session), not a full handshake (`ssl_fc_is_resumed`). */
  readonly resumed?: boolean;
  /** The client sent a certificate (`ssl_c_used`, `ssl_fc_has_crt`). */
  readonly clientCertUsed?: boolean;
  /** The verification result of the client certificate, OpenSSL's X509_V_* code; 0 = ok (`ssl_c_verify`). */
  readonly verifyResult?: number;
  /** The client's certificate (`ssl_c_*`) and the one presented to it (`ssl_f_*`). */
  readonly clientCertificate?: CertificateView | undefined;
  readonly frontCertificate?: CertificateView | undefined;
  /** Secret key bits of the cipher used, and of its algorithm (`ssl_fc_use_keysize`, `ssl_fc_alg_keysize`). */
  readonly cipherBits?: number | undefined;
}

export interface SampleEnv {
  /** Client address (IPv4 dotted quad or IPv6 text) and port, after any PROXY header. */
  readonly src: string;
  readonly srcPort: number;
  /** Address and port the client connected to. */
  readonly dst: string;
  readonly dstPort: number;
  /** The frontend (or listen) that accepted the connection. */
  readonly frontend: string;
  /** The backend chosen so far (undefined before switching rules ran). */
  backend: string | undefined;
  /** The server chosen (for the response side), else undefined. */
  server: string | undefined;
  /** The request, once its head is parsed; undefined in tcp mode. */
  req: HttpMessageView | undefined;
  /** The response, once its head is parsed. */
  res: HttpMessageView | undefined;
  /** TLS facts of the client connection (undefined: not TLS). */
  readonly ssl: ConnectionTlsView | undefined;
  /** Variables of the txn, req, res and sess scopes (proc is process-wide). */
  readonly vars: VarStore;
  readonly world: ProxyWorld;
  /**
   * HAProxy's transaction status, what `%ST` prints: the status of the reply the proxy is
   * building (`http-request return|deny|redirect`), or of the response. When absent: the
   * response's status, else -1 (HAProxy's value before any status is known).
   */
  status?: number;
  /** The request's unique id (`unique-id-format`), for `%ID` and `unique-id`; absent: none. */
  uniqueId?: string;
  /**
   * The frontend's capture slots of the current transaction (`capture request|response
   * header`, `declare capture`, `http-request|http-response capture`), in declaration order;
   * absent: the frontend declares none.
   */
  captures?: CaptureSlots | undefined;
  /**
   * The request line as the client sent it, before any rule changed the request
   * (`capture.req.method`, `capture.req.uri`, `capture.req.ver`, `fc_http_major`); absent:
   * those fetches find nothing.
   */
  reqLine?: RequestLine | undefined;
  /** The listening socket (bind line) that accepted the connection (`so_id`, `so_name`, `dst_conn`); absent: nothing found. */
  listener?: ListenerView | undefined;
  /** Whether the request is the first one of its connection (`http_first_req`); absent: nothing found. */
  firstRequest?: boolean | undefined;
  /**
   * Bytes waiting in the request buffer during `tcp-request content` inspection (tcp mode),
   * for `req.len`, `req.payload`, `req.ssl_sni`-style fetches, and the HTTP fetches in tcp
   * mode (a request head parsed from it, cached per Buffer: give a new Buffer when bytes
   * arrive, never change one in place); absent: none.
   */
  payload?: Buffer;
  /**
   * Whether `payload` is final: no more bytes will be looked at (the inspect delay is over,
   * the client ended its side, the buffer is full). Absent: final. While it is `false`,
   * fetches that read the payload report that their result may change (HAProxy's
   * SMP_F_MAY_CHANGE) by setting `missed`, and `wait_end` finds nothing.
   */
  payloadFinal?: boolean;
  /**
   * Set to true by this package (never reset) when a result may still change with more
   * payload: by a condition or ACL whose result is HAProxy's "missing data" (ACL_TEST_MISS:
   * `test` then returns false, whatever the `if`/`unless`), and by a fetch evaluated outside
   * a condition (`SampleExpr.eval`) that read a payload which is not final. The proxy clears
   * it before a rule, and waits for more data when a rule's condition returned false with it
   * set (see README, "Missing data").
   */
  missed?: boolean;
  /**
   * Stick tables as the `sc*_`, `src_*`, `table_*` fetches and converters see them (the shape
   * `@hap/stick` evaluates with): `tracked(n)` is the entry tracked in slot n (the stream's,
   * else the session's), `table(name)` a table by name (`undefined`: the current proxy's
   * table), `src` the client address (when absent, `src` above is used). Absent: those
   * fetches find nothing.
   */
  stick?: StickFetchContext;
}

/** Variables by scope: `proc`, `sess`, `txn`, `req`, `res` (names written `txn.name`). */
export interface VarStore {
  get(name: string): SampleValue | undefined;
  set(name: string, value: SampleValue): void;
  unset(name: string): void;
}

/**
 * A sample's value: HAProxy's types bool, sint, str, bin, ipv4/ipv6 (as `IpValue`), meth (as
 * str). A sint is a number, or a bigint when it is outside JS's safe integers and must stay
 * exact (64-bit hashes such as `xxh64`, and arithmetic on them); ±2^63 numbers stand for the
 * saturated bounds.
 */
export type SampleValue = boolean | number | bigint | string | Buffer | IpValue;

export interface IpValue {
  readonly kind: 'ipv4' | 'ipv6';
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

/** A listening socket as `so_id`, `so_name` and `dst_conn` see it. */
export interface ListenerView {
  /** Its id (`id` on the bind line, else its rank in the frontend). */
  readonly id: number;
  /** `name` on the bind line; '' when none. */
  readonly name: string;
  /** Connections it accepted that are still open. */
  readonly currentConns: number;
}

/** A request line as received: method, target (the URI) and version ('HTTP/1.1', 'HTTP/2.0'). */
export interface RequestLine {
  readonly method: string;
  readonly target: string;
  readonly version: string;
}

/** A transaction's capture slots: what the log's %hr / %hs show. */
export interface CaptureSlots {
  readonly req: (string | undefined)[];
  readonly res: (string | undefined)[];
}
