// Run: node packages/runtime-api/examples/cli.ts  (Node 24 runs .ts files directly)
// A runtime API with two application commands, served on a unix socket (level admin) and
// on TCP (level user), then spoken to like `echo "…" | socat stdio <socket>` would.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeApi } from '../src/index.ts';

const weights = new Map([
  ['app/web1', 1],
  ['app/web2', 1],
]);
const api = new RuntimeApi();
api.register({
  words: ['show', 'info'],
  usage: 'show info [desc|json|typed|float]*',
  help: 'report information about the running process',
  handler: () => `Name: haproxyd\nVersion: 0.1.0\nPid: ${process.pid}\n`,
});
api.register({
  words: ['get', 'weight'],
  usage: 'get weight <bk>/<srv>',
  help: "report a server's current weight",
  handler: (args) => {
    const w = weights.get(args[2] ?? '');
    return w === undefined ? 'No such server.\n' : `${w} (initial 1)\n`;
  },
});
api.register({
  words: ['set', 'weight'],
  level: 'admin', // HAProxy 2.6 wants admin here
  usage: 'set weight <bk>/<srv>  (DEPRECATED)',
  help: "change a server's weight (use 'set server' instead)",
  handler: (args) => {
    if (!weights.has(args[2] ?? '')) return 'No such server.\n';
    weights.set(args[2]!, Number(args[3]));
    return '';
  },
});

const dir = mkdtempSync(join(tmpdir(), 'hap-cli-'));
const admin = await api.listen(join(dir, 'haproxyd.sock'), { level: 'admin', mode: 0o600 });
const user = await api.listen('ipv4@127.0.0.1:0', { level: 'user', timeout: 2_000 });

function send(target: string | number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
    let out = '';
    s.on('data', (c) => {
      out += c;
    });
    s.on('close', () => resolve(out));
    s.write(text);
  });
}

const port = Number(user.address.split(':').pop());
console.log(
  `$ echo "set weight app/web2 3; get weight app/web2" | socat stdio ${join(dir, 'haproxyd.sock')}   # ${admin.address}`,
);
console.log(await send(join(dir, 'haproxyd.sock'), 'set weight app/web2 3; get weight app/web2\n'));
console.log(`$ echo "set weight app/web2 0" | socat stdio tcp:127.0.0.1:${port}   # level user`);
console.log(await send(port, 'set weight app/web2 0\n'));
console.log('$ echo "show inf" | socat stdio …');
console.log(await send(port, 'show inf\n'));
console.log('$ socat stdio … (prompt, show cli level, show cli sockets, quit)');
console.log(
  JSON.stringify(await send(join(dir, 'haproxyd.sock'), 'prompt\nshow cli level\nshow cli sockets\nquit\n')),
);
await api.close();
rmSync(dir, { recursive: true, force: true });
