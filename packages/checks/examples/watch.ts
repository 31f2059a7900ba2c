// Run: node packages/checks/examples/watch.ts  (Node 24 runs .ts files directly)
// An HTTP health check on a tiny local server that answers 200, then 503, then nothing:
// HAProxy's sentences come out as the server goes DOWN and back UP.
import { createServer, type Server } from 'node:http';
import { compileCheckSpecs, HealthChecker } from '../src/index.ts';

let answer = 200;
const app: Server = createServer((_req, res) => {
  res.writeHead(answer, { 'content-length': '0' });
  res.end();
});
await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
const address = app.address();
const port = typeof address === 'object' && address ? address.port : 0;

// The words of `backend app` and of its server line, as @hap/config hands them over.
const specs = compileCheckSpecs({
  name: 'app',
  lines: [
    ['option', 'httpchk', 'GET', '/health', 'HTTP/1.1'],
    ['http-check', 'send', 'hdr', 'Host', 'app.local'],
    ['http-check', 'expect', 'status', '200'],
    ['option', 'log-health-checks'],
  ],
  servers: [
    { name: 'web1', addr: '127.0.0.1', port, options: { check: true, inter: '100', fall: '2', rise: '2' } },
  ],
});

const checker = new HealthChecker(specs, {
  onStateChange: (c) =>
    console.log(`-> ${c.backend}/${c.server}: ${c.previous.effective} => ${c.current.effective}`),
  onLog: (l) => console.log(`[${l.level}] ${l.text}`),
});
checker.start();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
await sleep(300);
answer = 503; // two failed checks later the server is DOWN
await sleep(400);
answer = 200; // two good ones and it is UP again
await sleep(400);
console.log(checker.state('app', 'web1'));
await checker.stop();
app.close();
