// Differential: the request-smuggling matrix. CL.TE, TE.CL, TE.TE with obfuscated names and
// values, duplicate and malformed Content-Length, chunk-size overflow, NUL/CR/LF in heads,
// obs-fold, bare LF, HTTP/0.9, absolute-form with a conflicting Host, oversized heads. Each
// case must end the same way in haproxyd as in HAProxy 2.6: the same status at the client,
// and the same normalised message at the backend. On top of the comparison, on both sides:
// a message refused in one write never reaches the backend, and what does reach it cannot
// be framed differently (never both Content-Length and Transfer-Encoding, never two
// Content-Length fields).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATRIX } from '../../../../packages/http/test/cases.ts';
import {
  type Case,
  type Observed,
  oneFrontendTemplate,
  type Pair,
  req,
  startPair,
  statusesOf,
} from './harness.ts';
import type { ClientStep } from './peers.ts';

const TEMPLATE = oneFrontendTemplate({
  global: ['tune.bufsize 16384', 'tune.maxrewrite 1024', 'tune.http.maxhdr 101'],
});

let pair: Pair;
beforeAll(async () => {
  pair = await startPair({ template: TEMPLATE, frontends: ['main'] });
});
afterAll(async () => {
  await pair?.close();
});

/** The backend cannot read what it received differently from the proxy. */
function unambiguousAtBackend(o: Observed): void {
  for (const conn of o.norm.backend.requests)
    for (const m of conn) {
      const names = m.headers.map(([n]) => n);
      const cl = names.filter((n) => n === 'content-length').length;
      const te = names.includes('transfer-encoding');
      expect(cl, `${o.side.binary}: more than one Content-Length reached the backend`).toBeLessThanOrEqual(1);
      expect(cl > 0 && te, `${o.side.binary}: Content-Length and Transfer-Encoding reached the backend`).toBe(
        false,
      );
    }
}

/** A request refused by the proxy (an error status it generated) left no byte at the backend. */
function refusedNeverForwarded(o: Observed): void {
  const first = statusesOf(o)[0] ?? 0;
  if (first >= 400 && !o.norm.client.responses[0]?.body.startsWith('hello')) {
    const bytes = o.raw.backend.reduce((n, x) => n + x.data.length, 0);
    expect(bytes, `${o.side.binary} refused with ${first} but the backend received bytes`).toBe(0);
  }
}

function smugglingCase(name: string, steps: readonly ClientStep[], responses = 1, oneWrite = true): Case {
  return {
    name: `smuggling: ${name}`,
    steps,
    client: { responses, idleMs: 250 },
    check: (o) => {
      unambiguousAtBackend(o);
      if (oneWrite) refusedNeverForwarded(o);
    },
  };
}

const POST = 'POST / HTTP/1.1';
const H = 'Host: a';

