// Parser micro-benchmark: a typical ~500-byte browser request parsed N times (default 1M)
// by one parser, as one chunk each. Not run by the tests.
// Run: node packages/http/bench/parse.bench.ts [count]
import { type HeadInfo, type HttpHandler, HttpParser } from '../src/index.ts';

const N = Number(process.argv[2] ?? 1_000_000);

const REQUEST = Buffer.from(
  [
    'GET /products/category/shoes?page=2&sort=price HTTP/1.1',
    'Host: shop.example.com',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language: en-US,en;q=0.5',
    'Accept-Encoding: gzip, deflate, br',
    'Referer: https://shop.example.com/products/category/shoes',
    'Connection: keep-alive',
    'Cookie: session=6f1e2d3c4b5a69788796a5b4c3d2e1f0; theme=dark',
    'Upgrade-Insecure-Requests: 1',
    'Cache-Control: max-age=0',
    '',
    '',
  ].join('\r\n'),
  'latin1',
);

class Counter implements HttpHandler {
  messages = 0;
  headers = 0;
  onHeadersComplete(info: HeadInfo): void {
    this.headers += info.headers.length;
  }
  onBody(_slice: Buffer): void {}
  onMessageComplete(): void {
    this.messages++;
  }
  onError(error: Error): void {
    throw error;
  }
}

const counter = new Counter();
const parser = new HttpParser('request', counter);
for (let i = 0; i < 50_000; i++) parser.execute(REQUEST); // warm-up

const start = process.hrtime.bigint();
for (let i = 0; i < N; i++) parser.execute(REQUEST);
const ns = Number(process.hrtime.bigint() - start);
if (counter.messages !== N + 50_000) throw new Error(`parsed ${counter.messages} messages`);
console.log(
  `${REQUEST.length}-byte request x${N}: ${(ns / N).toFixed(0)} ns/request, ${((N / ns) * 1e3).toFixed(2)} M requests/s`,
);
