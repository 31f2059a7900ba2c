// The Node TLS floor of `pnpm bench`'s TLS rows: what a Node process pays to terminate TLS
// and hand the bytes to nginx with nothing else — no HTTP parsing, no rules, a new backend
// connection per client connection, bytes piped both ways. A proxy built on node:tls cannot
// cost less per connection than this; HAProxy's figures show what OpenSSL costs in C.
// Usage: node bench/node-tls-pipe.mjs LISTEN_PORT BACKEND_PORT PEM_FILE
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const [listenPort, backendPort, pemFile] = process.argv.slice(2);
if (!listenPort || !backendPort || !pemFile) {
  process.stderr.write('usage: node bench/node-tls-pipe.mjs LISTEN_PORT BACKEND_PORT PEM_FILE\n');
  process.exit(2);
}
const pem = readFileSync(pemFile);
// tickets renewed on resumption (Node's own keys do not renew them; HAProxy's do): without
// it, a client using each ticket once makes a full handshake every other connection
const server = createServer({ cert: pem, key: pem, ALPNProtocols: ['http/1.1'] }, (client) => {
  const backend = connect(Number(backendPort), '127.0.0.1');
  client.pipe(backend);
  backend.pipe(client);
  const close = () => {
    client.destroy();
    backend.destroy();
  };
  client.on('error', close);
  backend.on('error', close);
});
const keys = { name: Buffer.alloc(16, 7), hmac: Buffer.alloc(16, 8), aes: Buffer.alloc(16, 9) };
const native = server._sharedCreds?.context;
if (typeof native?.enableTicketKeyCallback === 'function') {
  const enc = [1, keys.hmac, keys.aes, keys.name, Buffer.alloc(16)];
  const dec = [2, keys.hmac, keys.aes];
  native.onticketkeycallback = (_name, _iv, encrypt) => (encrypt ? enc : dec);
  native.enableTicketKeyCallback();
}
server.listen(Number(listenPort), '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
