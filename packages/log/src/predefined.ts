// The formats HAProxy 2.6 declares internally, byte for byte, and the "default" log line
// emitted at accept time by a proxy that has a `log` but no log format at all.
import type { LogRecord } from './record.ts';

/** `option tcplog`. */
export const TCP_LOG_FORMAT = '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq';

/** `option httplog`. */
export const HTTP_LOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r';

/** `option httplog clf`. */
export const CLF_HTTP_LOG_FORMAT =
  '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl';

/** `option httpslog` (its `%[fc_err]`, `%[ssl_*]` parts need @hap/sample's TLS fetches). */
export const HTTPS_LOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r ' +
  '%[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc';

/** The structured data rfc5424 targets get when no `log-format-sd` is set. */
export const DEFAULT_RFC5424_SD_LOG_FORMAT = '- ';

/**
 * The log format string a proxy uses, from its directives in order of appearance as
 * HAProxy applies them (the last of `log-format`, `option tcplog`, `option httplog [clf]`,
 * `option httpslog` wins); undefined: no format, the default accept-time line is used.
 */
export function logFormatFor(
  directive:
    | { kind: 'log-format'; text: string }
    | { kind: 'tcplog' }
    | { kind: 'httplog'; clf?: boolean }
    | { kind: 'httpslog' }
    | undefined,
  mode: 'tcp' | 'http',
): string | undefined {
  if (directive === undefined) return undefined;
  switch (directive.kind) {
    case 'log-format':
      return directive.text;
    case 'tcplog':
      return TCP_LOG_FORMAT;
    case 'httplog':
      // HAProxy: "'option httplog' not usable with … (needs 'mode http'). Falling back to 'option tcplog'."
      if (mode !== 'http') return TCP_LOG_FORMAT;
      return directive.clf ? CLF_HTTP_LOG_FORMAT : HTTP_LOG_FORMAT;
    case 'httpslog':
      return mode === 'http' ? HTTPS_LOG_FORMAT : TCP_LOG_FORMAT;
  }
}

/**
 * The line of a proxy with a `log` but no log format, sent at level info when a connection
 * is accepted: "Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)".
 * For a unix socket: "Connect to unix:<listener id> (www/HTTP)".
 */
export function defaultConnectLine(
  r: Pick<LogRecord, 'clientAddress' | 'clientPort' | 'frontendAddress' | 'frontendPort' | 'frontend'>,
  mode: 'tcp' | 'http',
  listenerId = 0,
): string {
  const m = mode === 'http' ? 'HTTP' : 'TCP';
  if (r.clientAddress === undefined) {
    return `Connect from unknown source to listener ${listenerId} (${r.frontend}/${m})`;
  }
  if (r.clientAddress === 'unix') return `Connect to unix:${listenerId} (${r.frontend}/${m})`;
  const dst = r.frontendAddress ?? 'undetermined address';
  const dport = r.frontendAddress === undefined ? 0 : r.frontendPort;
  return `Connect from ${r.clientAddress}:${r.clientPort} to ${dst}:${dport} (${r.frontend}/${m})`;
}
