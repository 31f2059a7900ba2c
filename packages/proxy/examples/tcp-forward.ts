// Run: node packages/proxy/examples/tcp-forward.ts  (Node 24 runs .ts files directly)
// An echo server, a frontend in front of it on an ephemeral port, one line through.
import net from 'node:net';
import { Backend, TcpFrontend } from '../src/index.ts';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

// the "server": echoes what it reads, passes the half-close on
const echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
const echoPort = await listen(echo);

const backend = new Backend({
  name: 'be_echo',
  servers: [{ name: 'echo1', host: '127.0.0.1', port: echoPort }],
  retries: 3,
  timeouts: { connect: 5000, server: 30_000, tunnel: 0 },
});
const frontend = new TcpFrontend({
  name: 'fe_tcp',
  backend,
  clientTimeout: 30_000,
  hooks: {
    streamOpened: (fe) => console.log(`${fe.name}: stream opened (${fe.streams.size} open)`),
    streamClosed: (fe, st) =>
      console.log(
        `${fe.name}: stream to ${st.target?.name} closed: ${st.endReason}, ${st.bytesIn}/${st.bytesOut} bytes in/out`,
      ),
  },
});

// the listener is not part of @hap/proxy (@hap/listeners owns it); allowHalfOpen keeps half-closes intact
const listener = net.createServer({ allowHalfOpen: true }, (socket) => frontend.handleConnection(socket));
const port = await listen(listener);
console.log(`frontend on 127.0.0.1:${port} -> echo on 127.0.0.1:${echoPort}`);

const client = net.connect({ host: '127.0.0.1', port });
let reply = '';
client.setEncoding('utf8');
client.on('data', (d: string) => {
  reply += d;
});
client.on('close', () => {
  console.log(`echoed: ${reply.trimEnd()}`);
  // the stream ends once both directions are shut; then close the servers and leave
  frontend.destroyAll();
  listener.close();
  echo.close();
});
client.end('hello through haproxyd\n');
