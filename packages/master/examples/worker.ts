// A tiny worker for examples/master.ts and the tests: serves its inherited listening sockets
// (answers its pid and closes), reports READY to the master, answers routed CLI commands,
// leaves on SIGUSR1 once its connections are done. FIXTURE_FAIL=1: fails before READY.
import { createServer, type Server } from 'node:net';
import { reportToParent, workerFdsFromEnv } from '@hap/daemon';
import { attachToMaster } from '../src/index.ts';

if (process.env['FIXTURE_FAIL'] === '1') {
  reportToParent('[ALERT] fixture: failing on purpose');
  process.exit(3);
}
const servers: Server[] = [];
for (const fd of workerFdsFromEnv().values()) {
  const s = createServer((c) => c.end(`${process.pid}\n`));
  s.listen({ fd });
  servers.push(s);
}
const link = attachToMaster();
link?.onCommand((cmd) => `worker ${process.pid} ran '${cmd}'\n\n`);
link?.onStateRequest(() => `state of ${process.pid}`);
let drained = false;
link?.onDrain(() => {
  drained = true;
});
void link?.inheritedState().then((s) => {
  if (s !== null) process.stderr.write(`worker ${process.pid} inherited: ${s}\n`);
});
process.on('SIGUSR1', () => {
  process.stderr.write(`worker ${process.pid} soft stop (drained first: ${drained})\n`);
  for (const s of servers) s.close();
});
reportToParent('READY');
