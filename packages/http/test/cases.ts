// The smuggling / edge matrix shared by the differential test and the unit tests.
// `haproxy` is what HAProxy 2.6.12 answered when this file was written ('ok' = forwarded
// to the server); the differential test re-measures it against the installed haproxy.

const R = (head: string, body = '') => `${head}\r\n\r\n${body}`;
const TE = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked';

function headOfSize(total: number): string {
  const base = 'GET / HTTP/1.1\r\nHost: a\r\nX: \r\n\r\n';
  return `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(total - base.length)}\r\n\r\n`;
}
function fields(n: number): string {
  let s = 'GET / HTTP/1.1\r\nHost: a\r\n';
  for (let i = 1; i < n; i++) s += `X${i}: v\r\n`;
  return `${s}\r\n`;
}

export const MATRIX: [name: string, request: string, haproxy: 'ok' | number][] = [
  ['plain GET', R('GET / HTTP/1.1\r\nHost: a'), 'ok'],
  [
    'CL.TE (both: TE wins)',
    R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked', '0\r\n\r\nG'),
    'ok',
  ],
  [
    'TE.CL (both: TE wins)',
    R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3', '1\r\nA\r\n0\r\n\r\n'),
    'ok',
  ],
  [
    'TE with space before colon',
    R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked', '0\r\n\r\n'),
    400,
  ],
  ['TE: xchunked', R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked', '0\r\n\r\n'), 400],
  [
    'TE: chunked, identity',
    R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity', '0\r\n\r\n'),
    400,
  ],
  ['TE: identity', R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity'), 400],
  [
    'TE: gzip, chunked',
    R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked', '0\r\n\r\n'),
    422,
  ],
  ['TE twice (two headers)', R(`${TE}\r\nTransfer-Encoding: chunked`, '0\r\n\r\n'), 400],
  [
    'TE: chunked, chunked',
    R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked', '0\r\n\r\n'),
    400,
  ],
  ['TE: CHUNKED (case)', R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED', '0\r\n\r\n'), 'ok'],
  ['TE: "chunked" quoted', R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "chunked"', '0\r\n\r\n'), 400],
  ['TE empty', R('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: '), 400],
  [
    'duplicate CL, different',
    R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2', 'ab'),
    400,
  ],
  [
    'duplicate CL, same',
    R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2', 'ab'),
    'ok',
  ],
  ['CL: 5 ,5', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 ,5', 'abcde'), 'ok'],
  ['CL: 2, 3', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 3', 'abc'), 400],
  ['CL: +5', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5', 'abcde'), 400],
  ['CL: -1', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1'), 400],
  ['CL empty', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: '), 400],
  ['CL: 5, (trailing comma)', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,', 'abcde'), 400],
  ['CL: 0x5', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5', 'abcde'), 400],
  ['CL: 2^63 (overflow)', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808'), 400],
  ['CL: 2^63-1', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807', 'abc'), 'ok'],
  ['CL split by obs-fold', R('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n 2', 'abcdefghijkl'), 400],
  ['chunk size 2^52-1', R(TE, 'fffffffffffff\r\nabc'), 'ok'],
  ['chunk size 2^52 (overflow)', R(TE, '10000000000000\r\nabc'), 400],
  ['chunk size 17 hex digits', R(TE, 'fffffffffffffffff\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk size not hex', R(TE, 'z\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk size with leading space', R(TE, ' 3\r\nabc\r\n0\r\n\r\n'), 400],
  ['chunk extension', R(TE, '3;foo="b;r"\r\nabc\r\n0\r\n\r\n'), 'ok'],
  ['chunk data without CRLF', R(TE, '3\r\nabcX\r\n0\r\n\r\n'), 400],
  ['NUL in a header value', R('GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b'), 'ok'],
  ['bare CR in a header value', R('GET / HTTP/1.1\r\nHost: a\r\nX: a\rb'), 400],
  ['bare LF line endings', 'GET / HTTP/1.1\nHost: a\nX: y\n\n', 'ok'],
  ['obs-fold', R('GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b'), 'ok'],
  ['obs-fold on the first header', R('GET / HTTP/1.1\r\n Host: a'), 400],
  ['space in a header name', R('GET / HTTP/1.1\r\nHost: a\r\nX Y: z'), 400],
  ['empty header name', R('GET / HTTP/1.1\r\nHost: a\r\n: z'), 400],
  ['header line without colon', R('GET / HTTP/1.1\r\nHost: a\r\nXYZ'), 400],
  ['HTTP/0.9 simple request', 'GET /\r\n', 400],
  ['HTTP/1.0 without Host', R('GET / HTTP/1.0'), 'ok'],
  ['version HTTP/1.10', R('GET / HTTP/1.10\r\nHost: a'), 400],
  ['version http/1.1 (lower case)', R('GET / http/1.1\r\nHost: a'), 400],
  ['method with @', R('G@T / HTTP/1.1\r\nHost: a'), 400],
  ['target with #', R('GET /a#b HTTP/1.1\r\nHost: a'), 400],
  ['target with 8-bit byte', R('GET /\xe9 HTTP/1.1\r\nHost: a'), 400],
  ['authority-form with GET', R('GET a:80 HTTP/1.1\r\nHost: a'), 400],
  ['absolute-form, conflicting Host', R('GET http://b/ HTTP/1.1\r\nHost: a'), 400],
  ['absolute-form, Host with default port', R('GET http://a/ HTTP/1.1\r\nHost: a:80'), 'ok'],
  ['absolute-form https :443 vs Host', R('GET https://a:443/ HTTP/1.1\r\nHost: a'), 'ok'],
  ['CONNECT without port', R('CONNECT a HTTP/1.1\r\nHost: a'), 400],
  ['two different Host headers', R('GET / HTTP/1.1\r\nHost: a\r\nHost: b'), 400],
  [
    'websocket upgrade without key',
    R('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket'),
    400,
  ],
  ['head of 15273 bytes', headOfSize(15273), 'ok'],
  ['head of 15274 bytes', headOfSize(15274), 400],
  ['very long header (20000 bytes)', headOfSize(20000), 400],
  ['100 header fields', fields(100), 'ok'],
  ['101 header fields', fields(101), 400],
];
