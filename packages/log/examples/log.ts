// Run: node --conditions=@hap/source packages/log/examples/log.ts
// (Node 24 runs .ts files directly; the condition reads @hap/sample from its sources.)
// A stream's record rendered with `option httplog`, `option tcplog` and a custom format,
// then sent to stdout the way `log stdout format short local0` and `log stdout format raw
// daemon` would send it.
import {
  createLogger,
  createLogRecord,
  formatRequestLine,
  HTTP_LOG_FORMAT,
  LOG_INFO,
  type LogTarget,
  parseLogDirective,
  parseLogFormat,
  streamLogLevel,
  TCP_LOG_FORMAT,
} from '../src/index.ts';

// what the proxy filled in as the stream went on (times in ms since the accept)
const record = createLogRecord('http-in', Date.UTC(2009, 1, 6, 12, 14, 14, 655));
Object.assign(record, {
  clientAddress: '10.0.1.2',
  clientPort: 33317,
  backend: 'static',
  backendMode: 'http',
  server: 'srv1',
  tIdle: 0,
  tRequest: 10, // request headers complete
  tQueue: 10, // a server slot at once
  tConnect: 40, // connected to srv1
  tData: 109, // response headers received
  tClose: 109,
  status: 200,
  bytesOut: 2750,
  actconn: 1,
  feconn: 1,
  beconn: 1,
  srvconn: 1,
  requestLine: formatRequestLine('GET', '/index.html', 'HTTP/1.1'),
  requestCaptures: ['1wt.eu'],
  responseCaptures: [undefined],
});

const httplog = parseLogFormat(HTTP_LOG_FORMAT);
const tcplog = parseLogFormat(TCP_LOG_FORMAT, { mode: 'tcp' });
const custom = parseLogFormat('%{+Q}o %ci %HM %HU %{-Q}ST %B %Tt %tsc');
console.log('httplog:', httplog.render(record));
console.log('tcplog: ', tcplog.render(record));
console.log('custom: ', custom.render(record));

const targets: LogTarget[] = [];
for (const line of ['log stdout format short local0', 'log stdout format raw daemon']) {
  const d = parseLogDirective(line.split(' '));
  if (d.kind === 'target') targets.push(d.target);
}
const logger = createLogger(targets, { tag: 'haproxy' });
const level = streamLogLevel(record, { mode: 'http', separateErrors: true }) ?? LOG_INFO;
logger.send(level, httplog.render(record));
await logger.close();
console.log('sent:', logger.stats());
