// Intended differences between haproxyd and HAProxy 2.6, one entry per row of the table in
// README.md (keep both in step). Each entry names the cases it applies to and derives, from
// HAProxy's normalised observation, exactly what haproxyd must show instead: the difference
// is asserted, never skipped. Only the real haproxyd (side B = haproxyd) gets these.
import type { Observation } from './harness.ts';

export interface IntendedDifference {
  readonly title: string;
  readonly reason: string;
  matches(caseName: string): boolean;
  /** What B must show, given A's observation (a private copy: mutate and return it). */
  expectB(a: Observation): Observation;
}

const BAD_STATUS_CASES = new Set(['status 099', 'status 1000', 'two-digit status']);

export const INTENDED: readonly IntendedDifference[] = [
  {
    title: 'status codes outside 100-599 in a response',
    reason:
      'RFC 9110 defines status codes as three digits from 100 to 599. HAProxy 2.6 forwards "20", "1000" and "099" ' +
      '(and drops the Content-Length of the last, leaving its body unframed); haproxyd treats such a status line as ' +
      'an invalid response: 502 to the client (connection kept, as after any 502), the server connection closed.',
    matches: (name) => BAD_STATUS_CASES.has(name.replace(/^response: /, '')),
    expectB(a) {
      a.client.responses = [
        {
          start: 'HTTP/1.1 502 Bad Gateway',
          headers: [
            ['content-length', '107'],
            ['cache-control', 'no-cache'],
            ['content-type', 'text/html'],
          ],
          framing: 'content-length',
          body: '<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n',
          complete: true,
        },
      ];
      a.client.rest = '';
      a.client.error = '';
      a.client.closed = false;
      a.backend.closedByProxy = a.backend.closedByProxy.map(() => true);
      return a;
    },
  },
  {
    title: 'http-server-close: early final answer to an Expect: 100-continue request',
    reason:
      'The server answered (417) before any body byte; the request ends there. Under http-server-close the server ' +
      'was told "connection: close" and the connection is not reused, so haproxyd closes it at once; HAProxy 2.6 ' +
      'leaves it open until the server closes it. The client sees the same bytes.',
    matches: (name) => name === 'sclose: server answers 417 at once',
    expectB(a) {
      a.backend.closedByProxy = a.backend.closedByProxy.map(() => true);
      return a;
    },
  },
];
