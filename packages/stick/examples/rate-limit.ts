// Run: node packages/stick/examples/rate-limit.ts  (Node 24 runs .ts files directly)
// The classic HAProxy rate limiter, driven by hand on a manual clock:
//
//   frontend www
//     stick-table type ip size 100k expire 30s store http_req_rate(10s),gpc0,conn_cur
//     http-request track-sc0 src
//     http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 }
//     http-request sc-inc-gpc0(0) if { sc_http_req_rate(0) gt 5 }
import {
  incGpc0,
  parseStickTable,
  StickTable,
  stickFetch,
  tableCommand,
  trackHttp,
  updateOnHttpError,
} from '../src/index.ts';

let now = 1_700_000_000_000; // ms, on whatever clock the proxy uses
const spec = parseStickTable(
  'type ip size 100k expire 30s store http_req_rate(10s),gpc0,conn_cur'.split(' '),
);
const www = new StickTable('www', spec, () => now);

function request(src: string): number {
  // http-request track-sc0 src: counts the connection and this request
  const e = trackHttp(www, src);
  const ctx = { tracked: (n: number) => (n === 0 ? e : undefined), src, table: () => www };
  let status = 200;
  const rate = stickFetch('sc_http_req_rate', [0], ctx);
  if (typeof rate === 'number' && rate > 5) {
    status = 429;
    if (e) {
      updateOnHttpError(e); // a deny is a client error for HAProxy (not stored here)
      incGpc0(e);
    }
  }
  if (e) www.release(e); // end of the stream: conn_cur goes back down
  return status;
}

const seen: string[] = [];
for (let i = 0; i < 8; i++) {
  seen.push(`${request('192.0.2.10')}`);
  now += 200;
}
console.log('192.0.2.10, 8 requests in 1.6 s:', seen.join(' '));
console.log('198.51.100.7, 1 request:        ', request('198.51.100.7'));
console.log();
console.log(tableCommand(['show', 'table', 'www'], [www]));

now += 15_000; // the 10 s window slid: the rate fades, gpc0 stays
console.log('15 s later:');
console.log(tableCommand(['show', 'table', 'www', 'data.gpc0', 'gt', '0'], [www]));

now += 30_000; // past `expire` since the last refresh: both entries are gone
console.log('45 s later:');
console.log(tableCommand(['show', 'table', 'www'], [www]));
