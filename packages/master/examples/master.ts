// A master with examples/worker.ts on a free port: start, two reloads, `show proc`, stop.
//   node --conditions=@hap/source packages/master/examples/master.ts
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Master } from '../src/index.ts';

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const spec = {
  key: '127.0.0.1:0',
  family: 'ipv4',
  host: '127.0.0.1',
  port: 0,
  backlog: 511,
  reusePort: true,
  ipv6Only: false,
} as const;
const master = new Master({
  version: 'example',
  worker: { args: ['--conditions=@hap/source', worker] },
  load: async () => ({ listeners: [spec] }),
  log: (level, text) => process.stderr.write(`[${level}] (${process.pid}) : ${text}\n`),
  handleSignals: false,
});
const ask = (port: number) =>
  new Promise<string>((resolve) => {
    let out = '';
    connect({ host: '127.0.0.1', port }, function (this: import('node:net').Socket) {
      this.setEncoding('utf8')
        .on('data', (d: string) => (out += d))
        .on('end', () => resolve(out.trim()));
    });
  });
if (await master.start({ listeners: [spec] })) {
  const port = master.boundPort(spec.key);
  console.log(`served by ${await ask(port)}`);
  await master.reload();
  await master.reload();
  console.log(`served by ${await ask(port)}`);
  console.log(master.showProc());
  master.stop('SIGTERM');
}
console.log(`master exit status ${await master.done}`);
