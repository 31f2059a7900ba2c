// Run: node packages/http/examples/parse.ts  (Node 24 runs .ts files directly)
// Two pipelined requests arrive in awkward pieces; then a smuggling attempt is refused.
import { type HeadInfo, type HttpHandler, type HttpParseError, HttpParser } from '../src/index.ts';

class Printer implements HttpHandler {
  onRequestLine(method: string, target: string, major: number, minor: number): void {
    console.log(`request: ${method} ${target} HTTP/${major}.${minor}`);
  }
  onHeadersComplete(info: HeadInfo): void {
    console.log(`  headers: ${JSON.stringify(info.headers)}`);
    console.log(`  body: ${info.bodyKind}, keep-alive: ${info.keepAlive}`);
  }
  onBody(slice: Buffer): void {
    console.log(`  body slice: ${JSON.stringify(slice.toString())}`);
  }
  onMessageComplete(): void {
    console.log('  complete');
  }
  onError(error: HttpParseError): void {
    console.log(`rejected: ${error.code} at byte ${error.offset}, HAProxy answers ${error.status}`);
  }
}

const parser = new HttpParser('request', new Printer());
const wire = Buffer.from(
  'POST /form HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' +
    'GET /next HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
);
for (let i = 0; i < wire.length; i += 7) parser.execute(wire.subarray(i, i + 7));

const strict = new HttpParser('request', new Printer());
strict.execute(
  Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd', 'latin1'),
);