// Cases beyond the parser-level matrix of @hap/http (packages/http/test/cases.ts).
const EXTRA: [name: string, raw: string, responses?: number][] = [
  // CL.TE / TE.CL with a smuggled request behind
  [
    'CL.TE with a smuggled GET after the last chunk',
    req(
      [POST, H, 'Content-Length: 35', 'Transfer-Encoding: chunked'],
      '0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    ),
    2,
  ],
  [
    'TE.CL with a smuggled request inside the chunk',
    req(
      [POST, H, 'Content-Length: 4', 'Transfer-Encoding: chunked'],
      '2a\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\nX-Pad: xx\r\n\r\n0\r\n\r\n',
    ),
  ],
  [
    'TE then CL 0',
    req([POST, H, 'Transfer-Encoding: chunked', 'Content-Length: 0'], '3\r\nabc\r\n0\r\n\r\n'),
  ],
  [
    'CL 0 then TE',
    req([POST, H, 'Content-Length: 0', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n0\r\n\r\n'),
  ],
  [
    'GET with CL body that looks like a request',
    req(['GET / HTTP/1.1', H, 'Content-Length: 32'], 'GET /admin HTTP/1.1\r\nHost: a\r\n\r\n'),
  ],
  [
    'GET with a body but no length (pipelined next request)',
    `${req(['GET / HTTP/1.1', H])}GET /2 HTTP/1.1\r\nHost: a\r\n\r\n`,
    2,
  ],
  // TE obfuscations
  ['TE: tab before value', req([POST, H, 'Transfer-Encoding:\tchunked', 'Content-Length: 3'], '0\r\n\r\n')],
  ['TE: no space after colon', req([POST, H, 'Transfer-Encoding:chunked', 'Content-Length: 3'], '0\r\n\r\n')],
  ['TE: trailing space', req([POST, H, 'Transfer-Encoding: chunked ', 'Content-Length: 3'], '0\r\n\r\n')],
  ['TE: mixed case name and value', req([POST, H, 'transfer-ENCODING: cHuNkEd'], '0\r\n\r\n')],
  [
    'TE: chunked then a second TE: x',
    req([POST, H, 'Transfer-Encoding: chunked', 'Transfer-Encoding: x'], '0\r\n\r\n'),
  ],
  [
    'TE: x then a second TE: chunked',
    req([POST, H, 'Transfer-Encoding: x', 'Transfer-Encoding: chunked'], '0\r\n\r\n'),
  ],
  ['TE: identity, chunked', req([POST, H, 'Transfer-Encoding: identity, chunked'], '0\r\n\r\n')],
  ['TE: chunked, (trailing comma)', req([POST, H, 'Transfer-Encoding: chunked,'], '0\r\n\r\n')],
  ['TE: ,chunked (leading comma)', req([POST, H, 'Transfer-Encoding: ,chunked'], '0\r\n\r\n')],
  ['TE: chunked;q=1', req([POST, H, 'Transfer-Encoding: chunked;q=1'], '0\r\n\r\n')],
  ['TE folded onto the next line', req([POST, H, 'Transfer-Encoding:', ' chunked'], '0\r\n\r\n')],
  ['TE value with vertical tab', req([POST, H, 'Transfer-Encoding: \x0bchunked'], '0\r\n\r\n')],
  ['TE value with form feed', req([POST, H, 'Transfer-Encoding: \x0cchunked'], '0\r\n\r\n')],
  [
    'Transfer_Encoding (underscore) with CL',
    req([POST, H, 'Transfer_Encoding: chunked', 'Content-Length: 5'], '0\r\n\r\n'),
  ],
  ['TE name with NUL', req([POST, H, 'Transfer-Encoding\x00: chunked'], '0\r\n\r\n')],
  ['TE on HTTP/1.0', req(['POST / HTTP/1.0', H, 'Transfer-Encoding: chunked'], '3\r\nabc\r\n0\r\n\r\n')],
  [
    'TE after a bare-LF line',
    `POST / HTTP/1.1\r\nHost: a\r\nX: y\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
  ],
  // Content-Length forms
  ['CL: 05 (leading zero)', req([POST, H, 'Content-Length: 05'], 'hello')],
  ['CL: 26 leading zeros', req([POST, H, `Content-Length: ${'0'.repeat(25)}5`], 'hello')],
  ['CL: trailing space', req([POST, H, 'Content-Length: 5 '], 'hello')],
  ['CL: no space after colon', req([POST, H, 'Content-Length:5'], 'hello')],
  ['CL: space before colon', req([POST, H, 'Content-Length : 5'], 'hello')],
  ['CL: tab before value', req([POST, H, 'Content-Length:\t5'], 'hello')],
  ['CL: 1e1', req([POST, H, 'Content-Length: 1e1'], 'helloworld')],
  ['CL: 5.0', req([POST, H, 'Content-Length: 5.0'], 'hello')],
  ['CL: quoted', req([POST, H, 'Content-Length: "5"'], 'hello')],
  ['CL: 5 and 05', req([POST, H, 'Content-Length: 5', 'Content-Length: 05'], 'hello')],
  ['CL: 5,5 (no space)', req([POST, H, 'Content-Length: 5,5'], 'hello')],
  ['CL: 5, 5 and 5', req([POST, H, 'Content-Length: 5, 5', 'Content-Length: 5'], 'hello')],
  ['CL: NUL after value', req([POST, H, 'Content-Length: 5\x00'], 'hello')],
  ['CL: value with a letter', req([POST, H, 'Content-Length: 5a'], 'hello')],
  [
    'CL on a GET followed by a pipelined request',
    `${req(['GET / HTTP/1.1', H, 'Content-Length: 5'], 'hello')}GET /2 HTTP/1.1\r\nHost: a\r\n\r\n`,
    2,
  ],
  // chunk sizes
  ['chunk size -1', req([POST, H, 'Transfer-Encoding: chunked'], '-1\r\nabc\r\n0\r\n\r\n')],
  ['chunk size 0x3', req([POST, H, 'Transfer-Encoding: chunked'], '0x3\r\nabc\r\n0\r\n\r\n')],
  ['chunk size +3', req([POST, H, 'Transfer-Encoding: chunked'], '+3\r\nabc\r\n0\r\n\r\n')],
  [
    'chunk size 20 digits with leading zeros',
    req([POST, H, 'Transfer-Encoding: chunked'], `${'0'.repeat(19)}3\r\nabc\r\n0\r\n\r\n`),
  ],
  ['chunk size followed by garbage', req([POST, H, 'Transfer-Encoding: chunked'], '3 x\r\nabc\r\n0\r\n\r\n')],
  [
    'chunk size 2^64+3 (wraps to 3)',
    req([POST, H, 'Transfer-Encoding: chunked'], '10000000000000003\r\nabc\r\n0\r\n\r\n'),
  ],
  ['chunk data longer than its size', req([POST, H, 'Transfer-Encoding: chunked'], '2\r\nabc\r\n0\r\n\r\n')],
  [
    'last chunk without the final CRLF then a request',
    `${req([POST, H, 'Transfer-Encoding: chunked'], '0\r\n')}GET /x HTTP/1.1\r\nHost: a\r\n\r\n`,
  ],
  ['trailer with bare LF', req([POST, H, 'Transfer-Encoding: chunked'], '0\r\nX: y\n\r\n')],
  ['trailer without colon', req([POST, H, 'Transfer-Encoding: chunked'], '0\r\nXYZ\r\n\r\n')],
  // NUL / CR / LF / whitespace in the head
  ['NUL in a header name', req(['GET / HTTP/1.1', H, 'X\x00Y: z'])],
  ['NUL in the target', req(['GET /a\x00b HTTP/1.1', H])],
  ['NUL in the method', req(['G\x00ET / HTTP/1.1', H])],
  ['CR in the target', req(['GET /a\rb HTTP/1.1', H])],
  ['CR before CRLF at the end of a value', req(['GET / HTTP/1.1', H, 'X: a\r'])],
  ['bare CR line endings', 'GET / HTTP/1.1\rHost: a\r\r'],
  ['mixed LF and CRLF', 'GET / HTTP/1.1\r\nHost: a\nX: y\r\n\n'],
  ['LF after the request line only', 'GET / HTTP/1.1\nHost: a\r\n\r\n'],
  ['header value with a bare LF inside', req(['GET / HTTP/1.1', H, 'X: a\nb'])],
  ['space before the first header', req(['GET / HTTP/1.1', ' Host: a'])],
  ['tab in a header name', req(['GET / HTTP/1.1', H, 'X\tY: z'])],
  ['obs-fold with a tab', req(['GET / HTTP/1.1', H, 'X: a', '\tb'])],
  ['obs-fold of Host', req(['GET / HTTP/1.1', 'Host: a', ' b'])],
  ['obs-fold of Content-Length', req([POST, H, 'Content-Length:', ' 5'], 'hello')],
  ['DEL in a header value', req(['GET / HTTP/1.1', H, 'X: a\x7fb'])],
  ['control char in a header value', req(['GET / HTTP/1.1', H, 'X: a\x01b'])],
  ['8-bit byte in a header name', req(['GET / HTTP/1.1', H, 'X\xe9: z'])],
  ['tabs in the request line', req(['GET\t/\tHTTP/1.1', H])],
  // versions
  ['HTTP/0.9 GET with CRLF CRLF', 'GET /\r\n\r\n'],
  ['HTTP/0.9 POST', 'POST /\r\n'],
  [
    'version HTTP/1.1 with HTTP/1.0 Host semantics',
    req(['GET / HTTP/1.0', 'Host: a', 'Connection: keep-alive']),
  ],
  ['version HTTP/ 1.1', req(['GET / HTTP/ 1.1', H])],
  ['version HTTP/11', req(['GET / HTTP/11', H])],
  ['version HTTPS/1.1', req(['GET / HTTPS/1.1', H])],
  // absolute-form and Host
  ['absolute-form, Host with another port', req(['GET http://a/ HTTP/1.1', 'Host: a:8080'])],
  ['absolute-form with a port, Host without', req(['GET http://a:8080/ HTTP/1.1', 'Host: a'])],
  ['absolute-form with empty authority', req(['GET http:/// HTTP/1.1', 'Host: a'])],
  ['absolute-form with userinfo, Host differs', req(['GET http://b@a/ HTTP/1.1', 'Host: b'])],
  ['absolute-form upper-case host vs lower-case Host', req(['GET http://A/ HTTP/1.1', 'Host: a'])],
  ['network-path target //b/', req(['GET //b/ HTTP/1.1', 'Host: a'])],
  ['absolute-form, two Host headers', req(['GET http://a/ HTTP/1.1', 'Host: a', 'Host: b'])],
  ['Host with a comma-separated second host', req(['GET / HTTP/1.1', 'Host: a,b'])],
  // sizes
  ['request line of 17000 bytes', req([`GET /${'a'.repeat(17000)} HTTP/1.1`, H])],
  ['header name of 9000 bytes', req(['GET / HTTP/1.1', H, `${'N'.repeat(9000)}: v`])],
  ['header name of 255 bytes', req(['GET / HTTP/1.1', H, `${'N'.repeat(255)}: v`])],
  ['header name of 256 bytes', req(['GET / HTTP/1.1', H, `${'N'.repeat(256)}: v`])],
];

const all: Case[] = [
  ...MATRIX.map(([name, raw]) => smugglingCase(name, [raw], 1)),
  ...EXTRA.map(([name, raw, n]) => smugglingCase(name, [raw], n ?? 1)),
];

describe('request smuggling, one write', () => {
  it.each(all)('$name', async (c) => {
    await pair.check(c);
  });
});

// The same messages with the head and the body in two writes 50 ms apart: the head may be
// forwarded before the body is found invalid; what matters is the same outcome as HAProxy
// and a backend that cannot be confused.
const SPLIT: [name: string, head: string, body: string][] = [
  ['CL.TE', `${POST}\r\n${H}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n`, '0\r\n\r\nG'],
  [
    'TE.CL',
    `${POST}\r\n${H}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n`,
    '1\r\nA\r\n0\r\n\r\n',
  ],
  ['chunk size not hex', `${POST}\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n`, 'z\r\nabc\r\n0\r\n\r\n'],
  ['chunk size overflow', `${POST}\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n`, '10000000000000\r\nabc'],
  [
    'chunk data without CRLF',
    `${POST}\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    '3\r\nabcX\r\n0\r\n\r\n',
  ],
  ['chunk size -1', `${POST}\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n`, '-1\r\nabc\r\n0\r\n\r\n'],
  ['CL body then garbage', `${POST}\r\n${H}\r\nContent-Length: 3\r\n\r\n`, 'abcGARBAGE\r\n\r\n'],
];

describe('request smuggling, head and body in two writes', () => {
  it.each(SPLIT.map(([name, head, body]) => ({ name, head, body })))(
    '$name',
    async ({ name, head, body }) => {
      await pair.check(smugglingCase(`split: ${name}`, [head, { delay: 50 }, body], 1, false));
    },
  );
});

// HAProxy 2.6.12 is not deterministic here (README.md): an invalid trailer name is sometimes
// refused with 400, sometimes forwarded (lower-cased) and answered 200 — in one write as well
// as split. Each side must produce one of those two outcomes exactly; the other invariants
// hold as for every case.
describe('request smuggling, where HAProxy varies', () => {
  const TRAILER = '0\r\nX Y: z\r\n\r\n';
  const head = `${POST}\r\n${H}\r\nTransfer-Encoding: chunked\r\n\r\n`;
  const classify = (o: Observed): string => {
    const status = statusesOf(o).join(',');
    const seen = o.raw.backend.map((x) => x.data.toString('latin1')).join('|');
    const page = o.norm.client.responses[0]?.body ?? '';
    return JSON.stringify({ status, closed: o.norm.client.closed, backend: seen, page: page.slice(0, 36) });
  };
  const forwarded = (status: string) =>
    JSON.stringify({
      status,
      closed: false,
      backend: 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n0\r\nx y: z\r\n\r\n',
      page: 'hello 0\n',
    });
  const refused = (backend: string) =>
    JSON.stringify({ status: '400', closed: true, backend, page: '<html><body><h1>400 Bad request</h1>' });

  it('trailer name with a space, one write', async () => {
    await pair.checkOneOf(smugglingCase('trailer name with a space', [head + TRAILER], 1, false), classify, [
      refused(''),
      forwarded('200'),
    ]);
  });

  it('trailer name with a space, head and body in two writes', async () => {
    await pair.checkOneOf(
      smugglingCase('split: bad trailer', [head, { delay: 50 }, TRAILER], 1, false),
      classify,
      [refused('POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n'), forwarded('200')],
    );
  });
});
