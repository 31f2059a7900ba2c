// The Node baseline of `pnpm bench`: node-http-proxy (the `http-proxy` package) in front
// of nginx, as it is usually deployed: a Node `http` server, `proxy.web()` per request,
// a keep-alive agent to the backend.
// Usage: node bench/node-http-proxy.mjs LISTEN_PORT BACKEND_PORT
import http from 'node:http';
import httpProxy from 'http-proxy';

const [listenPort, backendPort] = process.argv.slice(2).map(Number);
if (!listenPort || !backendPort) {
  process.stderr.write('usage: node bench/node-http-proxy.mjs LISTEN_PORT BACKEND_PORT\n');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${backendPort}`, agent });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 120_000;
server.headersTimeout = 120_000;
server.requestTimeout = 0;
server.listen(listenPort, '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
