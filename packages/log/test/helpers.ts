// Records for the tests: a complete HTTP exchange with round numbers, changed per case.
import { createLogRecord, formatRequestLine, type LogRecord } from '../src/index.ts';

/** 2009-02-06 12:14:14.655 UTC, the date of the manual's examples. */
export const ACCEPT = Date.UTC(2009, 1, 6, 12, 14, 14, 655);

export function httpRecord(changes: Partial<LogRecord> = {}): LogRecord {
  const r = createLogRecord('http-in', ACCEPT);
  Object.assign(r, {
    clientAddress: '10.0.1.2',
    clientPort: 33317,
    frontendAddress: '10.0.3.31',
    frontendPort: 8012,
    backend: 'static',
    backendMode: 'http',
    server: 'srv1',
    backendSourceAddress: '10.0.3.31',
    backendSourcePort: 41000,
    serverAddress: '127.0.0.1',
    serverPort: 8000,
    tHandshake: 0,
    tIdle: 0,
    tRequest: 10,
    tQueue: 10,
    tConnect: 40,
    tData: 109,
    tClose: 109,
    status: 200,
    bytesIn: 120,
    bytesOut: 2750,
    actconn: 1,
    feconn: 1,
    beconn: 1,
    srvconn: 1,
    requestLine: formatRequestLine('GET', '/index.html', 'HTTP/1.1'),
    requestCaptures: ['1wt.eu'],
    responseCaptures: [undefined],
  } satisfies Partial<LogRecord>);
  return Object.assign(r, changes);
}

export function tcpRecord(changes: Partial<LogRecord> = {}): LogRecord {
  const r = createLogRecord('fnt', Date.UTC(2009, 1, 6, 12, 12, 51, 443));
  Object.assign(r, {
    clientAddress: '10.0.1.2',
    clientPort: 33313,
    frontendAddress: '10.0.3.31',
    frontendPort: 8012,
    backend: 'bck',
    server: 'srv1',
    tRequest: 0,
    tQueue: 0,
    tConnect: 0,
    tClose: 5007,
    bytesOut: 212,
    retries: 3,
  } satisfies Partial<LogRecord>);
  return Object.assign(r, changes);
}
