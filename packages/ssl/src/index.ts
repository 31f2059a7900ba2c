/**
 * @hap/ssl — HAProxy's TLS configuration turned into Node secure contexts: certificate
 * files (`crt` files and directories, `crt-list`, the `.key`/`.issuer`/`.ocsp` siblings),
 * OCSP stapling from `.ocsp` files (a DER response reader and HAProxy's checks),
 * SNI selection (exact names, wildcards, crt-list filters, the default certificate,
 * `strict-sni`), client-certificate verification, ALPN, versions, ciphers and curves, and
 * the global `ssl-default-*` lines. It checks what HAProxy checks while parsing, with
 * HAProxy's words, so it is also a certificate-configuration checker. It opens no socket:
 * the application hands its options to `tls.createServer()` / `tls.connect()`.
 */

export {
  type BindTls,
  type BindTlsResult,
  type ContextHolder,
  compileBindTls,
  crtPath,
  type EntryTls,
  type SniEntry,
} from './bind.ts';
export { CaFileStore, type CaFileUser, type CaKind, contextPem } from './ca-store.ts';
export {
  type CrtListEntry,
  type CrtListLineParse,
  crtListLines,
  parseCrtListLine,
  readCrtList,
} from './crt-list.ts';
export { type CrtListInstance, CrtListStore, type CrtListUser } from './crt-list-store.ts';
export { GLOBAL_TLS_KEYWORDS, type TlsDefaults, tlsDefaults } from './defaults.ts';
export { crlDetails } from './der.ts';
export { certificateDetails } from './details.ts';
export { type ClientHelloName, clientHelloServerName } from './hello.ts';
export {
  type CheckedOcsp,
  certIdDer,
  certIdMatches,
  certIdOf,
  checkOcspResponse,
  OCSP_SKEW_SECONDS,
  type OcspCertId,
  type OcspCertStatus,
  OcspError,
  type OcspResponse,
  OcspResponses,
  type OcspSingleResponse,
  type OcspSlot,
  OcspStapler,
  ocspIssuer,
  readOcspResponse,
} from './ocsp.ts';
export {
  CertificateError,
  certificateFilesIn,
  certificateNames,
  type LoadedCertificate,
  loadCertificate,
} from './pem.ts';
export { compileServerTls, type ServerTls, type ServerTlsResult } from './server.ts';
export { renewTicketsOnResumption, SessionCache, TicketKeyFile, ticketsOff } from './sessions.ts';
export { TLS_VERSIONS, type TlsSettings, type VerifyMode } from './settings.ts';
export {
  type CertificateInstance,
  CertificateStore,
  type StoredCertificate,
} from './store.ts';
